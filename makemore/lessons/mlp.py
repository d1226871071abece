"""Part 2's helpers: the learning-rate finder and the embedding plot.

The learning-rate finder is one short run whose lr grows exponentially, loss against lr.

As in the lecture, step i uses lr = 10 ** exponents[i] with the exponents evenly spaced from
`low` to `high`. Where the loss is lowest, before it turns up, is a good learning rate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..data import WordData
from ..training import TrainConfig, build_trainer
from .data import is_vowel, visible

SWEEP_STEPS = 1000  # the lecture's sweep length
SMOOTHING_WINDOW = 0.05  # share of the sweep averaged into each point of the smoothed curve
VALLEY_TOLERANCE = 0.10  # the suggested range: where the smoothed loss is within 10% of its minimum


@dataclass(frozen=True)
class Suggestion:
    low: float  # the suggested range of learning rates
    high: float
    lr: float  # the pick: the range's left edge, the lecture's choice (larger risks instability)


def lr_sweep(model_config, data: WordData, seed: int, batch_size: int | None = 32, steps: int = SWEEP_STEPS,
             low: float = -3.0, high: float = 0.0, device: str = "cpu") -> pd.DataFrame:
    """Train a fresh model `steps` steps, raising lr from 10**low to 10**high: step, exponent, lr, loss.

    The sweep stops early if the loss diverges (NaN or exploding): the curve then ends there.
    """
    exponents = torch.linspace(low, high, steps)
    config = TrainConfig(steps=steps, batch_size=batch_size, lr=10**low, lr_decay_at=None, stats_every=0)
    trainer = build_trainer(model_config, config, data, seed, device)
    for exponent in exponents.tolist():
        trainer.set_lr(10**exponent)
        if trainer.advance(1) == 0:
            break
    history = trainer.loss_history
    n = len(history)
    frame = pd.DataFrame({"step": history.steps.numpy(), "exponent": exponents[:n].numpy(),
                          "loss": history.values[:, 0].numpy()})
    frame["lr"] = 10.0 ** frame["exponent"]
    window = max(1, int(len(frame) * SMOOTHING_WINDOW))
    frame["smoothed"] = frame["loss"].rolling(window, min_periods=1, center=True).mean()
    return frame


def suggest(frame: pd.DataFrame) -> Suggestion | None:
    """The valley of the smoothed curve: the lrs around its lowest point whose loss is within 10% of it."""
    if frame.empty:
        return None
    smoothed = frame["smoothed"].to_numpy()
    best = int(np.nanargmin(smoothed))
    limit = smoothed[best] * (1 + VALLEY_TOLERANCE)
    left = best
    while left > 0 and smoothed[left - 1] <= limit:
        left -= 1
    right = best
    while right < len(smoothed) - 1 and smoothed[right + 1] <= limit:
        right += 1
    lrs = frame["lr"].to_numpy()
    return Suggestion(float(lrs[left]), float(lrs[right]), float(lrs[left]))

# ------------------------------------------------------------------------------ the embedding plot
def plane_coordinates(C: torch.Tensor) -> tuple[torch.Tensor, str]:
    """(V, 2) coordinates of the rows of C and what the axes are.

    A 2-D embedding is shown as it is (the lecture's figure); a wider one by its first two
    principal components, each direction's sign fixed so the picture does not flip as it trains.
    """
    C = C.detach().float().cpu()
    if C.shape[1] == 2:
        return C, "embedding dimension"
    if C.shape[1] == 1:
        return torch.cat([C, torch.zeros_like(C)], 1), "embedding dimension"
    centered = C - C.mean(0, keepdim=True)
    _, _, Vh = torch.linalg.svd(centered, full_matrices=False)
    directions = Vh[:2]
    signs = torch.sign(directions.gather(1, directions.abs().argmax(1, keepdim=True)))
    return centered @ (directions * signs).T, "principal component"


def embedding_frame(C: torch.Tensor, itos) -> tuple[pd.DataFrame, str]:
    """char, label, kind (boundary / vowel / other), x, y for every token; and the axes' name."""
    xy, axis = plane_coordinates(C)
    kinds = ["boundary" if i == 0 else ("vowel" if is_vowel(ch) else "other") for i, ch in enumerate(itos)]
    frame = pd.DataFrame({"char": list(itos), "label": [visible(ch) for ch in itos], "kind": kinds,
                          "x": xy[:, 0].numpy(), "y": xy[:, 1].numpy()})
    return frame, axis


def grown_extent(frame: pd.DataFrame, previous: tuple[float, float, float, float] | None = None
                 ) -> tuple[float, float, float, float]:
    """(x min, x max, y min, y max) of the embedding frame's dots and of `previous`: axes for a plot that
    redraws while it trains, which only widen, so the dots move on still axes instead of the axes
    rescaling to them at every redraw (and a cluster that tightens is seen to tighten)."""
    extent = (float(frame["x"].min()), float(frame["x"].max()), float(frame["y"].min()), float(frame["y"].max()))
    if previous is None:
        return extent
    return (min(extent[0], previous[0]), max(extent[1], previous[1]), min(extent[2], previous[2]),
            max(extent[3], previous[3]))
