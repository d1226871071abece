"""The step-wise trainer: schedule, history bounds, divergence, determinism."""
from dataclasses import replace

import pytest
import torch

from makemore import engine
from makemore.lessons import backprop_twins
from makemore.models import ConfigError, DeepMLPConfig
from makemore.presets import PRESETS
from makemore.stats.history import History
from makemore.training import Stepper, Trainable, TrainConfig, build_trainer, train_config_from_dict
from makemore.training.autograd_step import AutogradStep
from makemore.training.by_hand import ByHandStep
from makemore.training.sweep import Sweep


def small_deep(**kw):
    return DeepMLPConfig(n_hidden=32, n_layers=2, **kw)


def test_advancing_in_chunks_equals_one_run(default_data):
    cfg = TrainConfig(steps=200)
    a = build_trainer(small_deep(), cfg, default_data, 1)
    b = build_trainer(small_deep(), cfg, default_data, 1)
    a.advance(200)
    for _ in range(20):
        b.advance(10)
    assert torch.equal(a.loss_history.values, b.loss_history.values)
    assert a.evaluate("dev") == b.evaluate("dev")


def test_bulk_minibatches_are_the_lectures_per_step_stream():
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    bulk = torch.randint(0, 1000, (7, 32), generator=g1)
    single = torch.stack([torch.randint(0, 1000, (32,), generator=g2) for _ in range(7)])
    assert torch.equal(bulk, single)


def test_schedule_stops_and_decays(default_data):
    t = build_trainer(small_deep(), TrainConfig(steps=50, lr=0.1, lr_decay_at=20), default_data, 1)
    assert t.advance(80) == 50 and t.done
    assert t.lr_at(19) == 0.1 and abs(t.lr_at(20) - 0.01) < 1e-12


def test_learning_rate_change_is_recorded(default_data):
    t = build_trainer(small_deep(), TrainConfig(steps=100), default_data, 1)
    t.advance(10)
    t.set_lr(0.5)
    assert t.lr_changes == [(10, 0.5)] and t.lr_at(10) == 0.5


def test_each_choice_of_gradients_has_its_stepper(default_data):
    part4 = PRESETS["backprop"].model
    for gradients, kind in {"fast": engine.FastStep, "autograd": AutogradStep, "by_hand": ByHandStep}.items():
        trainer = build_trainer(part4, TrainConfig(steps=10, gradients=gradients), default_data, 1)
        assert type(trainer.stepper) is kind and isinstance(trainer.stepper, Stepper)
        assert trainer.advance(3) == 3 and torch.isfinite(trainer.loss_history.values).all()
    sweep = Sweep(small_deep(), TrainConfig(steps=10), default_data, 1, "gain", [1.0, 2.0])
    assert isinstance(sweep.trainer.stepper, Stepper) and sweep.trainer.stepper.copies == 2
    with pytest.raises(ConfigError, match="part 4's MLP"):
        build_trainer(small_deep(), TrainConfig(gradients="by_hand"), default_data, 1)
    with pytest.raises(ValueError, match="unknown gradients 'exact'"):
        build_trainer(small_deep(), TrainConfig(gradients="exact"), default_data, 1)


def test_a_training_config_saved_by_older_versions_still_reads():
    assert train_config_from_dict({"steps": 5, "exact": True}) == TrainConfig(steps=5, gradients="autograd")
    assert train_config_from_dict({"steps": 5, "exact": False}) == TrainConfig(steps=5)
    assert train_config_from_dict({"gradients": "by_hand"}) == TrainConfig(gradients="by_hand")
    # a checkpoint is data from anyone: a setting no version had, or one of the wrong type, is named and refused
    with pytest.raises(ValueError, match="does not know: unknown"):
        train_config_from_dict({"steps": 5, "unknown": 1})
    with pytest.raises(ValueError, match="steps must be int"):
        train_config_from_dict({"steps": "five"})


def test_a_trainer_a_sweep_and_the_twins_are_trainables_a_page_can_drive(default_data):
    train = TrainConfig(steps=40, stats_every=10)
    trainables = [build_trainer(small_deep(), train, default_data, 1),
                  Sweep(small_deep(), train, default_data, 1, "gain", [1.0, 2.0]),
                  backprop_twins.build_twins(PRESETS["backprop"].model, train, default_data, 1)]
    for trainable in trainables:
        assert isinstance(trainable, Trainable) and not trainable.done
        assert trainable.advance(15) == 15 and trainable.step == 15
        assert trainable.advance_for(60.0, max_steps=5) == 5 and trainable.step == 20
        assert trainable.advance_for(60.0) == 20 and trainable.step == 40 and trainable.done
        assert trainable.advance(1) == 0 and trainable.advance_for(1.0) == 0


def test_divergence_stops_with_the_step(default_data):
    t = build_trainer(small_deep(batchnorm=False, gain=10.0), TrainConfig(steps=5000, lr=1e4), default_data, 1)
    while not t.done:
        t.advance(100)
    assert t.diverged and t.diverged_at == t.step
    assert torch.isfinite(t.loss_history.values).all()
    assert t.advance(10) == 0


def test_history_is_bounded_and_keeps_the_shape():
    h = History(1, capacity=64)
    steps = torch.arange(10_000)
    h.append(steps, steps.float())
    assert len(h) <= 64
    assert torch.all(h.steps[1:] > h.steps[:-1])
    # merged rows are means of consecutive steps
    assert abs(h.values[0].item() - (h.stride - 1) / 2) < 1e-3


def test_history_chunked_equals_whole():
    a, b = History(2, capacity=16), History(2, capacity=16)
    values = torch.randn(1000, 2)
    a.append(torch.arange(1000), values)
    for start in range(0, 1000, 37):
        b.append(torch.arange(start, min(start + 37, 1000)), values[start:start + 37])
    assert torch.equal(a.steps, b.steps) and torch.allclose(a.values, b.values)


def test_statistics_every_k_steps(default_data):
    t = build_trainer(small_deep(), TrainConfig(steps=100, stats_every=10), default_data, 1)
    t.advance(95)
    assert len(t.update_history) == 10 and t.snapshot.step == 90
    assert t.update_history.values.shape[1] == len(list(t.model.parameters()))


def test_long_run_keeps_bounded_history(default_data):
    t = build_trainer(PRESETS["bigram-nn"].model, replace(PRESETS["bigram-nn"].train, steps=10), default_data, 1)
    assert t.loss_history.capacity <= 4096


def test_reset_is_a_fresh_build_with_the_same_numbers(default_data):
    a = build_trainer(small_deep(), TrainConfig(steps=30), default_data, 7)
    a.advance(30)
    b = build_trainer(small_deep(), TrainConfig(steps=30), default_data, 7)
    b.advance(30)
    assert torch.equal(a.loss_history.values, b.loss_history.values)
