"""Part 1's models: the n-gram counting model and the neural bigram that learns the same table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn as nn

from .base import ConfigError, LanguageModel

MAX_COUNT_TABLE = 20_000_000  # entries of an n-gram count table before we refuse to build it


@dataclass
class NGramConfig:
    """Part 1's counting model: P(next | previous block_size tokens) from smoothed counts."""
    family: ClassVar[str] = "ngram"
    vocab_size: int = 27
    block_size: int = 1  # context length: 1 = bigram, 2 = trigram
    smoothing: float = 1.0  # fake counts added to every cell ("model smoothing")


def context_rows(idx: torch.Tensor, vocab_size: int, block_size: int) -> torch.Tensor:
    """The count-table row of each context (the last block_size tokens read as a base-vocab number)."""
    weights = vocab_size ** torch.arange(block_size - 1, -1, -1, device=idx.device)
    return (idx[:, -block_size:] * weights).sum(1)


def lecture_mean_nll(logprobs: torch.Tensor) -> float:
    """-mean of float32 log-probabilities summed one by one, like the lecture's `+=` loop."""
    running = np.add.accumulate(logprobs.float().cpu().numpy(), dtype=np.float32)
    return float(-running[-1] / len(running))


class NGramCounts(LanguageModel):
    """Counts of (context, next) pairs; P = (N + smoothing) row-normalized."""
    fits_by_counting = True

    def __init__(self, config: NGramConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        rows = config.vocab_size ** config.block_size
        if rows * config.vocab_size > MAX_COUNT_TABLE:
            raise ConfigError(
                f"a {config.block_size + 1}-gram table over {config.vocab_size} characters would have "
                f"{rows * config.vocab_size:,} cells; use a shorter context or a smaller vocabulary."
            )
        self.register_buffer("N", torch.zeros((rows, config.vocab_size), dtype=torch.int64))
        self._P_for, self._P = None, None  # P and the (counts version, storage, smoothing) it was made from

    def row_index(self, idx: torch.Tensor) -> torch.Tensor:
        """The count-table row of each context: the context read as a base-vocab number."""
        return context_rows(idx, self.config.vocab_size, self.block_size)

    def fit(self, X: torch.Tensor, Y: torch.Tensor) -> None:
        self.N.zero_()
        self.N.index_put_((self.row_index(X), Y), torch.ones_like(Y), accumulate=True)

    @property
    def P(self) -> torch.Tensor:
        """Row-normalized smoothed counts; a context never seen (a zero row, smoothing 0) is uniform.

        Made once per state of the counts (a trigram's table can have millions of cells, and
        sampling asks for it at every character); any change to N or the smoothing makes it anew.
        """
        made_from = (self.N._version, self.N.data_ptr(), self.config.smoothing)
        if made_from != self._P_for:
            P = (self.N + self.config.smoothing).float()
            totals = P.sum(1, keepdim=True)
            self._P = torch.where(totals > 0, P / totals.clamp_min(1e-30), 1.0 / P.shape[1])
            self._P_for = made_from
        return self._P

    def logits(self, idx):
        return self.P[self.row_index(idx)].log()

    def num_params(self) -> int:
        return self.N.numel()  # the counts are this model's parameters

    def mean_nll(self, X, Y) -> float:
        """The lecture's loop: log-probabilities summed one by one in float32, then / n.

        This running float32 sum is how the lecture printed 2.4544 for names.txt; summed
        exactly, the same log-probabilities average 2.45458.
        """
        return lecture_mean_nll(self.P[self.row_index(X.to(self.device)), Y.to(self.device)].log())

    def next_token_probs(self, context, temperature=1.0):
        p = self.P[self.row_index(context)]
        if temperature != 1.0:
            p = p ** (1.0 / temperature)
            p = p / p.sum(-1, keepdim=True)
        return p


@dataclass
class NeuralBigramConfig:
    """Part 1's neural bigram: one-hot(previous char) @ W, trained by gradient descent."""
    family: ClassVar[str] = "bigram_nn"
    vocab_size: int = 27
    block_size: int = 1  # always 1: a bigram model reads one previous token
    regularization: float = 0.01  # weight of (W**2).mean() in the loss: smoothing's counterpart


class NeuralBigram(LanguageModel):
    def __init__(self, config: NeuralBigramConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        self.W = nn.Parameter(torch.randn((config.vocab_size, config.vocab_size), generator=generator))

    def logits(self, idx):
        # one_hot(idx) @ W picks row idx of W: indexing gives the same numbers without the
        # (B, V) one-hot matrix, which matters for full-batch steps over 228K bigrams
        return self.W[idx[:, -1]]  # log-counts

    def penalty(self):
        return self.config.regularization * (self.W**2).mean()
