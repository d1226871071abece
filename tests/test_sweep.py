"""Sweeps: K copies of the deep net trained together, each the same as its own single run."""
from dataclasses import replace

import pytest
import torch

from makemore.models import ConfigError, DeepMLPConfig
from makemore.training import TrainConfig, build_trainer
from makemore.engine.stages import tanh_of_twice_
from makemore.training.sweep import Sweep

SMALL = DeepMLPConfig(n_hidden=32, n_layers=3)
TRAIN = TrainConfig(steps=1000, stats_every=10)


@pytest.mark.parametrize("setting, values, batchnorm, nonlinearity", [
    ("gain", [0.5, 5 / 3, 3.0], False, "tanh"),
    ("gain", [0.5, 2.0], True, "tanh"),
    ("gain", [0.5, 2.0], True, "relu"),
    ("lr_exponent", [-2.0, -1.0, -0.5], True, "tanh"),
    ("output_scale", [0.01, 1.0], True, "tanh"),
])
@pytest.mark.slow
def test_each_copy_is_its_single_run(default_data, setting, values, batchnorm, nonlinearity):
    base = replace(SMALL, batchnorm=batchnorm, nonlinearity=nonlinearity)
    sweep = Sweep(base, TRAIN, default_data, 7, setting, values)
    assert sweep.advance(60) == 60
    dev = sweep.evaluate("dev")
    for k, value in enumerate(values):
        model = replace(base, **{setting: value}) if setting != "lr_exponent" else base
        single = build_trainer(model, replace(TRAIN, lr=10 ** value) if setting == "lr_exponent" else TRAIN,
                               default_data, 7)
        single.advance(60)
        assert torch.allclose(sweep.loss_history.values[:, k], single.loss_history.values.flatten(), atol=1e-5)
        assert dev[k] == pytest.approx(single.evaluate("dev"), abs=1e-5)
        assert sweep.first_loss[k] == pytest.approx(single.first_loss, abs=1e-6)


def test_copies_differ_as_their_setting_says(default_data):
    sweep = Sweep(replace(SMALL, batchnorm=False), TRAIN, default_data, 3, "gain", [0.2, 5 / 3, 5.0])
    sweep.advance(21)
    steps, saturation = sweep.saturation()  # (3 statistics steps, 3 copies), percent
    assert steps.tolist() == [0, 10, 20]
    assert saturation.shape == (3, 3) and ((saturation >= 0) & (saturation <= 100)).all()
    assert (saturation[0, 0] < saturation[0, 1] < saturation[0, 2]).item()  # a larger gain saturates tanh more
    assert sweep.labels == ["gain 0.2", "gain 1.667", "gain 5"]


def test_a_diverging_copy_stops_alone(default_data):
    sweep = Sweep(replace(SMALL, batchnorm=False, gain=3.0), TrainConfig(steps=300, stats_every=10),
                  default_data, 1, "lr_exponent", [-1.0, 3.0])
    while not sweep.done and sweep.step < 300:
        sweep.advance(50)
    assert sweep.diverged_at[0] is None and sweep.diverged_at[1] is not None
    losses = sweep.loss_history.values
    assert torch.isfinite(losses[:, 0]).all()
    assert torch.isnan(losses[sweep.loss_history.steps >= sweep.diverged_at[1], 1]).all()
    assert sweep.step == 300  # the healthy copy trained on


def test_advance_for_and_the_schedule(default_data):
    sweep = Sweep(SMALL, replace(TRAIN, steps=120), default_data, 1, "gain", [1.0, 2.0])
    assert sweep.advance_for(60.0, max_steps=25) == 25
    assert sweep.advance_for(60.0) == 95 and sweep.done
    assert sweep.advance(10) == 0


@pytest.mark.slow
def test_a_sweep_on_two_threads_trains_alike_and_gives_the_thread_back(default_data):
    assert torch.get_num_threads() == 1
    one = Sweep(SMALL, TRAIN, default_data, 5, "gain", [0.5, 2.0])
    two = Sweep(SMALL, TRAIN, default_data, 5, "gain", [0.5, 2.0], threads=2)
    one.advance(40)
    two.advance(40)
    assert torch.get_num_threads() == 1
    assert torch.allclose(one.loss_history.values, two.loss_history.values, atol=1e-5)


def test_tanh_of_twice_is_tanh():
    x = torch.linspace(-12, 12, 10_001)
    assert torch.allclose(tanh_of_twice_(2 * x), torch.tanh(x), rtol=0, atol=3e-7)


@pytest.mark.parametrize("setting, values, message", [
    ("gain", [1.0], "2 to 16 copies"),
    ("gain", [1.0] * 17, "2 to 16 copies"),
    ("depth", [1.0, 2.0], "varies one of"),
    ("lr_exponent", [400.0, 0.0], "x from -10 to 3"),  # 10**400 is no float: it raised OverflowError
    ("gain", [1.0, float("nan")], "finite numbers"),
])
def test_impossible_sweeps_say_why(default_data, setting, values, message):
    with pytest.raises(ConfigError, match=message):
        Sweep(SMALL, TRAIN, default_data, 1, setting, values)
