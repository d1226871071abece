"""What every model shares: the interface the trainer, diagnostics and sampler use.

Every model answers `forward(idx, targets=None) -> (logits, loss)`, knows its `block_size`
(how many previous tokens it reads) and lists its inspectable `layers`, so that training,
evaluation, diagnostics and sampling never ask which model they hold. Parameters are drawn
from the generator in the order the lecture creates them, so a lecture seed gives the
lecture's numbers.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import ClassVar

import torch
import torch.nn as nn
import torch.nn.functional as F

EVAL_CHUNK = 16384  # examples per forward pass when evaluating a whole split


class ConfigError(ValueError):
    """A model configuration that cannot be built, with a message meant for people."""


def layers_of(model: nn.Module) -> list[nn.Module]:
    """A model's lecture layer list (numbered as in the notebooks); empty when it has none."""
    return list(getattr(model, "layers", []))


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean negative log likelihood; works for (B, V) logits and (B, T, V) with -1 = ignore."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)


@contextmanager
def evaluating(model: nn.Module):
    """Eval mode (BatchNorm uses its running statistics) and no grad, restoring the mode after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


class LanguageModel(nn.Module):
    """What every model shares: the interface the trainer, diagnostics and sampler use."""

    config: object
    fits_by_counting: ClassVar[bool] = False  # True: trained by counting, not by gradient steps

    @property
    def block_size(self) -> int:
        return self.config.block_size

    def examples(self, data, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(X, Y) of a split in the form this model trains on: context windows by default."""
        return data.windows(split, self.block_size)

    def penalty(self) -> torch.Tensor | float:
        """A regularization term added to the training loss (0 unless the family has one)."""
        return 0.0

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.logits(idx)
        if targets is None:
            return logits, None
        return logits, cross_entropy(logits, targets) + self.penalty()

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def context_for(self, generated: list[int]) -> torch.Tensor:
        """The model's input after `generated` tokens: the last block_size tokens, boundary-padded."""
        window = ([0] * self.block_size + generated)[-self.block_size:]
        return torch.tensor([window], device=self.device)

    @property
    def device(self) -> torch.device:
        buffers = list(self.parameters()) + list(self.buffers())
        return buffers[0].device if buffers else torch.device("cpu")

    def next_token_probs(self, context: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """(1, block_size) context -> (1, vocab) probabilities of the next token."""
        logits = self.logits(context)
        return F.softmax(logits / temperature, dim=-1)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def mean_nll(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        """Mean negative log likelihood over (X, Y) in eval mode, chunked to bound memory."""
        total = 0.0
        with evaluating(self):
            for start in range(0, X.shape[0], EVAL_CHUNK):
                xb = X[start:start + EVAL_CHUNK].to(self.device)
                yb = Y[start:start + EVAL_CHUNK].to(self.device)
                total += cross_entropy(self.logits(xb), yb).double().item() * xb.shape[0]
        return total / X.shape[0]
