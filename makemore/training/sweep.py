"""Sweeps: K copies of part 3's deep net that differ in one setting, trained together.

The copies start from the same random draws (one seed) and see the same minibatches, so copy k
is the single run with its setting (to float rounding). They train as one: a `Trainer` over the
K copies, whose stepper is the fast engine for K copies (every Linear one `bmm` over the copies,
its weights updated inside the backward; every BatchNorm one `native_batch_norm` over the copies'
channels side by side; see makemore/engine). So the schedule, the divergence rule (each copy on
its own), the timing and the evaluation are the trainer's; what a sweep adds is the varied setting:
the hidden layers' gain, the learning rate (as 10^exponent, one per copy) or the output layer's
scale, and the copies' labels and frames. `models` holds each copy as a standalone network (its
parameters are views of the stacks), to evaluate or to sample from.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import replace
from typing import Iterator, Sequence

import pandas as pd
import torch

from ..data import WordData
from ..engine import FastStep
from ..models import ConfigError, DeepMLPConfig, build_model
from .trainer import TrainConfig, Trainer, advance_within

SETTINGS = {  # what a sweep can vary: label shown per copy
    "gain": "gain",
    "lr_exponent": "learning rate 10^",
    "output_scale": "output scale",
}
MIN_COPIES, MAX_COPIES = 2, 16
LR_EXPONENTS = (-10, 3)  # lr = 10^x: past these a copy learns nothing or diverges at once (10^400 is no float)


def _from_trainer(name: str) -> property:
    """A read-only attribute of the sweep's trainer."""
    return property(lambda sweep: getattr(sweep.trainer, name))


class Sweep:
    """K deep nets, one per value of `setting`, trained step for step on the same minibatches."""

    def __init__(self, base: DeepMLPConfig, train: TrainConfig, data: WordData, seed: int, setting: str,
                 values: Sequence[float], device: str = "cpu", threads: int | None = None) -> None:
        """threads: torch's intra-op threads while `advance` trains (None: the caller's setting)."""
        if not isinstance(base, DeepMLPConfig):
            raise ConfigError("a sweep trains copies of part 3's deep MLP")
        if setting not in SETTINGS:
            raise ConfigError(f"a sweep varies one of {', '.join(SETTINGS)}, not {setting!r}")
        if not MIN_COPIES <= len(values) <= MAX_COPIES:
            raise ConfigError(f"a sweep trains {MIN_COPIES} to {MAX_COPIES} copies, not {len(values)}")
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise ConfigError("a sweep's values must be finite numbers")
        if setting == "lr_exponent" and not all(LR_EXPONENTS[0] <= v <= LR_EXPONENTS[1] for v in values):
            raise ConfigError(f"a learning rate 10^x needs x from {LR_EXPONENTS[0]} to {LR_EXPONENTS[1]}")
        if train.batch_size is None or train.batch_size < 2:
            raise ConfigError("a sweep needs minibatches of at least 2 examples")
        self.setting, self.values, self.config, self.data = setting, list(values), train, data
        self.threads = threads
        base = replace(base, vocab_size=data.vocab.size)
        configs = [replace(base, **{setting: v}) if setting != "lr_exponent" else base for v in self.values]
        generators = [torch.Generator().manual_seed(seed) for _ in configs]
        self.models = [build_model(c, g).to(device) for c, g in zip(configs, generators)]
        # copy k's learning rate is the schedule's times its scale: with a base of 1, exactly 10^v (and decayed,
        # exactly the single run's 10^v * decay)
        lr_scales = [10 ** v for v in self.values] if setting == "lr_exponent" else None
        schedule = replace(train, lr=1.0) if lr_scales else train
        stepper = FastStep(self.models, lr_scales=lr_scales, fused_update=True)
        # generators[0], after the init draws: the minibatch stream of a single run
        self.trainer = Trainer(self.models, data, schedule, generators[0], device, stepper=stepper)

    @property
    def copies(self) -> int:
        return len(self.values)

    @property
    def labels(self) -> list[str]:
        return [f"{SETTINGS[self.setting]}{'' if self.setting == 'lr_exponent' else ' '}{v:.4g}" for v in self.values]

    # the trainer's progress; lists hold one entry per copy (a diverged copy's losses are NaN from then on)
    step = _from_trainer("step")
    done = _from_trainer("done")
    seconds = _from_trainer("seconds")
    steps_per_s = _from_trainer("steps_per_s")
    first_loss = _from_trainer("first_losses")
    diverged_at = _from_trainer("diverged_steps")
    loss_history = _from_trainer("loss_history")

    def advance(self, n: int) -> int:
        """Train every copy n more steps (fewer at the end of the schedule); return how many."""
        with intra_op_threads(self.threads):
            return self.trainer.advance(n)

    def advance_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` (or max_steps); see makemore.training.advance_within."""
        return advance_within(self, seconds, max_steps)

    def saturation(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(steps, (n, K) values): each copy's share (%) of saturated hidden units, over all its hidden
        nonlinearities (equally wide, so the mean of theirs); NaN once a copy diverged."""
        history = self.trainer.saturation_history
        return history.steps, _saturated_pct(history.values, self.copies)

    def last_saturation(self) -> torch.Tensor | None:
        """(K,) each copy's saturated share at the last statistics step (None before one)."""
        last = self.trainer.saturation_history.last()
        return None if last is None else _saturated_pct(last[None], self.copies)[0]

    def loss_frame(self) -> pd.DataFrame:
        """Long-form training losses: step, copy (its label), value (of the setting), loss."""
        return self._frame(self.loss_history.steps, self.loss_history.values, "loss")

    def saturation_frame(self) -> pd.DataFrame:
        """Long-form saturation: step, copy, value, saturated_pct (share of hidden units with |h| > 0.97)."""
        return self._frame(*self.saturation(), "saturated_pct")

    def _frame(self, steps: torch.Tensor, values: torch.Tensor, column: str) -> pd.DataFrame:
        steps, values = steps.numpy(), values.numpy()
        frame = pd.DataFrame({
            "step": steps.repeat(self.copies),
            "copy": self.labels * len(steps),
            "value": self.values * len(steps),
            column: values.reshape(-1),
        })
        return frame[frame[column].notna()].reset_index(drop=True)

    def recent_losses(self, steps: int | None = None) -> list[float]:
        """Each copy's mean training loss over its last `steps` steps (default: the last tenth of the run, at
        least 50): the level its noisy minibatch losses sit at, where the last step's loss is one noisy draw.
        NaN for a copy that diverged."""
        history = self.loss_history
        if not len(history):
            return [float("nan")] * self.copies
        steps = steps or max(50, self.step // 10)
        recent = history.values[history.steps >= self.step - steps]
        return recent.mean(0).tolist()

    def evaluate(self, split: str) -> list[float]:
        """Each copy's mean negative log likelihood on a split (eval mode: BatchNorm's running stats)."""
        return [self.trainer.evaluate(split, copy=k) for k in range(self.copies)]


def _saturated_pct(rows: torch.Tensor, copies: int) -> torch.Tensor:
    """(n, K): from the trainer's saturation rows (n, K * n_nonlinearities * 2) of (saturated %, std)."""
    return rows.reshape(len(rows), copies, rows.shape[1] // (2 * copies), 2)[..., 0].mean(-1)


@contextmanager
def intra_op_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads set to `threads` for the block (None: left as they are), then restored.

    torch keeps the setting per thread (OpenMP's): threads already at work keep theirs; one that
    starts torch work while the block runs takes the new value.
    """
    before = torch.get_num_threads()
    if threads is None or threads == before:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
