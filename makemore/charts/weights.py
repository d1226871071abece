"""Charts of the weights themselves (parts 2 and 3): each matrix as a heatmap beside its last update."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import empty_chart

PANEL = 200  # pixels per side of each heatmap
UPDATE_DECADES = 4  # as stats.weights: the update's shade s stands for ±10 ** (UPDATE_DECADES * (|s| - 1))
SHADES = alt.Scale(scheme="blueorange", domain=[-1, 1], domainMid=0)  # diverging, colour-blind safe
# one legend reads the shade both ways: the weights' linearly, the update's in decades (±1/4 is 1e-3)
LEGEND = alt.Legend(
    title=["weights: value / the matrix's scale", "update: the same, in decades"], orient="bottom", direction="horizontal",
    gradientLength=360, titleLimit=0, values=[-1, -0.25, 0.25, 1], labelFontSize=10,
    labelExpr=f"(datum.value < 0 ? '−' : '+') + format(abs(datum.value), '.2~f') + "
              f"' | ' + (datum.value < 0 ? '−' : '+') + '1e' + "
              f"format({UPDATE_DECADES} * abs(datum.value) - {UPDATE_DECADES}, 'd')")


def weight_heatmaps(frame: pd.DataFrame, panel: int = PANEL) -> alt.Chart:
    """A row per matrix (labelled with its layer's block): the weights, and beside them the step's update;
    blue negative, orange positive, white zero.

    frame: matrix, panel, row, row_end, col, col_end, value, shade (as stats.weights.weight_frame
    returns); colour is `shade`, on the matrix's fixed scale, so a picture that fades has shrunk. One chart
    faceted by its encoding, with one dataset: it is rebuilt on every redraw, and Altair's concatenated
    and faceted charts deep-copy their parts (ten times the cost).
    """
    if frame.empty:
        return empty_chart("No weights yet: take a step", panel)
    matrices = [str(m) for m in frame["matrix"].unique()]
    chart = alt.Chart(frame, width=panel, height=panel).mark_rect(strokeWidth=0).encode(
        x=alt.X("col:Q", title="column: output unit (C: dimension)", scale=alt.Scale(nice=False, zero=True),
                axis=alt.Axis(tickMinStep=1, format="d")),
        x2=alt.X2("col_end:Q"),
        y=alt.Y("row:Q", title="row: input (C: character)", scale=alt.Scale(nice=False, zero=True, reverse=True),
                axis=alt.Axis(tickMinStep=1, format="d")),
        y2=alt.Y2("row_end:Q"),
        color=alt.Color("shade:Q", scale=SHADES, legend=LEGEND),
        row=alt.Row("matrix:N", sort=matrices, title=None, spacing=18, header=alt.Header(
            labelAngle=0, labelOrient="top", labelAnchor="start", labelFontWeight="bold", labelFontSize=12)),
        column=alt.Column("panel:N", sort=[str(p) for p in frame["panel"].unique()], title=None, spacing=24,
                          header=alt.Header(labelFontSize=12)),
        tooltip=[alt.Tooltip("matrix:N"), alt.Tooltip("panel:N", title="showing"), alt.Tooltip("rows:N"),
                 alt.Tooltip("cols:N", title="columns"),
                 alt.Tooltip("value:Q", title="largest |value| there, signed", format=".3g")],
    ).transform_calculate(
        rows="datum.row_end - datum.row > 1 ? datum.row + '–' + (datum.row_end - 1) : '' + datum.row",
        cols="datum.col_end - datum.col > 1 ? datum.col + '–' + (datum.col_end - 1) : '' + datum.col",
    )
    chart.resolve = alt.Resolve(scale=alt.ScaleResolveMap(x="independent", y="independent"))  # no copy, as set
    return chart
