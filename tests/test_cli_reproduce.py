"""python -m makemore train --gradients / --stats-every, and reproduce."""

import pytest

from tests.cli_helpers import last_json, run

pytestmark = pytest.mark.slow  # every test here takes seconds (the quick tier: -m "not slow")


def test_autograd_and_fast_training_print_the_same_losses():
    args = ["train", "--preset", "mlp-bn", "--steps", "150", "--seed", "4"]
    fast, exact = last_json(run(*args)), last_json(run(*args, "--gradients", "autograd", "--stats-every", "0"))
    for key in ["first_loss", "train_loss", "dev_loss", "test_loss"]:
        assert abs(fast[key] - exact[key]) < 1e-5, key


def test_reproduce_prints_lecture_beside_ours(lecture_names_path):
    proc = run("reproduce", "--input", str(lecture_names_path), "--preset", "mlp-bn", "--steps", "200")
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("| preset | steps | train: lecture / ours | dev: lecture / ours")
    row = [cell.strip() for cell in lines[-1].strip("|").split("|")]
    assert row[0] == "`mlp-bn`" and row[1] == "200"
    assert row[2].startswith("2.0674 / ") and row[3].startswith("2.1057 / ")
    assert row[4] == "no"  # 200 steps are far from the lecture's 200,000
    assert "step 200/200 loss" in proc.stderr and "\r" not in proc.stderr  # the progress, in plain lines off a terminal


def test_reproduce_without_the_lectures_names_says_where_to_look(tmp_path):
    proc = run("reproduce", "--input", str(tmp_path / "names.txt"), check=False)
    assert proc.returncode == 2 and "names.txt" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
