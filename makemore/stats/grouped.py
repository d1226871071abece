"""Statistics of many small tensors in a few operations: equal-sized ones stacked and reduced together.

On these small nets a reduction costs its call overhead more than its arithmetic (and torch's
per-tensor `std()` is slow), so per-layer statistics are computed group by group: the tensors of
one kind and size are stacked and reduced along one dimension at once.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch


def groups(keys: Sequence[Hashable]) -> list[list[int]]:
    """Positions grouped by equal key, groups in order of first appearance: [a, b, a] -> [[0, 2], [1]]."""
    by_key: dict = {}
    for i, key in enumerate(keys):
        by_key.setdefault(key, []).append(i)
    return list(by_key.values())


def std_rows(rows: torch.Tensor) -> torch.Tensor:
    """(...,): the std() of each row (last dimension) of a (..., n) tensor."""
    centered = rows - rows.mean(-1, keepdim=True)  # two passes, as precise as torch's std
    return torch.linalg.vector_norm(centered, dim=-1) / (rows.shape[-1] - 1) ** 0.5


def saturation(layers: Sequence, outs: Sequence[torch.Tensor], copies: int = 1) -> torch.Tensor:
    """(copies, len(outs), 2): saturation % (`layer.saturated`) and std of each nonlinearity's output,
    one stacked computation per kind of layer and size of output. An output of several copies holds
    their channels side by side, (..., copies * C); each copy gets its own numbers."""
    summary = torch.zeros((copies, len(outs), 2))
    for group in groups([(type(layer), out.numel()) for layer, out in zip(layers, outs)]):
        stacked = torch.stack([_per_copy(outs[i], copies) for i in group]).flatten(2)  # (G, copies, n)
        saturated = layers[group[0]].saturated(stacked).float().mean(-1) * 100
        summary[:, group] = torch.stack([saturated, std_rows(stacked)], -1).transpose(0, 1).cpu()
    return summary


def _per_copy(out: torch.Tensor, copies: int) -> torch.Tensor:
    """(..., copies * C) -> (copies, rows, C): each copy's values together (for one copy, (1, n))."""
    if copies == 1:
        return out.reshape(1, -1)
    return out.reshape(-1, copies, out.shape[-1] // copies).transpose(0, 1)
