"""Training: the step-wise trainer, the ways to compute a step's gradients, sweeps of several copies.

`Trainer.advance(n)` runs the lectures' loop n steps at a time (so a page can pause and redraw);
its stepper computes each step: the fast engine (makemore/engine), autograd through the lecture
layers, or part 4's hand-written backward (`by_hand`).
"""
from .trainer import TrainConfig, Trainer, advance_within, build_trainer

__all__ = ["Trainer", "TrainConfig", "advance_within", "build_trainer"]
