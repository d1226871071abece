"""The fast engine: the lecture layers' math in a few fused operations, with a hand-written backward.

See fast_step.py for what it fuses and why; flat.py keeps every weight in one buffer.
"""
from .fast_step import FastStep, supports, unsupported_reason

__all__ = ["FastStep", "supports", "unsupported_reason"]
