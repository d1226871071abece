"""Training: the step-wise trainer, the ways to compute a step's gradients, sweeps of several copies.

`Trainer.advance(n)` runs the lectures' loop n steps at a time (so a page can pause and redraw);
its stepper computes each step, as `TrainConfig.gradients` says: the fast engine (makemore/engine),
autograd through the lecture layers (`autograd_step`), or part 4's hand-written backward (`by_hand`).
A `Sweep` (sweep.py) trains K copies of one net on one trainer. protocols.py declares what a stepper
and what a page's trainable object provide.
"""
from .protocols import Stepper, Trainable
from .trainer import GRADIENTS, Progress, TrainConfig, Trainer, advance_within, build_trainer, train_config_from_dict

__all__ = ["Trainer", "TrainConfig", "Progress", "GRADIENTS", "advance_within", "build_trainer", "train_config_from_dict",
           "Stepper", "Trainable"]
