"""Charts of part 5: the lecture's 1000-step loss averages, BatchNorm's running mean, the dilated-convolution tree."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, block_color, empty_chart, layered

SPLIT_COLORS = alt.Scale(domain=["train", "dev"], range=["#1f77b4", "#ff7f0e"])
UNSELECTED = "#d9d9d9"  # units and links of the other windows
CHARACTER = "#111111"  # the highlighted window's input characters
OTHER_CHARACTER = "#a0a0a0"


def smoothed_loss_chart(train: pd.DataFrame, dev: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """Train loss averaged over each 1000-step block and the dev loss measured every 1000 steps.

    train: step, loss (block means). dev: step, loss.
    """
    frame = pd.concat([train.assign(split="train"), dev.assign(split="dev")], ignore_index=True)
    if frame.empty:
        return empty_chart("Train 1,000 steps for the first point: each one averages 1,000 steps", height)
    return alt.Chart(frame, height=height).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step", scale=alt.Scale(domainMin=0)),
        y=alt.Y("loss:Q", title="loss (mean over 1,000 steps)", scale=alt.Scale(zero=False)),
        color=alt.Color("split:N", scale=SPLIT_COLORS, title="split"),
        tooltip=[alt.Tooltip("split:N"), alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4f")],
    )


def running_mean_chart(frame: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """The first BatchNorm's running mean per channel: one line, or one per position with the bug.

    frame: channel, position, value.
    """
    if frame.empty:
        return empty_chart("This network has no BatchNorm", height)
    low, high = frame["value"].min(), frame["value"].max()
    flat = alt.Scale(domain=[low - 1, high + 1]) if high - low < 1e-9 else alt.Scale()  # before training: all 0
    return alt.Chart(frame, height=height).mark_line(point=True, strokeWidth=1.5).encode(
        x=alt.X("channel:Q", title="channel (first BatchNorm)", axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(nice=False, padding=8)),
        y=alt.Y("value:Q", title="running mean", axis=alt.Axis(format=".2~f"), scale=flat),
        color=alt.Color("position:N", title="statistics for", scale=alt.Scale(scheme="tableau10")),
        tooltip=[alt.Tooltip("position:N"), alt.Tooltip("channel:Q"), alt.Tooltip("value:Q", format=".3f")],
    )


def dilated_tree_chart(nodes: pd.DataFrame, edges: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """Every unit the hierarchy computes over one name, its chosen window's tree in the layer colours.

    nodes: level, position, sees, selected. edges: position, level, parent_position, parent_level, selected.
    """
    top = int(nodes["level"].max())
    colors = [(CHARACTER, OTHER_CHARACTER)] + [(block_color(f"hidden {k}"), UNSELECTED) for k in range(1, top + 1)]
    nodes = nodes.assign(color=[colors[level][0 if selected else 1]
                                for level, selected in zip(nodes["level"], nodes["selected"])])
    x = alt.X("position:Q", title="position in the padded name", axis=alt.Axis(tickMinStep=1, grid=False))
    y = alt.Y("level:Q", title=None, scale=alt.Scale(domain=[-0.6, top + 0.3]),
              axis=alt.Axis(values=list(range(top + 1)), grid=False,
                            labelExpr="datum.value == 0 ? 'characters' : 'level ' + datum.value"))
    line_color = alt.condition("datum.selected", alt.value("#555555"), alt.value(UNSELECTED))
    links = alt.Chart(edges.sort_values("selected")).mark_rule().encode(
        x=x, y=y, x2=alt.X2("parent_position:Q"), y2=alt.Y2("parent_level:Q"), color=line_color,
        strokeWidth=alt.condition("datum.selected", alt.value(2), alt.value(1)))
    units = alt.Chart(nodes[nodes["level"] > 0]).mark_circle(size=140, opacity=1).encode(
        x=x, y=y, color=alt.Color("color:N", scale=None),
        tooltip=[alt.Tooltip("level:Q"), alt.Tooltip("position:Q"), alt.Tooltip("sees:N", title="sees characters")])
    chars = alt.Chart(nodes[nodes["level"] == 0]).mark_text(fontSize=20, fontWeight="bold", dy=2).encode(
        x=x, y=y, text=alt.Text("sees:N"), color=alt.Color("color:N", scale=None),
        tooltip=[alt.Tooltip("position:Q"), alt.Tooltip("sees:N", title="character")])
    return layered(links, units, chars, height=height)
