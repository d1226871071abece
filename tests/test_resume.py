"""Trainer.progress / Trainer.resume: a run taken apart (weights through a checkpoint, the rest as Progress) and
put back together continues exactly as if it had never stopped."""
from dataclasses import replace

import pytest
import torch

from makemore import checkpoint
from makemore.models import DeepMLPConfig, MLPConfig
from makemore.stats.history import History
from makemore.training import TrainConfig, Trainer, build_trainer

SETUPS = {
    "mlp": (MLPConfig(block_size=3, n_embd=4, n_hidden=32), TrainConfig(steps=400, batch_size=32, lr=0.1,
                                                                         lr_decay_at=150, stats_every=10)),
    "deep-batchnorm": (DeepMLPConfig(n_hidden=24, n_layers=3, batchnorm=True),
                       TrainConfig(steps=400, batch_size=32, lr=0.1, lr_decay_at=None, stats_every=7)),
    "autograd": (MLPConfig(block_size=3, n_embd=4, n_hidden=16),
                 TrainConfig(steps=400, batch_size=16, lr=0.1, gradients="autograd", stats_every=5)),
}


def taken_apart_and_resumed(trainer: Trainer, data, seed: int) -> Trainer:
    """A new trainer on the weights read back from checkpoint bytes, resumed from the old one's progress."""
    ckpt = checkpoint.from_bytes(checkpoint.to_bytes(trainer.model, trainer.data.vocab, []))
    progress = trainer.progress()
    again = Trainer(ckpt.model, data, trainer.config, torch.Generator().manual_seed(seed + 1))
    again.resume(replace(progress, generator_state=progress.generator_state.clone()))
    return again


@pytest.mark.parametrize("setup", list(SETUPS))
def test_a_resumed_run_continues_as_if_it_never_stopped(setup, default_data):
    model_config, train_config = SETUPS[setup]
    straight = build_trainer(model_config, train_config, default_data, seed=7)
    straight.advance(300)
    halted = build_trainer(model_config, train_config, default_data, seed=7)
    halted.advance(170)
    halted.set_lr(0.05)  # a change made on the page before it was saved
    straight_lr = build_trainer(model_config, train_config, default_data, seed=7)
    straight_lr.advance(170)
    straight_lr.set_lr(0.05)
    resumed = taken_apart_and_resumed(halted, default_data, seed=7)
    resumed.set_lr(0.05)  # the page applies its controls to the resumed run
    assert resumed.step == 170 and resumed.lr_changes == [(170, 0.05)]
    resumed.advance(130)
    straight_lr.advance(130)
    assert resumed.step == 300
    torch.testing.assert_close(resumed.loss_history.values, straight_lr.loss_history.values, rtol=0, atol=0)
    torch.testing.assert_close(resumed.loss_history.steps, straight_lr.loss_history.steps, rtol=0, atol=0)
    torch.testing.assert_close(resumed.update_history.values, straight_lr.update_history.values, rtol=0, atol=0,
                               equal_nan=True)
    for a, b in zip(resumed.model.parameters(), straight_lr.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert resumed.first_loss == straight.first_loss


def test_resume_refuses_progress_that_does_not_fit(default_data):
    config, train = SETUPS["mlp"]
    trainer = build_trainer(config, train, default_data, seed=1)
    trainer.advance(20)
    progress = trainer.progress()
    fresh = lambda: build_trainer(config, train, default_data, seed=1)  # noqa: E731
    with pytest.raises(ValueError, match="generator"):
        fresh().resume(replace(progress, generator_state=torch.zeros(7, dtype=torch.uint8)))
    steps, values, stride = progress.updates
    with pytest.raises(ValueError, match="width"):
        fresh().resume(replace(progress, updates=(steps, values[:, :1], stride)))
    with pytest.raises(ValueError, match="step"):
        fresh().resume(replace(progress, step=-3))
    with pytest.raises(ValueError, match="fresh"):
        trainer.resume(progress)


def test_a_restored_history_keeps_its_stride():
    kept = History(1, capacity=8)
    kept.append(torch.arange(40), torch.arange(40.0))
    again = History(1, capacity=8)
    again.restore(kept.steps, kept.values, kept.stride)
    kept.append(torch.arange(40, 60), torch.arange(40.0, 60.0))
    again.append(torch.arange(40, 60), torch.arange(40.0, 60.0))
    assert again.stride == kept.stride
    torch.testing.assert_close(again.values, kept.values)
    with pytest.raises(ValueError):
        again.restore(torch.arange(9), torch.zeros(9), 1)

