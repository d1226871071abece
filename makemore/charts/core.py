"""What every chart shares: the layer colours, the standard size and downsampling."""
from __future__ import annotations

import itertools
import re

import altair as alt
import numpy as np
import pandas as pd

MAX_POINTS = 1000  # points per line sent to the browser on each redraw: about one a pixel of a laptop's chart (each
#                    costs the browser a mark to encode and draw at every redraw; see docs/performance-live.md)
HEIGHT = 260
HIDDEN_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#aec7e8", "#ffbb78", "#98df8a"]
EMBEDDING_COLOR = "#7f7f7f"
OUTPUT_COLOR = "#222222"
REFERENCE_COLOR = "#d62728"  # the uniform guess, -ln(1/vocab)
LOSS_PADDING = 12  # pixels between a loss chart's lowest / highest value and its edges
SMOOTHING_WINDOWS = 100  # windows of steps a smoothed loss curve averages over, at most


def block_order(blocks) -> list[str]:
    """embedding, hidden 1, hidden 2, ..., output, then anything else alphabetically (of the distinct
    blocks: a column of one per row, e.g. a chart's `block` Series, is read with unique())."""
    def key(block: str):
        if block == "embedding":
            return (0, 0, block)
        match = re.fullmatch(r"hidden (\d+)", block)
        if match:
            return (1, int(match.group(1)), block)
        return (2, 0, block) if block == "output" else (3, 0, block)
    return sorted(set(blocks.unique() if isinstance(blocks, pd.Series) else blocks), key=key)


def block_color(block: str) -> str:
    """The one colour a layer block has in every chart of the app."""
    if block == "embedding":
        return EMBEDDING_COLOR
    if block == "output":
        return OUTPUT_COLOR
    match = re.fullmatch(r"(?:hidden|layer) (\d+)", block)
    number = int(match.group(1)) if match else sum(map(ord, block))
    return HIDDEN_COLORS[(number - 1) % len(HIDDEN_COLORS)]


def block_color_encoding(blocks, title: str = "layer") -> alt.Color:
    """Colour by `block`, each block in its one colour, in block order."""
    domain = block_order(blocks)
    return alt.Color("block:N", scale=alt.Scale(domain=domain, range=[block_color(b) for b in domain]), title=title,
                     sort=domain, legend=alt.Legend(orient="right"))


def downsample(frame: pd.DataFrame, max_points: int = MAX_POINTS, by: str | list[str] | None = None) -> pd.DataFrame:
    """Keep at most max_points rows (per group of `by`), evenly spaced, always keeping the last; the rows
    keep their order (one boolean mask, no per-group frames: it runs on every live redraw)."""
    if len(frame) <= max_points:
        return frame
    if by is None:
        keep = _evenly_spaced(np.arange(len(frame)), np.full(len(frame), len(frame)), max_points)
        return frame[keep].reset_index(drop=True)
    group = pd.factorize(frame[by])[0] if isinstance(by, str) else frame.groupby(by, sort=False).ngroup().to_numpy()
    counts = np.bincount(group)
    first_row = np.cumsum(counts) - counts  # of each group, in the group-sorted order
    position = np.empty(len(frame), dtype=np.int64)
    position[np.argsort(group, kind="stable")] = np.arange(len(frame)) - np.repeat(first_row, counts)
    return frame[_evenly_spaced(position, counts[group], max_points)].reset_index(drop=True)


def window_means(frame: pd.DataFrame, column: str = "loss", windows: int = SMOOTHING_WINDOWS,
                 by: str | None = None, width: int | None = None) -> pd.DataFrame:
    """The lecture's smoothing, `lossi.view(-1, w).mean(1)`: the mean of `column` over each window of w
    consecutive steps (w a round number giving at most `windows` windows), drawn at the middle of the steps
    it averages, so it does not lag behind a falling curve as a trailing average does; with the 10th and 90th
    percentiles of the window (the band a noisy per-step loss fills).

    frame: step, column (and `by`, one curve per value). Returns step, column, low, high, first, last (and by).
    width: the window's steps, when the caller sets it (e.g. the same for curves drawn together).
    """
    columns = [by] if by else []
    if frame.empty:
        return pd.DataFrame(columns=columns + ["step", column, "low", "high", "first", "last"])
    width = width or window_width(int(frame["step"].max()) + 1, windows)
    keys = columns + [frame["step"] // width]
    grouped = frame.groupby(keys, sort=False)
    out = grouped.agg(step=("step", "mean"), value=(column, "mean"), first=("step", "min"), last=("step", "max"))
    quantiles = grouped[column].quantile([0.1, 0.9]).unstack()
    out = out.assign(low=quantiles[0.1].to_numpy(), high=quantiles[0.9].to_numpy()).rename(columns={"value": column})
    out = out.reset_index(level=by, drop=False) if by else out
    return out.reset_index(drop=True)[columns + ["step", column, "low", "high", "first", "last"]]


def window_width(steps: int, windows: int = SMOOTHING_WINDOWS) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... steps that cuts `steps` into at most `windows` windows."""
    width = 1
    for factor in itertools.cycle((2, 2.5, 2)):  # 1, 2, 5, 10, 20, 50, ...
        if -(-steps // width) <= windows:
            return width
        width = int(width * factor)


def _evenly_spaced(position: np.ndarray, size: np.ndarray, m: int) -> np.ndarray:
    """Whether row `position` of a group of `size` rows is one of int(i * size / m) for i < m (or the last)."""
    nearest = -(-position * m // size)  # the one i that can land on this position: ceil(position * m / size)
    hit = (nearest < m) & ((nearest * (size / m)).astype(np.int64) == position)
    return (size <= m) | hit | (position == size - 1)


def layered(*layers: alt.Chart, data=alt.Undefined, height: int = HEIGHT) -> alt.LayerChart:
    """`alt.layer(*layers, data=data, height=height)` for layers without selection parameters.

    alt.layer deep-copies every layer twice to merge their parameters (a tenth of a live redraw); these
    charts have none. Layers without data of their own draw `data`; data that every layer shares moves
    up to the layered chart, as alt.layer does.
    """
    shared = layers[0].data if layers and len({id(layer.data) for layer in layers}) == 1 else alt.Undefined
    if data is alt.Undefined and shared is not alt.Undefined:
        data, layers = shared, tuple(_without_data(layer) for layer in layers)
    chart = alt.LayerChart.__new__(alt.LayerChart)
    alt.TopLevelLayerSpec.__init__(chart, data=data, layer=list(layers), height=height)
    return chart


def _without_data(chart: alt.Chart) -> alt.Chart:
    copy = chart.copy(deep=False)
    copy.data = alt.Undefined
    return copy


def horizontal_guide(value: float, label: str, color: str, label_x: alt.XDatum | alt.XValue = alt.XValue(0),
                     align: str = "left") -> list[alt.Chart]:
    """Three layers: a dashed rule across the chart at y = value, and its label just above it at label_x,
    drawn over a white halo so that it stays readable where a data line passes behind it.

    They draw one row generated in the browser (not a dataset to serialize on every redraw), placed by
    `alt.YDatum` (not an `alt.datum(v)` dict, which `encode` looks up in the schema: 6 ms a channel).
    """
    guide = alt.Chart(alt.sequence(0, 1))
    text = {"align": align, "dx": 4 if align == "left" else 0, "dy": -7, "text": label}
    position = {"y": alt.YDatum(value), "x": label_x}
    return [guide.mark_rule(strokeDash=[6, 4], color=color).encode(y=alt.YDatum(value)),
            guide.mark_text(**text, stroke="white", strokeWidth=4, strokeJoin="round").encode(**position),
            guide.mark_text(**text, color=color).encode(**position)]


def uniform_guess_guide(reference: float, label_x: alt.XDatum | alt.XValue = alt.XValue(0),
                        align: str = "left") -> list[alt.Chart]:
    """The loss charts' red dashed line at the loss of a uniform guess, -ln(1/vocab), labelled with it."""
    return horizontal_guide(reference, f"uniform guess {reference:.2f}", REFERENCE_COLOR, label_x, align)


def empty_chart(message: str, height: int = HEIGHT) -> alt.Chart:
    """A placeholder with a message, for charts with nothing to show yet."""
    return alt.Chart(pd.DataFrame({"text": [message]}), height=height).mark_text(size=14, color="#666").encode(
        text=alt.Text("text:N"))
