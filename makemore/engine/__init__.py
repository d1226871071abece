"""The fast engine: the lecture layers' math in a few fused operations, with a hand-written backward.

One engine for one run and for sweeps: its stages (stages.py) run K copies of a network at once
(one run is K = 1); fast_step.py says what it fuses and why; flat.py keeps every weight in one buffer.
"""
from .fast_step import FastStep, supports, unsupported_reason

__all__ = ["FastStep", "supports", "unsupported_reason"]
