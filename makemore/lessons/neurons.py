"""What a hidden neuron answers to: its activation on every distinct context of the word list.

`context_activations` runs the model in eval mode (BatchNorm's running statistics: a context's
activation is its own, not its batch's) over the distinct contexts of the training split, most
frequent first, and keeps one nonlinearity's outputs. A unit of a WaveNet level below the top reads
only part of the context (2 characters at the first level, 4 at the second): its contexts are those
parts, each run on its own at the start of a window (with part 5's BatchNorm bug a lower level
normalizes each position apart: its units are then read at the first position). `top_contexts`,
`unit_histogram`, `unit_summary` and `interesting_units` read the result.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..layers import NONLINEARITIES, Nonlinearity
from ..models import evaluating, layers_of
from ..models.base import EVAL_CHUNK
from .data import is_vowel, visible

MAX_CONTEXTS = 50_000  # distinct contexts kept, most frequent first (block 8 on names.txt has about 50,000)
TOP_K = 10
HISTOGRAM_BINS = 40
BOUNDARY = 0  # the boundary token's id (data.Vocabulary)
NONLINEARITY_KINDS = {cls.__name__: cls for cls in NONLINEARITIES.values()}


@dataclass
class ContextActivations:
    """One nonlinearity's outputs on the distinct contexts of a word list, most frequent context first."""
    layer_index: int
    kind: str  # the nonlinearity's class name
    field: int  # characters each unit reads
    grams: torch.Tensor  # (K, field) token ids of each context
    following: torch.Tensor  # (K,) the token that most often follows each context
    counts: torch.Tensor  # (K,) training windows in which each context occurs
    acts: torch.Tensor  # (K, H) the layer's output for each context
    dead: torch.Tensor  # (H,) units in the layer's dead region on every context
    saturated: torch.Tensor  # (H,) each unit's share of windows in its saturated region
    distinct: int  # distinct contexts before the MAX_CONTEXTS cap
    labels: tuple[str, ...]  # each token as shown (the boundary token is index 0)
    vowels: torch.Tensor  # (V,) which tokens are vowels

    @property
    def units(self) -> int:
        return self.acts.shape[1]

    def context(self, i: int) -> str:
        """Context i as text, the boundary token shown ("..em")."""
        return "".join(self.labels[t] for t in self.grams[i].tolist())

    def next_char(self, i: int) -> str:
        return self.labels[int(self.following[i])]


def context_activations(model, data, layer_index: int, max_contexts: int = MAX_CONTEXTS,
                        split: str = "train") -> ContextActivations:
    """Layer `layer_index` (a nonlinearity of the model's layer list) on the distinct contexts of `split`."""
    layers = layers_of(model)
    if not 0 <= layer_index < len(layers) or not isinstance(layers[layer_index], Nonlinearity):
        raise ValueError(f"layer {layer_index} is not a nonlinearity of this model")
    layer = layers[layer_index]
    X, Y = data.windows(split, model.block_size)
    field = _field(model, layer, X[:1])
    grams = X.reshape(-1, field)  # every aligned part of every window
    nexts = torch.cat([X, Y[:, None]], 1)[:, field::field].reshape(-1)  # the character after each part
    unique, inverse, counts = _distinct(grams, data.vocab.size)
    following = _modal_next(inverse, nexts, len(unique), data.vocab.size)
    keep = torch.argsort(counts, descending=True, stable=True)[:max_contexts]
    grams, counts, following = unique[keep], counts[keep], following[keep]
    windows = torch.zeros((len(grams), model.block_size), dtype=grams.dtype)
    windows[:, :field] = grams  # a lower level's unit at position 0 reads the first `field` characters only
    acts = _outputs(model, layer, windows)
    weights = counts.float()[:, None] / counts.sum()
    return ContextActivations(layer_index, type(layer).__name__, field, grams, following, counts, acts,
                              layer.dead(acts).all(0), (layer.saturated(acts).float() * weights).sum(0), len(unique),
                              tuple(visible(ch) for ch in data.vocab.itos),
                              torch.tensor([i != BOUNDARY and is_vowel(ch) for i, ch in enumerate(data.vocab.itos)]))


def _field(model, layer, window: torch.Tensor) -> int:
    """How many characters one unit of `layer` reads: the whole window, or a part (a WaveNet level)."""
    with evaluating(model):
        model.logits(window.to(model.device))
    out = layer.out
    return model.block_size // out.shape[1] if out.ndim == 3 else model.block_size


class _Reached(Exception):
    """Raised by a forward hook on the layer asked about: the layers after it need not run."""


def _outputs(model, layer, windows: torch.Tensor) -> torch.Tensor:
    def stop(module, inputs, output):
        raise _Reached

    parts = []
    handle = layer.register_forward_hook(stop)
    try:
        with evaluating(model):
            for start in range(0, len(windows), EVAL_CHUNK):
                try:
                    model.logits(windows[start:start + EVAL_CHUNK].to(model.device))
                except _Reached:
                    pass
                out = layer.out
                parts.append((out[:, 0] if out.ndim == 3 else out).float().cpu())
    finally:
        handle.remove()
    return torch.cat(parts) if parts else torch.zeros((0, 0))


def _distinct(grams: torch.Tensor, vocab_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """torch.unique(grams, dim=0, return_inverse=True, return_counts=True), through one integer per row
    where the vocabulary allows (unique over rows sorts them one column at a time: 50 times slower)."""
    field = grams.shape[1]
    if vocab_size ** field >= 2**62:
        return torch.unique(grams, dim=0, return_inverse=True, return_counts=True)
    keys = grams.long() @ (vocab_size ** torch.arange(field - 1, -1, -1))
    unique, inverse, counts = torch.unique(keys, return_inverse=True, return_counts=True)
    digits = unique[:, None] // (vocab_size ** torch.arange(field - 1, -1, -1)) % vocab_size
    return digits.to(grams.dtype), inverse, counts


def _modal_next(inverse: torch.Tensor, nexts: torch.Tensor, n: int, vocab_size: int) -> torch.Tensor:
    """(n,) the most frequent next token of each distinct context (the smallest id on a tie)."""
    pairs, pair_counts = torch.unique(inverse * vocab_size + nexts, return_counts=True)  # sorted: by context, then token
    context = pairs // vocab_size
    best = torch.zeros(n, dtype=pair_counts.dtype).scatter_reduce(0, context, pair_counts, "amax", include_self=False)
    winners = pair_counts == best[context]
    context, token = context[winners], (pairs % vocab_size)[winners]
    first = torch.ones_like(context, dtype=torch.bool)
    first[1:] = context[1:] != context[:-1]
    result = torch.zeros(n, dtype=torch.long)
    result[context[first]] = token[first]
    return result


# ------------------------------------------------------------------------------ reading one unit
def top_contexts(ca: ContextActivations, unit: int, k: int = TOP_K) -> pd.DataFrame:
    """The k contexts that drive `unit` highest and the k that drive it lowest: end ("highest" /
    "lowest"), rank, context, next (the character most often after it), activation, windows."""
    column = ca.acts[:, unit]
    k = min(k, len(column))
    rows = []
    for end, largest in (("highest", True), ("lowest", False)):
        values, index = torch.topk(column, k, largest=largest, sorted=True)
        for rank, (value, i) in enumerate(zip(values.tolist(), index.tolist()), start=1):
            rows.append({"end": end, "rank": rank, "context": ca.context(i), "next": ca.next_char(i),
                         "activation": value, "windows": int(ca.counts[i])})
    return pd.DataFrame(rows, columns=["end", "rank", "context", "next", "activation", "windows"])


def unit_histogram(ca: ContextActivations, unit: int, bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """How often the unit takes each value over the training windows: x (bin centre), windows, share,
    flat (the bin centre is in the nonlinearity's saturated region). The bins span the whole layer's
    range, so the histograms of its units compare."""
    low, high = (float(v) for v in torch.aminmax(ca.acts)) if ca.acts.numel() else (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(ca.acts[:, unit].numpy(), bins=bins, range=(low, high), weights=ca.counts.numpy())
    centres = (edges[:-1] + edges[1:]) / 2
    flat = NONLINEARITY_KINDS[ca.kind]().saturated(torch.from_numpy(centres)).numpy()
    return pd.DataFrame({"x": centres, "windows": counts, "share": counts / max(counts.sum(), 1), "flat": flat})


def unit_summary(ca: ContextActivations, unit: int) -> dict:
    """dead (flat on every context), saturated (share of windows in the flat tails), mean and std
    (over the windows)."""
    column, weights = ca.acts[:, unit].double(), ca.counts.double() / ca.counts.sum()
    mean = float((column * weights).sum())
    return {"unit": unit, "dead": bool(ca.dead[unit]), "saturated": float(ca.saturated[unit]), "mean": mean,
            "std": float(((column - mean) ** 2 * weights).sum().sqrt())}


# ------------------------------------------------------------------------------ finding units worth a look
def context_features(ca: ContextActivations) -> dict[str, torch.Tensor]:
    """Readable properties of each context, as (K,) masks: what its last characters are."""
    vowel, last = ca.vowels, ca.grams[:, -1]
    features = {
        "ends in a vowel": vowel[last],
        "ends in a consonant": ~vowel[last] & (last != BOUNDARY),
        "contains the word's start": (ca.grams == BOUNDARY).any(1),
    }
    if ca.field >= 2:
        before = ca.grams[:, -2]
        features["a vowel before the last character"] = vowel[before]
        features["ends in a double letter"] = (last == before) & (last != BOUNDARY)
    return features


def interesting_units(ca: ContextActivations, k: int = TOP_K, limit: int = 12,
                      per_kind: int = 2) -> pd.DataFrame:
    """Units whose k highest (or lowest) contexts share a feature far more often than contexts do in
    general: unit, end, feature, hits (of the k), base (the feature's share of all contexts), lift
    (hits / k - base), std (the unit's spread over the windows).

    One row per unit and end, with its best feature (by lift): one of `context_features`, or "ends in
    'c'" for the character c most of the k end in. Rows come most hits first, then most lift, at most
    `per_kind` of each feature (all the single letters count as one kind: a list of ten 'p' detectors
    shows less than one of each kind); dead units are left out.
    """
    columns = ["unit", "end", "feature", "hits", "base", "lift", "std"]
    k = min(k, len(ca.grams))
    if k == 0:
        return pd.DataFrame(columns=columns)
    features = context_features(ca)
    masks = torch.stack(list(features.values()), 1).float()  # (K, F)
    last = ca.grams[:, -1]
    last_share = torch.bincount(last, minlength=len(ca.labels)).float() / len(last)
    weights = ca.counts.float()[:, None] / ca.counts.sum()
    std = (((ca.acts - (ca.acts * weights).sum(0)) ** 2) * weights).sum(0).sqrt()
    frames = []
    for end, largest in (("highest", True), ("lowest", False)):
        index = torch.topk(ca.acts, k, dim=0, largest=largest).indices  # (k, H)
        letter, _ = torch.mode(last[index], dim=0)  # (H,) the character most of them end in
        hits = torch.cat([masks[index].sum(0), (last[index] == letter).sum(0, keepdim=True).T.float()], 1)  # (H, F+1)
        base = torch.cat([masks.mean(0).expand(ca.units, -1), last_share[letter][:, None]], 1)
        lift = hits / k - base
        best = lift.argmax(1, keepdim=True)
        names = [*features, None]
        frames.append(pd.DataFrame({
            "unit": np.arange(ca.units), "end": end,
            "feature": [names[b] or f"ends in '{ca.labels[c]}'" for b, c in zip(best[:, 0].tolist(), letter.tolist())],
            "hits": hits.gather(1, best)[:, 0].int().numpy(), "base": base.gather(1, best)[:, 0].numpy(),
            "lift": lift.gather(1, best)[:, 0].numpy(), "std": std.numpy()}))
    table = pd.concat(frames, ignore_index=True)
    table = table[~ca.dead.numpy()[table["unit"].to_numpy()]]
    table = table.sort_values(["hits", "lift", "std"], ascending=False, kind="stable")
    kind = table["feature"].where(~table["feature"].str.startswith("ends in '"), "one letter")
    return table[table.groupby(kind).cumcount() < per_kind].head(limit).reset_index(drop=True)
