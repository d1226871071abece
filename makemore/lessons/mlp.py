"""Part 2's helpers: the learning-rate finder and the embedding plot.

The learning-rate finder is one short run whose lr grows exponentially, loss against lr.

As in the lecture, step i uses lr = 10 ** exponents[i] with the exponents evenly spaced from
`low` to `high`. Where the loss is lowest, before it turns up, is a good learning rate.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

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


# ------------------------------------------------------------------------------ overfit one batch
OVERFIT_WORDS = 5  # the lecture's first check trains on the first five names: 32 examples for names.txt
OVERFIT_STEPS = 1000
OVERFIT_LR = 0.1


@dataclass(frozen=True)
class Overfit:
    """A network trained on one small batch until it has learned what it can of it."""
    losses: pd.DataFrame  # step, loss
    examples: pd.DataFrame  # context, target, predicted, p(target): one row per example
    floor: float  # the lowest mean loss any model can reach on the batch (identical contexts, other targets)
    params: int

    @property
    def final_loss(self) -> float:
        return float(self.losses["loss"].iloc[-1])

    @property
    def correct(self) -> int:
        return int((self.examples["target"] == self.examples["predicted"]).sum())


def first_words_batch(data: WordData, words: int = OVERFIT_WORDS) -> WordData:
    """The list's first words (in file order) as a word list of their own, all of it one training split."""
    return replace(WordData.from_words(data.words[:words], split="none"), vocab=data.vocab)


def loss_floor(X: torch.Tensor, Y: torch.Tensor) -> float:
    """The mean NLL of the best possible prediction: each distinct context's targets in their proportions
    (a context seen with several targets cannot give each of them probability 1)."""
    rows = {}
    for context, target in zip(map(tuple, X.tolist()), Y.tolist()):
        rows.setdefault(context, []).append(target)
    total = 0.0
    for targets in rows.values():
        counts = np.bincount(targets)
        p = counts[counts > 0] / len(targets)
        total -= float((counts[counts > 0] * np.log(p)).sum())
    return total / len(Y)


def overfit_one_batch(model_config, data: WordData, seed: int, steps: int = OVERFIT_STEPS,
                      lr: float = OVERFIT_LR, device: str = "cpu") -> Overfit:
    """The lecture's sanity check: the network trained full-batch on the first words' examples alone. Its
    loss falls towards `loss_floor`, not 0: the lecture's "..." contexts start several names."""
    batch = first_words_batch(data)
    config = TrainConfig(steps=steps, batch_size=None, lr=lr, lr_decay_at=None, stats_every=0)
    trainer = build_trainer(model_config, config, batch, seed, device)
    trainer.advance(steps)
    X, Y = trainer.X.cpu(), trainer.Y.cpu()
    history = trainer.loss_history
    with torch.no_grad():
        probs = torch.softmax(trainer.model.logits(trainer.X), -1).cpu()
    itos = data.vocab.itos
    examples = pd.DataFrame({
        "context": ["".join(visible(itos[i]) for i in row) for row in X.tolist()],
        "target": [visible(itos[i]) for i in Y.tolist()],
        "predicted": [visible(itos[i]) for i in probs.argmax(1).tolist()],
        "p(target)": probs[torch.arange(len(Y)), Y].tolist()})
    losses = pd.DataFrame({"step": history.steps.numpy(), "loss": history.values[:, 0].numpy()})
    return Overfit(losses, examples, loss_floor(X, Y), trainer.model.num_params())
