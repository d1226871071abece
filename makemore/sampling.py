"""Make more: draw names from a trained model, one character at a time, as the lectures do."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .data import Vocabulary
from .models import evaluating

DEFAULT_MAX_LENGTH = 100  # characters before a sample is cut off (high temperatures ramble)


@dataclass
class Sample:
    name: str  # the generated characters, without the boundary token
    in_data: bool | None  # already in the training words (None: no words to compare with)
    truncated: bool = False  # cut off at max_length before the model ended it


@dataclass
class SampleStep:
    context: str  # what the model saw (boundary-padded)
    probs: torch.Tensor  # (vocab,) next-token probabilities
    chosen: int  # the token drawn


def sample_one(model, vocab: Vocabulary, generator: torch.Generator, temperature: float = 1.0,
               max_length: int = DEFAULT_MAX_LENGTH, trace: bool = False) -> tuple[str, bool, list[SampleStep]]:
    """Draw one name: one torch.multinomial(p, 1, generator=g) per character until the boundary."""
    generated: list[int] = []
    steps: list[SampleStep] = []
    while len(generated) < max_length:
        context = model.context_for(generated)
        probs = model.next_token_probs(context, temperature)
        ix = torch.multinomial(probs.cpu(), num_samples=1, replacement=True, generator=generator).item()
        if trace:
            steps.append(SampleStep(vocab.decode(context[0, -model.block_size:].tolist()), probs[0].cpu(), ix))
        if ix == 0:
            return vocab.decode(generated), False, steps
        generated.append(ix)
    return vocab.decode(generated), True, steps


def sample_names(model, vocab: Vocabulary, n: int = 20, seed: int = 2147483647 + 10,
                 temperature: float = 1.0, known_words=None,
                 max_length: int = DEFAULT_MAX_LENGTH) -> list[Sample]:
    """n names from a generator seeded `seed`: the same seed always gives the same names."""
    if not temperature > 0:
        raise ValueError("temperature must be above 0 (1 samples the model as trained)")
    known = set(known_words) if known_words is not None else None
    generator = torch.Generator().manual_seed(seed)
    samples = []
    with evaluating(model):
        for _ in range(n):
            name, truncated, _ = sample_one(model, vocab, generator, temperature, max_length)
            samples.append(Sample(name, (name in known) if known is not None else None, truncated))
    return samples
