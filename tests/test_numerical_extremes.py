"""Numerical extremes on the diagnostics page: a run trains or stops with a named reason, its charts
carry no infinities, and Reset always recovers.

The page's sliders stop at gain 3 and output scale 0.001; gain 10 and output scale 0 are put on the
page by swapping in a run built by makemore, so the page's own drawing code meets their numbers.
"""
from dataclasses import replace

import numpy as np
import pytest

from makemore.models import DeepMLPConfig
from makemore.training import build_trainer
from tests.apptest_helpers import charts, open_page, press_step

pytestmark = pytest.mark.slow  # every test here takes seconds (the quick tier: -m "not slow")

PAGE = "pages/3_Activations_and_BatchNorm.py"
STEPS = 100  # one press of Step 100: the exploding case has diverged by then

TRAINS, STOPS = "trains", "stops"
# session-state presets for the page's own controls -> how the run ends
THROUGH_THE_PAGE = {
    "lr 10^1": (dict(diag_lr_exponent=1.0), TRAINS),  # BatchNorm makes the net forgiving
    "lr 10^1 without BatchNorm": (dict(diag_lr_exponent=1.0, diag_batchnorm=False, diag_gain=5 / 3), STOPS),
    "gain 0": (dict(diag_gain=0.0), TRAINS),
    "gain 0 without BatchNorm": (dict(diag_gain=0.0, diag_batchnorm=False), TRAINS),
    "gain 3 without BatchNorm": (dict(diag_gain=3.0, diag_batchnorm=False), TRAINS),
    "batch size 1 with BatchNorm": (dict(diag_batch_size=1), TRAINS),
    "depth 8 without BatchNorm": (dict(diag_depth=8, diag_batchnorm=False), TRAINS),
}
# model configs beyond the sliders' range -> how the run ends
THROUGH_MAKEMORE = {
    "gain 10": (DeepMLPConfig(gain=10.0), TRAINS),
    "gain 10 without BatchNorm": (DeepMLPConfig(gain=10.0, batchnorm=False), TRAINS),
    "output scale 0": (DeepMLPConfig(output_scale=0.0), TRAINS),
    "output scale 0 without BatchNorm": (DeepMLPConfig(output_scale=0.0, batchnorm=False), TRAINS),
}


def trainer_of(at):
    return at.session_state["diag_run"].trainer


def train(at):
    at = press_step(at, f"diag_step{STEPS}")
    assert not at.exception, [e.value for e in at.exception]
    return at


def infinite_chart_values(at) -> list[str]:
    """'chart title: column' for every chart column holding +-inf (Vega-Lite cannot place those)."""
    found = []
    for chart in charts(at):
        for frame in chart["data"]:
            numbers = frame.select_dtypes("number")
            for column in numbers:
                if np.isinf(numbers[column].to_numpy(dtype=float)).any():
                    found.append(f"{chart['spec'].get('title', '?')}: {column}")
    return found


def assert_ends(at, expected: str):
    """The run trained all its steps with finite losses, or stopped with its reason on the page."""
    trainer = trainer_of(at)
    assert trainer.diverged == (expected == STOPS), (expected, trainer.step, trainer.diverged_reason)
    if trainer.diverged:
        assert trainer.diverged_reason, "a diverged run must say why"
        assert any(f"Diverged at step {trainer.diverged_at:,}" in e.value and trainer.diverged_reason in e.value
                   for e in at.error)
    else:
        assert trainer.step == STEPS and np.isfinite(trainer.loss_history.values.numpy()).all()
    assert charts(at), "the charts are still drawn"
    assert not infinite_chart_values(at), infinite_chart_values(at)


def assert_reset_recovers(at):
    at = at.button(key="diag_reset").click().run()
    assert not at.exception and not at.error
    assert trainer_of(at).step == 0 and not trainer_of(at).diverged and not at.button(key="diag_train").disabled


@pytest.mark.parametrize("case", list(THROUGH_THE_PAGE))
def test_extreme_controls_train_or_stop_with_a_reason(case):
    state, expected = THROUGH_THE_PAGE[case]
    at = train(open_page(PAGE, **state))
    assert_ends(at, expected)
    assert_reset_recovers(at)


@pytest.mark.parametrize("case", list(THROUGH_MAKEMORE))
def test_extreme_configs_beyond_the_sliders_draw_and_reset(case):
    at = open_page(PAGE)
    run = at.session_state["diag_run"]
    t = run.trainer
    config, expected = THROUGH_MAKEMORE[case]
    config = replace(config, vocab_size=t.data.vocab.size)
    at.session_state["diag_run"] = replace(run, trainer=build_trainer(config, t.config, t.data, run.seed))
    at = train(at.run())
    assert trainer_of(at).model.config == config  # the page kept the swapped-in run
    assert_ends(at, expected)
    assert_reset_recovers(at)

