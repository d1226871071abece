"""What every chart shares: the layer colours, the standard size and downsampling."""
from __future__ import annotations

import re

import altair as alt
import pandas as pd

MAX_POINTS = 2000  # points per line sent to the browser on each redraw
HEIGHT = 260
HIDDEN_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#aec7e8", "#ffbb78", "#98df8a"]
EMBEDDING_COLOR = "#7f7f7f"
OUTPUT_COLOR = "#222222"


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


def downsample(frame: pd.DataFrame, max_points: int = MAX_POINTS, by: str | None = None) -> pd.DataFrame:
    """Keep at most max_points rows (per group of `by`), evenly spaced, always keeping the last."""
    if by is not None:
        parts = [downsample(part, max_points) for _, part in frame.groupby(by, sort=False)]
        return pd.concat(parts, ignore_index=True) if parts else frame
    if len(frame) <= max_points:
        return frame
    step = len(frame) / max_points
    keep = sorted({int(i * step) for i in range(max_points)} | {len(frame) - 1})
    return frame.iloc[keep]


def empty_chart(message: str, height: int = HEIGHT) -> alt.Chart:
    """A placeholder with a message, for charts with nothing to show yet."""
    return alt.Chart(pd.DataFrame({"text": [message]}), height=height).mark_text(size=14, color="#666").encode(
        text=alt.Text("text:N"))
