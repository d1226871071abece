"""The Generate page's helpers: any one sample traced step by step, a names file, quick preset training."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import torch

from ..data import Vocabulary
from ..models import evaluating
from ..sampling import DEFAULT_MAX_LENGTH, Sample, SampleStep, sample_one
from .data import visible


def trace_nth(model, vocab: Vocabulary, seed: int, index: int, temperature: float = 1.0,
              max_length: int = DEFAULT_MAX_LENGTH) -> tuple[str, list[SampleStep]]:
    """The index-th name (from 0) that `sample_names` draws with this seed, with every step's probabilities."""
    generator = torch.Generator().manual_seed(seed)
    with evaluating(model):
        for _ in range(index):
            sample_one(model, vocab, generator, temperature, max_length)
        name, _, steps = sample_one(model, vocab, generator, temperature, max_length, trace=True)
    return name, steps


def step_frame(step: SampleStep, vocab: Vocabulary, top: int = 30) -> pd.DataFrame:
    """One step's next-token probabilities: token, label, prob, chosen; the `top` most likely (and the pick)."""
    probs = step.probs.double()
    keep = torch.argsort(probs, descending=True)[:top].tolist()
    if step.chosen not in keep:
        keep[-1] = step.chosen
    keep.sort()  # vocabulary order, as the lecture's tables
    itos = vocab.itos
    return pd.DataFrame({"token": keep, "label": [visible(itos[i]) for i in keep],
                         "prob": probs[keep].numpy(), "chosen": [i == step.chosen for i in keep]})


def names_text(samples: list[Sample]) -> str:
    """The names one per line, as a downloadable text file."""
    return "".join(f"{sample.name}\n" for sample in samples)


def quick_schedule(preset, steps: int):
    """A preset's training shortened to `steps` (the lr drop kept at half way).

    Counting presets and full-batch ones keep their own schedule (they are quick already).
    """
    train = preset.train
    if preset.model.family == "ngram" or train.batch_size is None:
        return train
    return replace(train, steps=steps, lr_decay_at=steps // 2 if train.lr_decay_at is not None else None,
                   stats_every=0)

