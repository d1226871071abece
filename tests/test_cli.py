"""python -m makemore: the scripted interface and its error messages."""

import io
import subprocess
import sys
from types import SimpleNamespace

import pytest

from makemore.cli import ProgressBar
from makemore.stats.history import History
from tests.cli_helpers import last_json, run
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test here takes seconds (the quick tier: -m "not slow")


def test_presets_table_lists_every_preset():
    out = run("presets").stdout
    for name, params in [("bigram", "729"), ("mlp", "11,897"), ("mlp-bn", "12,097"), ("deep", "47,024"),
                         ("backprop", "12,297"), ("wavenet", "76,579")]:
        assert any(line.split()[0] == name and params in line for line in out.splitlines()[1:])


def test_train_sample_round_trip(tmp_path):
    proc = run("train", "--preset", "mlp-bn", "--steps", "200", "--seed", "3", "--out", str(tmp_path))
    summary = last_json(proc)
    for key in ["preset", "params", "steps", "first_loss", "train_loss", "dev_loss", "test_loss", "seconds",
                "steps_per_s", "diverged"]:
        assert key in summary
    assert summary["steps"] == 200 and summary["diverged"] is False and summary["params"] == 12097
    assert summary["train_loss"] < summary["first_loss"]
    assert "step 200/200 loss" in proc.stderr  # the progress, as a plain line (stderr is not a terminal here)
    names = run("sample", "--out", str(tmp_path), "-n", "7", "--seed", "5").stdout.split()
    assert len(names) == 7
    assert run("sample", "--out", str(tmp_path), "-n", "7", "--seed", "5").stdout.split() == names


def test_diverging_run_reports_it_and_exits_zero():
    summary = last_json(run("train", "--preset", "mlp", "--lr", "100", "--steps", "300"))
    assert summary["diverged"] is True and summary["steps"] < 300


def test_lecture_bigram_nll_on_all_words(lecture_names_path):
    summary = last_json(run("train", "--preset", "bigram", "--input", str(lecture_names_path), "--split", "none"))
    assert round(summary["train_loss"], 4) == 2.4544 and summary["dev_loss"] is None


def test_diagnose_json_has_the_lectures_tables():
    report = last_json(run("diagnose", "--preset", "deep", "--steps", "20", "--json"))
    tanh = [row for row in report["activations"] if row["kind"] == "Tanh"]
    assert [row["layer"] for row in tanh] == [2, 5, 8, 11, 14]
    assert {"layer", "kind", "mean", "std", "saturated_pct"} <= set(tanh[0])
    assert {"layer", "kind", "mean", "std"} <= set(report["gradients"][0])
    assert {"name", "shape", "grad_std", "grad_data_ratio", "update_data_log10"} <= set(report["parameters"][0])


@pytest.mark.parametrize("args, message", [
    (["train", "--preset", "nope"], "unknown preset"),
    (["train", "--preset", "mlp", "--input", "/no/such/file.txt"], "no such file"),
    (["train", "--preset", "mlp", "--steps", "-5"], "--steps"),
    (["sample", "--out", "/no/such/dir"], "no checkpoint"),
])
def test_bad_input_is_one_line_and_nonzero(args, message):
    proc = run(*args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_empty_input_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    proc = run("train", "--preset", "mlp", "--input", str(empty), check=False)
    assert proc.returncode == 2 and "empty" in proc.stderr and "Traceback" not in proc.stderr


def test_progress_written_to_a_file_is_plain_lines(tmp_path):
    log = tmp_path / "train.log"
    with open(log, "w") as stderr:  # as `python -m makemore reproduce 2> log` writes it
        proc = subprocess.run([sys.executable, "-m", "makemore", "train", "--preset", "mlp", "--steps", "3000"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=300)
    assert proc.returncode == 0
    text = log.read_text()
    assert "\r" not in text
    lines = [line for line in text.splitlines() if line.startswith("step ")]
    assert [int(line.split()[1].split("/")[0]) for line in lines] == [500, 1000, 1500, 2000, 2500, 3000]  # each
    #      tenth of the schedule, as the chunks of 500 steps reach it


def test_progress_on_a_terminal_is_one_bar_redrawn_in_place():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    trainer = SimpleNamespace(step=0, steps_per_s=100.0, diverged=False, loss_history=History(1))
    terminal = Terminal()
    bar = ProgressBar(1000, stream=terminal)
    for step in (250, 500, 1000):
        trainer.step = step
        bar.update(trainer, force=True)
    bar.close(trainer)
    assert terminal.getvalue().count("\r") == 4 and terminal.getvalue().count("\n") == 1
    assert terminal.getvalue().endswith("] 1000/1000 loss - 100 steps/s\n")
