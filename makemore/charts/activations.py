"""Charts of part 3's lessons beside the live diagnostics: the softmax at init, BatchNorm at inference."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, REFERENCE_COLOR, empty_chart, horizontal_guide, layered

TARGET_COLOR = "#2ca02c"
OTHER_COLOR = "#9ecae1"


def softmax_chart(frame: pd.DataFrame, uniform: float, height: int = HEIGHT) -> alt.Chart:
    """One bar per character: its probability for one example, a panel per init, the right character in green,
    a uniform guess's 1/vocab as a dashed line. frame: init, token, char, prob, target."""
    if frame.empty:
        return empty_chart("No example", height)
    colour = alt.Color("target:N", scale=alt.Scale(domain=[True, False], range=[TARGET_COLOR, OTHER_COLOR]),
                       legend=alt.Legend(title="the right character", orient="bottom"))
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("char:N", sort=alt.SortField("token"), title="next character", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("prob:Q", title="probability", scale=alt.Scale(domain=[0, 1])), color=colour,
        tooltip=[alt.Tooltip("char:N", title="character"), alt.Tooltip("prob:Q", format=".4f")])
    panel = layered(bars, *horizontal_guide(uniform, f"uniform 1/{round(1 / uniform)}", REFERENCE_COLOR),
                    height=height)
    return panel.properties(width=380).facet(data=frame, column=alt.Column("init:N", title=None,
                                                                            sort=list(dict.fromkeys(frame["init"]))))


def calibration_chart(stats: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """Each neuron's running statistic against the one the calibration pass measured, mean and spread side by
    side; on the diagonal the running estimate is right. stats: neuron, statistic, running, calibrated."""
    if stats.empty:
        return empty_chart("No BatchNorm layer", height)
    low, high = float(stats[["running", "calibrated"]].min().min()), float(stats[["running", "calibrated"]].max().max())
    diagonal = alt.Chart(pd.DataFrame({"x": [low, high]})).mark_line(color="#999", strokeDash=[4, 4]).encode(
        x="x:Q", y="x:Q")
    dots = alt.Chart(stats).mark_circle(size=30, opacity=0.7).encode(
        x=alt.X("calibrated:Q", title="calibrated on the whole training split", scale=alt.Scale(zero=False)),
        y=alt.Y("running:Q", title="running estimate", scale=alt.Scale(zero=False)),
        color=alt.Color("statistic:N", legend=alt.Legend(orient="bottom")),
        tooltip=["neuron:Q", "statistic:N", alt.Tooltip("running:Q", format=".4f"),
                 alt.Tooltip("calibrated:Q", format=".4f")])
    return layered(diagonal, dots, height=height)


def jitter_chart(frame: pd.DataFrame, eval_loss: float, height: int = HEIGHT) -> alt.Chart:
    """How one example's loss spreads over the batches it was normalized with (a histogram), and its loss in
    eval mode (running statistics: the same every time). frame: batch, loss."""
    if frame.empty:
        return empty_chart("No batches", height)
    bars = alt.Chart(frame).mark_bar(color="#1f77b4", opacity=0.8).encode(
        x=alt.X("loss:Q", bin=alt.Bin(maxbins=30), title="this example's loss (-log p of its next character)"),
        y=alt.Y("count():Q", title="batches"))
    rule = alt.Chart(pd.DataFrame({"loss": [eval_loss], "label": [f"eval mode {eval_loss:.3f}"]}))
    return layered(bars, rule.mark_rule(color=REFERENCE_COLOR, strokeDash=[6, 4], strokeWidth=2).encode(x="loss:Q"),
                   rule.mark_text(align="left", dx=4, y=8, color=REFERENCE_COLOR).encode(x="loss:Q", text="label:N"),
                   height=height)
