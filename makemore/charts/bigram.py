"""Charts of part 1: the bigram matrix (the lecture's labelled heatmap) and NLL against smoothing."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .core import HEIGHT, empty_chart, layered

MATRIX_TOKENS = 28  # rows and columns of a readable heatmap: the lecture's 27 tokens, and one more
CELL = 34  # pixels per row of a labelled heatmap (enough for the pair and its value)
ZERO_COLOR = "#bdbdbd"  # a pair that never occurs: grey, unlike any count (the smallest count is already blue)
VALUE_RANGE = ["#d2e3f3", "#08306b"]  # light blue (the smallest value above 0) to dark blue
MODEL_COLORS = alt.Scale(domain=["bigram", "trigram"], range=["#1f77b4", "#ff7f0e"])


def pair_heatmap(frame: pd.DataFrame, value_title: str, value_format: str = "d", labelled: bool = True,
                 value_max: float | None = None, height: int | None = None) -> alt.Chart:
    """A bigram matrix: rows are the first character, columns the next, darker = larger, and grey where
    the value is exactly 0 (a pair that never occurs), so that 0 never looks like the smallest count.

    frame: first, second, pair, value, row, col (from makemore.lessons.bigram.matrix_frame). Labelled,
    each cell shows its pair and value as in the lecture's figure (a value above 0 too small for the
    format reads "<0.01", never "0.00"); otherwise only on hover.
    value_max fixes the top of the colour scale, so that two heatmaps can share it.
    """
    if frame.empty:
        return empty_chart("Nothing to count yet")
    n = int(frame["row"].max()) + 1
    order = frame.sort_values("col")["second"].drop_duplicates().tolist()
    top = value_max or float(frame["value"].max()) or 1.0
    frame = frame.assign(dark=frame["value"] > 0.55 * top, zero=frame["value"] == 0,
                         shown=[_shown(v, value_format) for v in frame["value"]])
    base = alt.Chart(frame).encode(
        x=alt.X("second:N", sort=order, title="next character", axis=alt.Axis(orient="top", labelAngle=0,
            labelOverlap=False)),
        y=alt.Y("first:N", sort=order, title="character before", axis=alt.Axis(labelOverlap=False)))
    cells = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.condition("datum.zero", alt.value(ZERO_COLOR), alt.Color(
            "value:Q", scale=alt.Scale(range=VALUE_RANGE, domain=[0, top]), title=value_title)),
        tooltip=[alt.Tooltip("pair:N"), alt.Tooltip("value:Q", title=value_title, format=value_format)])
    layers = [cells]
    if labelled:
        text_color = alt.condition("datum.dark", alt.value("white"), alt.value("#555555"))
        layers.append(base.mark_text(dy=-7, fontSize=10).encode(text=alt.Text("pair:N"), color=text_color))
        layers.append(base.mark_text(dy=7, fontSize=9).encode(text=alt.Text("shown:N"), color=text_color))
    return layered(*layers, height=height or (CELL * n if labelled else 16 * n + 60))


def _shown(value: float, value_format: str) -> str:
    """A cell's value as its label reads: in the format, but never a rounded 0 for a value above 0."""
    if value == 0:
        return "0"
    text = format(int(round(value)) if value_format.endswith("d") else value, value_format)
    if value > 0 and float(text) == 0:
        decimals = int(value_format.strip(".f") or 0)
        return f"<{10 ** -decimals:.{decimals}f}"
    return text


def smoothing_chart(sweep: pd.DataFrame, current: float, height: int = HEIGHT) -> alt.Chart:
    """Train (dashed) and dev (solid) NLL of each counting model against the smoothing, log x axis.

    sweep: model, smoothing, split, nll. A vertical rule marks the slider's value; dots mark
    each model's best dev smoothing.
    """
    sweep = sweep[np.isfinite(sweep["nll"]) & (sweep["smoothing"] > 0)]
    if sweep.empty:
        return empty_chart("No finite NLL to show", height)
    x = alt.X("smoothing:Q", scale=alt.Scale(type="log"), title="smoothing: fake counts per cell (log scale)")
    y = alt.Y("nll:Q", scale=alt.Scale(zero=False), title="mean NLL (nats)")
    color = alt.Color("model:N", scale=MODEL_COLORS, title="model")
    lines = alt.Chart(sweep).mark_line(strokeWidth=2).encode(
        x=x, y=y, color=color,
        strokeDash=alt.StrokeDash("split:N", scale=alt.Scale(domain=["dev", "train"], range=[[1, 0], [5, 3]]),
                                  title="split"),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("split:N"), alt.Tooltip("smoothing:Q", format=".3g"),
            alt.Tooltip("nll:Q", format=".4f")])
    dev = sweep[sweep["split"] == "dev"]
    best = dev.loc[dev.groupby("model")["nll"].idxmin()] if not dev.empty else dev
    dots = alt.Chart(best).mark_point(filled=True, size=90).encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("smoothing:Q", title="best dev smoothing", format=".3g"),
                 alt.Tooltip("nll:Q", title="dev NLL", format=".4f")])
    layers = [lines, dots]
    if current > 0:
        rule = pd.DataFrame({"smoothing": [current], "label": [f"slider: {current:g}"]})
        layers.append(alt.Chart(rule).mark_rule(color="#555555", strokeDash=[2, 2]).encode(x=alt.X("smoothing:Q")))
        layers.append(alt.Chart(rule).mark_text(align="left", dx=4, y=8, color="#555555").encode(
            x=alt.X("smoothing:Q"), text=alt.Text("label:N")))
    return layered(*layers, height=height)
