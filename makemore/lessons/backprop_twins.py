"""Part 4's MLP trained twice side by side: once by the hand-written backward pass, once by autograd.

Both twins start from the same initialization and draw the same minibatches (same seed), and both
run the lecture's own operations (`TrainConfig.gradients` "by_hand" and "autograd", not the fused
engine), so their loss curves should coincide up to float32 rounding: the proof that the
hand-written gradients are right. Whether they are training is the page's to know.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import partial

import pandas as pd

from ..training import TrainConfig, Trainer, build_trainer
from ..training.by_hand import ByHandStep
from . import backprop

BACKWARDS = ("hand-written", "autograd")  # how each twin gets its gradients


@dataclass
class Twins:
    manual: Trainer  # gradients from by_hand.fused_gradients
    autograd: Trainer  # gradients from loss.backward()
    results: pd.DataFrame = field(default_factory=pd.DataFrame)  # split losses of both, see `evaluate`
    results_step: int = -1  # the step `results` were measured at

    @property
    def step(self) -> int:
        return self.manual.step

    @property
    def done(self) -> bool:
        return self.manual.done or self.autograd.done

    @property
    def trainers(self) -> dict[str, Trainer]:
        return dict(zip(BACKWARDS, (self.manual, self.autograd)))

    def advance(self, n: int) -> int:
        """n steps of both twins (fewer at the end of the schedule); returns how many."""
        done = self.manual.advance(n)
        self.autograd.advance(done)
        return done

    def advance_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train both twins the same number of steps in about `seconds`.

        The hand-written twin gets the share of the time it has needed so far, then the autograd
        twin catches up with it, so the two never drift apart by a step.
        """
        spent = self.manual.seconds + self.autograd.seconds
        share = self.manual.seconds / spent if spent > 0 else 0.5
        done = self.manual.advance_for(seconds * share, max_steps)
        self.autograd.advance(done)
        return done


def build_twins(model_config, train_config: TrainConfig, data, seed: int, device: str = "cpu",
                mistake: str | None = None) -> Twins:
    """Two fresh copies of the part-4 MLP (same seed): one trained by hand, one by autograd.

    mistake: one of backprop.MISTAKES, planted in the hand-written twin's backward pass (then it is
    exercise 1's step-by-step backward, the one the mistakes live in, instead of the one-go formulas).
    """
    by_hand = replace(train_config, gradients="by_hand")
    stepper = None
    if mistake is not None:
        backprop.check_mistake(mistake)
        stepper = partial(ByHandStep, gradients=partial(backprop.step_by_step_gradients, mistake=mistake))
    return Twins(build_trainer(model_config, by_hand, data, seed, device, stepper),
                 build_trainer(model_config, replace(train_config, gradients="autograd"), data, seed, device))


def loss_frame(twins: Twins) -> pd.DataFrame:
    """Both loss curves in long form: step, loss, backward."""
    parts = []
    for backward, trainer in twins.trainers.items():
        history = trainer.loss_history
        parts.append(pd.DataFrame({"step": history.steps.numpy(), "loss": history.values[:, 0].numpy(),
                                   "backward": backward}))
    return pd.concat(parts, ignore_index=True)


def largest_gap(twins: Twins) -> float:
    """The largest |difference| between the two recorded loss curves (nan before the first step)."""
    a, b = (t.loss_history.values[:, 0] for t in (twins.manual, twins.autograd))
    n = min(len(a), len(b))
    return float((a[:n] - b[:n]).abs().max()) if n else math.nan


def evaluate(twins: Twins) -> pd.DataFrame:
    """Train and dev loss of both twins on the whole splits (rows: split; columns: backward); kept in results."""
    twins.results = pd.DataFrame({backward: {split: trainer.evaluate(split) for split in ("train", "dev")
                                             if split in trainer.data.splits}
                                  for backward, trainer in twins.trainers.items()})
    twins.results_step = twins.step
    return twins.results
