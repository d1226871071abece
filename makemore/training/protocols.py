"""What the training loop and the pages rely on, declared: `Stepper` and `Trainable`.

A `Stepper` computes the steps of a `Trainer`: the fast engine (`engine.FastStep`, one run or K
copies), autograd through the lecture layers (`AutogradStep`) or part 4's hand-written backward
(`by_hand.ByHandStep`). A `Trainable` is what a page trains in short chunks: a `Trainer`, a `Sweep`
of copies, the Backprop page's `Twins`.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

from ..stats.diagnostics import Snapshot


class Recording(Protocol):
    """What a stepper keeps of a recorded step until its statistics are computed."""
    step: int


@runtime_checkable
class Stepper(Protocol):
    pending_limit: int  # recordings `statistics` may be given at once (the trainer computes them then)

    def batches(self, Xs: torch.Tensor, Ys: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        """A chunk of n minibatches (Xs (n, B, ...), Ys (n, B)) in the form `step` takes."""

    def step(self, batch: tuple[torch.Tensor, ...], lr: float, record: bool = False) -> torch.Tensor:
        """One update; returns the loss before it (0-dim, or (K,) for K copies). `record`: keep what
        `record` needs."""

    def record(self, step: int, lr: float) -> Recording:
        """Keep what the statistics of the step just taken (with record=True) need."""

    def statistics(self, recordings: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """(k, n_params) log10 update:data ratios and (k, K, n_nonlinearities, 2) saturation % and std."""

    def snapshot(self, recording: Any, update_log10: torch.Tensor) -> Snapshot:
        """The diagnostics picture of the last recorded step (of one run)."""

    def keep_outputs(self) -> None:
        """Leave each lecture layer's last output in its `.out`, as the lecture's modules do."""


@runtime_checkable
class Trainable(Protocol):
    """Something a page trains a chunk at a time, and whose progress it shows."""

    @property
    def step(self) -> int: ...

    @property
    def done(self) -> bool: ...

    def advance(self, n: int) -> int:
        """Train up to n more steps; return how many were taken."""

    def advance_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` (at least one chunk, at most max_steps); return the steps taken."""
