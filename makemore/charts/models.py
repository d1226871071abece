"""Charts of the sequence models: attention maps per head, hidden states over a name, the leaderboard."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, empty_chart

CELL = 26  # pixels per character in the heatmaps


def attention_chart(frame: pd.DataFrame, cell: int = CELL) -> alt.Chart:
    """One heatmap per (layer, head): rows are the reading position, columns the positions it attends to;
    the future (above the diagonal, always 0) is left blank.

    frame: layer, head, query, key, query_pos, key_pos, weight (inspect_sequence.attention_frame).
    """
    if frame.empty:
        return empty_chart("No attention to show")
    order = frame.sort_values("query_pos")["query"].drop_duplicates().tolist()
    size = cell * len(order)
    cells = alt.Chart(frame, width=size, height=size).transform_filter("datum.key_pos <= datum.query_pos")
    return cells.mark_rect().encode(
        x=alt.X("key:O", sort=order, title=None, axis=alt.Axis(labelAngle=-90)),
        y=alt.Y("query:O", sort=order, title=None),
        color=alt.Color("weight:Q", title="attention", scale=alt.Scale(scheme="blues", domain=[0, 1])),
        tooltip=[alt.Tooltip("layer:O"), alt.Tooltip("head:O"), alt.Tooltip("query:O", title="reading"),
            alt.Tooltip("key:O", title="attends to"),
                 alt.Tooltip("weight:Q", format=".3f")],
    ).facet(
        row=alt.Row("layer:O", title="layer (rows: the position reading)"),
        column=alt.Column("head:O", title="head (columns: the position read from)"))


def hidden_state_chart(frame: pd.DataFrame, height: int = HEIGHT, cell: int = CELL) -> alt.Chart:
    """The hidden state after each character: characters across, units down, value in [-1, 1] as colour.

    frame: position, token, unit, value (inspect_sequence.hidden_state_frame).
    """
    if frame.empty:
        return empty_chart("No hidden state to show", height)
    order = frame.sort_values("position")["token"].drop_duplicates().tolist()
    return alt.Chart(frame, width=cell * len(order), height=height).mark_rect().encode(
        x=alt.X("token:O", sort=order, title="after reading (position, character)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("unit:O", title="hidden unit", axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("value:Q", title="h", scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True)),
        tooltip=[alt.Tooltip("token:O", title="after"), alt.Tooltip("unit:O"), alt.Tooltip("value:Q", format=".3f")],
    )


def leaderboard_chart(frame: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """Each run's dev (or test) loss as a dot, best at the top, so that the runs compare at a glance.

    frame: run, model, and the loss columns train / dev / test (ui.runs.leaderboard).
    """
    loss = "dev" if frame.get("dev") is not None and frame["dev"].notna().any() else "test"
    frame = frame[frame[loss].notna()] if loss in frame else frame.iloc[0:0]
    if frame.empty:
        return empty_chart("No evaluated runs yet: pause or finish one", height)
    return alt.Chart(frame, height=height).mark_circle(size=140, opacity=0.9).encode(
        x=alt.X(f"{loss}:Q", title=f"{loss} loss (lower is better)", scale=alt.Scale(zero=False)),
        y=alt.Y("run:N", sort="x", title=None, axis=alt.Axis(labelLimit=500)),
        color=alt.Color("model:N", title="model"),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("model:N"), alt.Tooltip("params:Q"), alt.Tooltip("steps:Q"),
            alt.Tooltip(f"{loss}:Q", format=".4f")],
    )
