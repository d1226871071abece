"""Part 1's counting models as the pages use them: count tables, smoothing, NLL per split.

The counts N depend only on the words; the smoothing only on how N is turned into P. So a
page counts once (and caches N) and builds a model for any smoothing from it instantly.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..data import WordData, build_windows
from ..models import NGramConfig, NGramCounts, context_rows, lecture_mean_nll
from .data import visible

MODEL_NAMES = {1: "bigram", 2: "trigram"}
SMOOTHINGS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)  # the slider's log scale
SWEEP_SMOOTHINGS = tuple(sorted(set(SMOOTHINGS[1:]) | set(np.round(np.logspace(-2, 2, 25), 4))))


def count_table(words: list[str], vocab, block_size: int) -> torch.Tensor:
    """N: how often each (context, next) pair occurs; one row per context (read as a base-vocab number)."""
    model = NGramCounts(NGramConfig(vocab.size, block_size))
    model.fit(*build_windows(words, vocab, block_size))
    return model.N


def counting_model(N: torch.Tensor, block_size: int, smoothing: float) -> NGramCounts:
    """An n-gram model with the counts N and P = (N + smoothing) row-normalized."""
    model = NGramCounts(NGramConfig(N.shape[1], block_size, float(smoothing)))
    model.N.copy_(N)
    return model


def split_nlls(model: NGramCounts, data: WordData) -> dict[str, float]:
    """The lecture's mean NLL of every split of the data.

    Without smoothing, a context never counted has a row of 0/0: nothing can follow it, so its
    examples are impossible and the NLL is infinite (not NaN).
    """
    nlls = {split: model.mean_nll(*data.windows(split, model.block_size)) for split in data.split_names}
    return {split: math.inf if math.isnan(nll) else nll for split, nll in nlls.items()}


def exact_mean_nll(model: NGramCounts, X: torch.Tensor, Y: torch.Tensor) -> float:
    """The mean NLL summed in float64 (the lecture's float32 running sum drifts in the 4th decimal)."""
    logprobs = model.P[model.row_index(X), Y].double().log()
    return float(-logprobs.mean())


def smoothing_sweep(tables: dict[int, torch.Tensor], data: WordData,
                    smoothings=SWEEP_SMOOTHINGS, splits=("train", "dev")) -> pd.DataFrame:
    """NLL of each model (block size -> counts) at each smoothing (> 0): model, smoothing, split, nll.

    A smoothed probability needs only its pair's count and its context's total, (n + s) / (total
    + s * V), so each split's examples are looked up once, not a whole table normalized per
    smoothing (a trigram over 178 characters has 5.6 million cells).
    """
    rows = []
    for block_size, N in tables.items():
        V, totals = N.shape[1], N.sum(1)
        looked_up = {}
        for split in splits:
            if split in data.splits:
                X, Y = data.windows(split, block_size)
                context = context_rows(X, V, block_size)
                looked_up[split] = (N[context, Y].double(), totals[context].double())
        for smoothing in smoothings:
            for split, (pair_counts, context_totals) in looked_up.items():
                probs = ((pair_counts + smoothing) / (context_totals + smoothing * V)).float()
                rows.append((MODEL_NAMES.get(block_size, f"{block_size + 1}-gram"), smoothing, split,
                             lecture_mean_nll(probs.log())))
    return pd.DataFrame(rows, columns=["model", "smoothing", "split", "nll"])


def best_smoothing(sweep: pd.DataFrame, model: str, split: str = "dev") -> float:
    """The smoothing with the lowest NLL of one model on one split (exercise 3's tuning)."""
    rows = sweep[(sweep["model"] == model) & (sweep["split"] == split)]
    return float(rows.loc[rows["nll"].idxmin(), "smoothing"])


def frequent_tokens(N: torch.Tensor, keep: int) -> list[int]:
    """The boundary (0) and the keep - 1 most frequent tokens of a bigram table, in vocabulary order."""
    if N.shape[0] <= keep:
        return list(range(N.shape[0]))
    usage = N.sum(0) + N.sum(1)
    usage[0] = -1  # the boundary is always kept, first
    top = torch.topk(usage, keep - 1).indices.tolist()
    return [0] + sorted(top)


def matrix_frame(values: torch.Tensor, itos, tokens: list[int]) -> pd.DataFrame:
    """A (V, V) bigram matrix restricted to `tokens`, long form: first, second, pair, value, order."""
    labels = [visible(itos[i]) for i in tokens]
    sub = values[tokens][:, tokens].double().cpu().numpy()
    n = len(tokens)
    first = np.repeat(labels, n)
    second = np.tile(labels, n)
    return pd.DataFrame({"first": first, "second": second, "pair": np.char.add(first, second),
                         "value": sub.flatten(), "row": np.repeat(np.arange(n), n), "col": np.tile(np.arange(n), n)})


def row_normalized(M: torch.Tensor) -> torch.Tensor:
    """Each row divided by its sum (rows of zeros stay zero)."""
    M = M.double()
    sums = M.sum(1, keepdim=True)
    return torch.where(sums > 0, M / sums.clamp_min(1e-300), torch.zeros_like(M))


# ------------------------------------------------------------------------------ broadcasting: keepdim=True
def normalized_both_ways(N: torch.Tensor, smoothing: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """P = (N + smoothing) / its row sums, right (`P.sum(1, keepdim=True)`: a (V, 1) column, stretched along
    each row) and wrong (`P.sum(1)`: a (V,) row, stretched down each column: cell [i, j] / row j's sum)."""
    P = (N + smoothing).float()
    return P / P.sum(1, keepdim=True), P / P.sum(1)


def row_sums_frame(right: torch.Tensor, wrong: torch.Tensor, itos, tokens: list[int]) -> pd.DataFrame:
    """previous character, and each table's row sum (1 for a probability table) and column sum."""
    return pd.DataFrame({"previous": [visible(itos[i]) for i in tokens],
                         "keepdim=True: row sum": right.sum(1)[tokens].tolist(),
                         "without keepdim: row sum": wrong.sum(1)[tokens].tolist(),
                         "without keepdim: column sum": wrong.sum(0)[tokens].tolist()})


class ProbabilityTable(NGramCounts):
    """A bigram model given by its table (rows that do not sum to 1 are sampled as torch.multinomial does:
    each row's weights divided by their sum)."""

    def __init__(self, P: torch.Tensor) -> None:
        super().__init__(NGramConfig(P.shape[1], 1, 0.0))
        self.table = P

    @property
    def P(self) -> torch.Tensor:
        return self.table

    def next_token_probs(self, context, temperature=1.0):
        row = self.table[self.row_index(context)]
        return row / row.sum(-1, keepdim=True)


# ------------------------------------------------------------------------------ from likelihood to NLL
@dataclass(frozen=True)
class WordLikelihood:
    pairs: pd.DataFrame  # bigram, P, log P: one row per pair of the framed word
    log_likelihood: float  # sum of log P
    nll: float  # -log_likelihood
    mean_nll: float  # nll / pairs: the loss

    @property
    def n(self) -> int:
        return len(self.pairs)


def word_likelihood(model: NGramCounts, word: str, vocab) -> WordLikelihood:
    """The lecture's loop on one word: each bigram's probability and log, their sum, its negative and
    mean (float64 sums: one word's few terms need no float32 running sum)."""
    X, Y = build_windows([word], vocab, 1)
    probs = model.P[model.row_index(X), Y].double()
    chars = [vocab.boundary, *word, vocab.boundary]
    logs = probs.log()
    pairs = pd.DataFrame({"bigram": [visible(a) + visible(b) for a, b in zip(chars, chars[1:])],
                          "P": probs.tolist(), "log P": logs.tolist()})
    total = float(logs.sum())
    return WordLikelihood(pairs, total, -total, -total / len(pairs))


def unknown_characters(word: str, vocab) -> list[str]:
    """The characters of `word` the vocabulary lacks (the boundary token included: it only frames words)."""
    return sorted(set(word) - set(vocab.chars))


# ------------------------------------------------------------------------------ exercises 4 and 5
TIMINGS = 5  # calls timed per way; the best one counts (the first pays for warming up)


def timed(fn, repeats: int = TIMINGS) -> tuple[torch.Tensor, float]:
    """fn's result and its best time over `repeats` calls, in seconds."""
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


@dataclass(frozen=True)
class Race:
    """Two ways to one result: how far apart they are and how long each took."""
    first: torch.Tensor
    second: torch.Tensor
    first_seconds: float
    second_seconds: float

    @property
    def maxdiff(self) -> float:
        return (self.first - self.second).abs().max().item()


def onehot_vs_index(W: torch.Tensor, xs: torch.Tensor, repeats: int = TIMINGS) -> Race:
    """Exercise 4: the logits `F.one_hot(xs).float() @ W` and `W[xs]`, the same numbers, and their times."""
    W = W.detach()
    onehot, t1 = timed(lambda: F.one_hot(xs, num_classes=W.shape[0]).float() @ W, repeats)
    indexed, t2 = timed(lambda: W[xs], repeats)
    return Race(onehot, indexed, t1, t2)


def by_hand_nll(logits: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Part 1's loss as the lecture first wrote it: counts = exp, probs = counts / row sums, -mean log."""
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdim=True)
    return -probs[torch.arange(ys.shape[0]), ys].log().mean()


def cross_entropy_vs_by_hand(logits: torch.Tensor, ys: torch.Tensor, scale: float = 1.0,
                             repeats: int = TIMINGS) -> Race:
    """Exercise 5: `F.cross_entropy` against the hand-made softmax, log and mean on logits * scale. Large
    logits overflow exp() in the hand-made one (inf / inf = nan); cross_entropy subtracts each row's max
    first and stays finite."""
    logits = logits.detach() * scale
    by_hand, t1 = timed(lambda: by_hand_nll(logits, ys), repeats)
    fused, t2 = timed(lambda: F.cross_entropy(logits, ys), repeats)
    return Race(by_hand, fused, t1, t2)
