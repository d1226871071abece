"""python -m makemore gradcheck: the lecture's cmp table on the command line, failing loudly on a mistake."""
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test here takes seconds (the quick tier: -m "not slow")


def gradcheck(*args):
    return subprocess.run([sys.executable, "-m", "makemore", "gradcheck", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_every_gradient_passes_and_the_exit_status_is_zero():
    proc = gradcheck()
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 27 and lines[-1] == "all 26 gradients match autograd"
    assert lines[0] == "logprobs        | exact: True  | approximate: True  | maxdiff: 0.0"
    assert all("approximate: True" in line for line in lines[:-1])


def test_a_planted_mistake_fails_the_check(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("\n".join(["anna", "bob", "cecil", "dora", "emil", "fay", "gus", "hana", "ida", "jo", "kai"]))
    proc = gradcheck("--input", str(words), "--seed", "3", "--mistake", "forget_bessel")
    assert proc.returncode == 1
    assert "bndiff2         | exact: False | approximate: False" in proc.stdout
    assert "gradients differ from autograd" in proc.stdout.splitlines()[-1]


def test_a_missing_word_list_is_a_one_line_error():
    proc = gradcheck("--input", "no/such/file.txt")
    assert proc.returncode == 2 and proc.stderr.startswith("error:") and len(proc.stderr.splitlines()) == 1
