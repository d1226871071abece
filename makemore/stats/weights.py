"""The weight matrices of a running network as pictures, beside the step's update of each.

Each matrix is pooled to at most MAX_CELLS x MAX_CELLS blocks, each block showing its value of largest
magnitude with its sign, so a single huge weight still shows. Colours are value / scale, where a
matrix's scale is the largest |weight| it has had since the caller started watching (`grown_scales`,
kept by the caller): shrinking weights fade on screen instead of being rescaled back to full colour.

The update is SGD's step, −lr × grad, on the same scale but logarithmic (a healthy update is a
thousand times smaller than the weights: on a linear scale it would be blank): its shade is
1 + log10(|update| / scale) / UPDATE_DECADES, with its sign. An update as large as the largest weight is
as bright as that weight; the lecture's healthy pace (update:data about 1e-3, the dashed line of the
update:data chart) is a quarter as bright; below 1e-4 of the scale it is white. So a learning rate far
too high makes the update darker than that quarter, one far too low leaves it blank.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .diagnostics import ParamRecord, Snapshot

MAX_CELLS = 64  # blocks per side: about what a chart a third of a screen wide shows
UPDATE_DECADES = 4  # the update's shades span 1e-4 to 1 times its matrix's scale
PANELS = ("weights", "update −lr × grad (log)")
COLUMNS = ["matrix", "panel", "row", "row_end", "col", "col_end", "value", "shade"]


def pool_extremes(matrix: torch.Tensor, max_cells: int = MAX_CELLS) -> tuple[torch.Tensor, int, int]:
    """(pooled, block rows, block cols): the signed value of largest |value| in each block of a 2-D
    matrix, with blocks of ceil(R / max_cells) x ceil(C / max_cells) (the last ones may be smaller)."""
    rows, cols = matrix.shape
    bh, bw = -(-rows // max_cells), -(-cols // max_cells)
    if bh == bw == 1:
        return matrix, 1, 1
    # max pooling of |values| says where each block's extreme is; its signed value is read from there
    _, where = F.max_pool2d(matrix.abs()[None, None], (bh, bw), ceil_mode=True, return_indices=True)
    return matrix.flatten()[where[0, 0]], bh, bw


def matrices(snapshot: Snapshot) -> list[ParamRecord]:
    """The snapshot's 2-D parameters: the embedding table and every weight matrix."""
    return [p for p in snapshot.params if len(p.shape) == 2]


def matrix_label(record: ParamRecord) -> str:
    rows, cols = record.shape
    return f"{record.name} ({record.block}, {rows}×{cols})"


def grown_scales(snapshot: Snapshot, scales: dict[str, float] | None = None) -> dict[str, float]:
    """Each matrix's colour scale: the largest |weight| it has had in this and earlier calls.

    Pass the previous result back in (a page keeps it per run in its session state): a scale never
    shrinks, so weights that shrink fade, and it only grows when a weight passes it.
    """
    scales = dict(scales or {})
    records = matrices(snapshot)
    largest = torch.stack([p.data.abs().max() for p in records]).tolist() if records else []
    for record, value in zip(records, largest):
        if math.isfinite(value) and value > scales.get(record.name, 0.0):  # all zeros: wait for a scale
            scales[record.name] = value
    return scales


def weight_frame(snapshot: Snapshot, scales: dict[str, float], names: list[str] | None = None,
                 max_cells: int = MAX_CELLS) -> pd.DataFrame:
    """The pooled weights and updates of the snapshot's matrices (all, or those `names`), long form:
    matrix (its label, with its layer's block), panel (PANELS), row, row_end, col, col_end (the block's
    index range, end exclusive), value (the weight, or −lr × grad), shade (in [-1, 1]: value / scale,
    clipped, for the weights; the signed log shade of the module docstring for the update). Matrices
    without a gradient get no update panel. Built as one frame from arrays: it runs on every redraw."""
    groups, grids, values, shades = [], [], [], []
    for record in matrices(snapshot):
        if names is not None and record.name not in names:
            continue
        scale = scales.get(record.name) or float(record.data.abs().max()) or 1.0
        panels = [(PANELS[0], record.data)]
        if record.grad is not None:
            panels.append((PANELS[1], -snapshot.lr * record.grad))
        for panel, matrix in panels:
            pooled, bh, bw = pool_extremes(matrix.detach().float().cpu(), max_cells)
            cells = pooled.numpy().ravel()
            values.append(cells)
            shades.append(np.clip(cells / scale, -1.0, 1.0) if panel == PANELS[0] else update_shade(cells, scale))
            grids.append(_grid(*record.shape, max_cells))
            groups.append((matrix_label(record), panel, len(cells)))
    if not groups:
        return pd.DataFrame(columns=COLUMNS)
    sizes = [size for *_, size in groups]
    frame = {column: _repeated([g[i] for g in groups], sizes) for i, column in enumerate(COLUMNS[:2])}
    frame.update({column: np.concatenate([grid[i] for grid in grids]) for i, column in enumerate(COLUMNS[2:6])})
    return pd.DataFrame({**frame, "value": np.concatenate(values), "shade": np.concatenate(shades)})


def update_shade(update: np.ndarray, scale: float) -> np.ndarray:
    """sign × (1 + log10(|update| / scale) / UPDATE_DECADES), clipped to [0, 1] in size (0 for 0)."""
    with np.errstate(divide="ignore"):
        size = 1.0 + np.log10(np.abs(update) / scale) / UPDATE_DECADES
    return np.sign(update) * np.clip(size, 0.0, 1.0)


@functools.lru_cache(maxsize=64)
def _grid(rows: int, cols: int, max_cells: int) -> tuple[np.ndarray, ...]:
    """row, row_end, col, col_end of each cell of a pooled rows x cols matrix, row by row (the same at
    every redraw: computed once per shape)."""
    bh, bw = -(-rows // max_cells), -(-cols // max_cells)
    out_r, out_c = -(-rows // bh), -(-cols // bw)
    row = np.repeat(np.arange(out_r, dtype=np.int32) * bh, out_c)  # 32 bits: half the bytes sent
    col = np.tile(np.arange(out_c, dtype=np.int32) * bw, out_r)
    grid = (row, np.minimum(row + bh, rows), col, np.minimum(col + bw, cols))
    for array in grid:
        array.flags.writeable = False
    return grid


def _repeated(labels: list[str], sizes: list[int]) -> pd.Categorical:
    """Each label repeated its size's times, as a categorical (codes, not a string per cell)."""
    categories = list(dict.fromkeys(labels))
    codes = np.repeat([categories.index(label) for label in labels], sizes)
    return pd.Categorical.from_codes(codes, pd.Index(categories, dtype=object))  # a tenth of the str dtype's cost
