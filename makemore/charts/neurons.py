"""Charts of one hidden neuron: what drives it highest and lowest, and how its activation spreads."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, empty_chart

ENDS = alt.Scale(domain=["highest", "lowest"], range=["#e66101", "#5e3c99"])  # orange / purple: colour-blind safe
BAR_PIXELS = 20
FLAT_COLORS = alt.Scale(domain=[False, True], range=["#1f77b4", "#bbbbbb"])


def neuron_contexts_chart(frame: pd.DataFrame, height: int | None = None) -> alt.Chart:
    """One bar per context, from the one that drives the unit highest down to the lowest, labelled
    "context → the character that most often follows".

    frame: end, rank, context, next, activation, windows (as lessons.neurons.top_contexts returns).
    height: default, BAR_PIXELS a bar plus the axis and legend (Streamlit fits both into the height).
    """
    height = height or BAR_PIXELS * len(frame) + 110
    if frame.empty:
        return empty_chart("No contexts yet", height)
    frame = frame.assign(label=frame["context"] + " → " + frame["next"]).sort_values(
        "activation", ascending=False, kind="stable")
    return alt.Chart(frame, height=height).mark_bar().encode(
        y=alt.Y("label:N", sort=list(frame["label"]), title="context → most frequent next character",
                axis=alt.Axis(labelFont="monospace", labelFontSize=12, labelLimit=220)),
        x=alt.X("activation:Q", title="the unit's activation"),
        color=alt.Color("end:N", scale=ENDS, title="drives the unit",
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        tooltip=[alt.Tooltip("context:N"), alt.Tooltip("next:N", title="most frequent next"),
                 alt.Tooltip("activation:Q", format=".4f"),
                 alt.Tooltip("windows:Q", title="training windows with it", format=",")],
    )


def neuron_histogram_chart(frame: pd.DataFrame, unit: int, height: int = HEIGHT) -> alt.Chart:
    """The unit's activation over the training windows as bars, grey where the nonlinearity is flat.

    frame: x, windows, share, flat (as lessons.neurons.unit_histogram returns).
    """
    if frame.empty or frame["windows"].sum() == 0:
        return empty_chart("No activations yet", height)
    width = float(frame["x"].iloc[1] - frame["x"].iloc[0]) if len(frame) > 1 else 1.0
    frame = frame.assign(low=frame["x"] - width / 2, high=frame["x"] + width / 2)
    return alt.Chart(frame, height=height).mark_rect(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("low:Q", title=f"activation of unit {unit}", scale=alt.Scale(nice=False)),
        x2=alt.X2("high:Q"),
        y=alt.Y("share:Q", title="share of training windows", axis=alt.Axis(format="%")),
        y2=alt.Y2Datum(0),
        color=alt.Color("flat:N", scale=FLAT_COLORS, title=None,
                        legend=alt.Legend(orient="bottom", labelLimit=0, labelExpr="datum.label == 'true' ? "
                                                                     "'in the flat tails (no gradient)' : 'passes gradient'")),
        tooltip=[alt.Tooltip("x:Q", title="activation", format=".3f"), alt.Tooltip("windows:Q", format=","),
                 alt.Tooltip("share:Q", format=".1%")],
    )
