"""Charts of part 4: how far each hand-written gradient is from autograd's, and the twin loss curves."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, empty_chart, window_means

EXACT_FLOOR = 1e-12  # where a difference of exactly 0 is drawn on the log axis
BASELINE = 1e-13  # where the bars start: a log axis has no zero
# Okabe-Ito's bluish green (a pale tint of it for "approximate") and vermillion: told apart with any colour vision
VERDICT_COLORS = {"exact": "#009E73", "approximate": "#80CEB9", "wrong": "#D55E00"}
VERDICTS = alt.Scale(domain=list(VERDICT_COLORS), range=list(VERDICT_COLORS.values()))
TWIN_STYLE = {"hand-written": ("#1f77b4", []), "autograd": ("#ff7f0e", [6, 4])}


def verdict_labels(table: pd.DataFrame) -> list[str]:
    """exact / approximate / wrong for each row of a check table (columns exact, approximate)."""
    return [("exact" if exact else "approximate") if close else "wrong"
            for exact, close in zip(table["exact"], table["approximate"])]


def gradcheck_chart(table: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """One bar per tensor: the largest |hand-written - autograd| difference on a log axis, red when wrong.

    table: tensor, maxdiff, exact, approximate (as backprop.gradcheck returns it), in display order.
    """
    if table.empty:
        return empty_chart("Nothing checked yet", height)
    frame = table.assign(shown=table["maxdiff"].clip(lower=EXACT_FLOOR), verdict=verdict_labels(table))
    return alt.Chart(frame, height=height).mark_bar().encode(
        y=alt.Y("tensor:N", sort=list(frame["tensor"]), title="gradient of"),
        x=alt.X("shown:Q", scale=alt.Scale(type="log", domainMin=BASELINE),
                axis=alt.Axis(format=".0e", tickCount=6),
                title="max |hand-written − autograd| (log)"),
        x2=alt.X2Datum(BASELINE),
        color=alt.Color("verdict:N", scale=VERDICTS, title=None,
                        legend=alt.Legend(orient="bottom", direction="vertical")),
        tooltip=[alt.Tooltip("tensor:N"), alt.Tooltip("maxdiff:Q", title="max difference", format=".3g"),
            alt.Tooltip("verdict:N")],
    )


def twin_loss_chart(frame: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """The two twins' loss (means over windows of steps) on the same axes: solid hand-written, dashed autograd.

    frame: step, loss, backward ("hand-written" or "autograd").
    """
    if frame.empty:
        return empty_chart("Press Train or Step to train both twins", height)
    frame = window_means(frame, by="backward")
    names = list(TWIN_STYLE)
    return alt.Chart(frame, height=height).mark_line(strokeWidth=2.5).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("loss:Q", title="loss (window means)", scale=alt.Scale(zero=False)),
        color=alt.Color("backward:N", title="backward pass",
                        scale=alt.Scale(domain=names, range=[TWIN_STYLE[n][0] for n in names])),
        strokeDash=alt.StrokeDash("backward:N", title="backward pass",
                                  scale=alt.Scale(domain=names, range=[TWIN_STYLE[n][1] for n in names])),
        tooltip=[alt.Tooltip("backward:N"), alt.Tooltip("first:Q", title="from step"), alt.Tooltip("last:Q", title="to step"),
                 alt.Tooltip("loss:Q", title="mean loss", format=".4f")],
    )
