"""The command line refuses every impossible argument before any work, in one line with status 2 (no traceback)."""
import subprocess
import sys

import pytest

from makemore import cli
from tests.cli_helpers import run
from tests.conftest import ROOT

OUT_OF_RANGE = [  # (arguments, what the line names)
    (["train", "--preset", "mlp", "--steps", "-1"], "argument --steps: -1 is outside 0 to 10,000,000"),
    (["train", "--preset", "mlp", "--steps", "1" + "0" * 30], "argument --steps: the number is outside"),
    (["train", "--preset", "mlp", "--steps", "many"], "argument --steps: 'many' is not a whole number"),
    (["train", "--preset", "mlp", "--lr", "nan"], "argument --lr: nan is not above 0"),
    (["train", "--preset", "mlp", "--lr", "inf"], "argument --lr: inf is not above 0 and at most 100"),
    (["train", "--preset", "mlp", "--lr", "0"], "argument --lr: 0 is not above 0"),
    (["train", "--preset", "mlp", "--batch-size", "0"], "argument --batch-size: 0 is outside 1 to 100,000"),
    (["train", "--preset", "mlp", "--batch-size", "1000000000"], "argument --batch-size"),
    (["train", "--preset", "mlp", "--seed", "-1"], "argument --seed: -1 is outside 0 to"),
    (["train", "--preset", "mlp", "--seed", str(2**70)], "argument --seed"),
    (["train", "--preset", "mlp", "--stats-every", "-2"], "argument --stats-every"),
    (["train", "--preset", "mlp", "--device", "tpu"], "argument --device: 'tpu' is not a device"),
    (["train", "--preset", "mlp", "--device", "cuda:x"], "argument --device: 'cuda:x' is not a device"),
    (["diagnose", "--preset", "deep", "--steps", "0"], "argument --steps: 0 is outside 1 to"),
    (["reproduce", "--steps", "0"], "argument --steps: 0 is outside 1 to"),
    (["sample", "--out", "x", "-n", "-3"], "argument -n: -3 is outside 0 to 100,000"),
    (["sample", "--out", "x", "--temperature", "0"], "argument --temperature: 0 is not above 0"),
    (["sample", "--out", "x", "--temperature", "1e400"], "argument --temperature"),
    (["--threads", "0", "presets"], "argument --threads: 0 is outside 1 to 1,024"),
]


def one_line_error(stderr: str) -> bool:
    return stderr.startswith("error: ") and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


@pytest.mark.parametrize("args, message", OUT_OF_RANGE)
def test_every_number_and_device_has_a_range(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == "" and message in err and one_line_error(err), err


def test_a_process_given_a_number_out_of_range_exits_2_in_one_line():
    proc = run("train", "--preset", "mlp", "--steps", "1" + "0" * 30, check=False)
    assert proc.returncode == 2 and proc.stdout == "" and one_line_error(proc.stderr), proc.stderr


def unwritable_outs(tmp_path):
    """--out values no checkpoint can be written to, and what the line says."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    taken = tmp_path / "taken"
    (taken / "model.pt").mkdir(parents=True)
    json_taken = tmp_path / "json-taken"
    (json_taken / "run.json").mkdir(parents=True)
    return [(a_file, "is a file, not a folder"), (a_file / "under" / "it", "a-file is a file, not a folder"),
            (a_file / "model.pt", "a-file is a file, not a folder"), (taken, "model.pt is a folder"),
            (json_taken, "run.json is a folder")]


@pytest.mark.slow
def test_an_out_that_cannot_be_written_is_refused_before_training(tmp_path):
    for out, message in unwritable_outs(tmp_path):
        proc = subprocess.run([sys.executable, "-m", "makemore", "train", "--preset", "mlp", "--steps", "200000",
                               "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and proc.stdout == "", proc.stderr  # 200,000 steps would take minutes
        assert message in proc.stderr and one_line_error(proc.stderr), proc.stderr


def test_an_out_under_missing_folders_is_made(tmp_path, capsys):
    out = tmp_path / "new" / "folders" / "run.pt"
    assert cli.main(["train", "--preset", "mlp", "--steps", "1", "--out", str(out)]) == 0
    assert out.is_file() and (out.parent / "run.json").is_file()
    assert cli.main(["sample", "--out", str(out), "-n", "2"]) == 0
