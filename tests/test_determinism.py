"""Same seed and config, same numbers: on the page, on the command line and after a checkpoint round-trip."""
import contextlib
import io
import json

import pytest
import torch

from makemore import checkpoint, cli
from makemore.sampling import sample_names
from tests.apptest_helpers import open_page, press_step
from ui import runs

PAGE = "pages/3_Activations_and_BatchNorm.py"
STEPS = 100


@pytest.fixture(scope="module")
def page_run():
    """The diagnostics page at its defaults (the lecture's deep net and seed) after Step 100."""
    at = press_step(open_page(PAGE), f"diag_step{STEPS}")
    assert not at.exception
    record, = at.session_state["runs"].values()  # Step archives the run, its splits evaluated
    return at.session_state["diag_run"].trainer, record


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """`python -m makemore train --preset deep --steps 100 --out DIR`: its JSON summary and its directory."""
    out = tmp_path_factory.mktemp("deep")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["train", "--preset", "deep", "--steps", str(STEPS), "--out", str(out)]) == 0
    return json.loads(stdout.getvalue().splitlines()[-1]), out


def assert_same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    assert all(torch.equal(sa[k], sb[k]) for k in sa), [k for k in sa if not torch.equal(sa[k], sb[k])]


@pytest.mark.slow
def test_page_and_command_line_train_the_same_numbers(page_run, cli_run):
    trainer, record = page_run
    summary, _ = cli_run
    assert summary["steps"] == trainer.step == STEPS
    assert summary["first_loss"] == trainer.first_loss
    assert {k: summary[k] for k in ("train_loss", "dev_loss", "test_loss")} == record.losses


def test_the_command_lines_checkpoint_holds_the_pages_weights(page_run, cli_run):
    trainer, _ = page_run
    summary, out = cli_run
    assert_same_weights(checkpoint.load(out).model, trainer.model)


@pytest.mark.slow
def test_the_pages_checkpoint_round_trip_gives_the_same_numbers(page_run, default_data):
    trainer, record = page_run
    ckpt = checkpoint.from_bytes(runs.checkpoint_bytes(record))
    assert_same_weights(ckpt.model, trainer.model)
    data = checkpoint.data_for(ckpt, default_data)
    assert ckpt.model.mean_nll(*ckpt.model.examples(data, "dev")) == record.losses["dev_loss"]
    assert ([s.name for s in sample_names(ckpt.model, ckpt.vocab, 10, seed=5)] ==
            [s.name for s in sample_names(trainer.model, trainer.data.vocab, 10, seed=5)])
    assert ckpt.meta["loss_curve"]["loss"] == trainer.loss_history.values[:, 0].tolist()
