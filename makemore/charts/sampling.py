"""Charts of sampling: one step's next-character probabilities with the character drawn."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, empty_chart


def next_char_chart(frame: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """Bars of P(next character) in vocabulary order; the drawn one in orange.

    frame: token, label, prob, chosen (from makemore.lessons.sampling.step_frame).
    """
    if frame.empty:
        return empty_chart("No step to show", height)
    order = frame.sort_values("token")["label"].tolist()
    return alt.Chart(frame, height=height).mark_bar().encode(
        x=alt.X("label:N", sort=order, title="next character (vocabulary order)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("prob:Q", title="probability", scale=alt.Scale(domain=[0, max(0.05, float(frame["prob"].max()))])),
        color=alt.Color("chosen:N", scale=alt.Scale(domain=[False, True], range=["#9ecae1", "#ff7f0e"]),
                        legend=alt.Legend(title="drawn", labelExpr="datum.label == 'true' ? 'yes' : 'no'")),
        tooltip=[alt.Tooltip("label:N", title="character"), alt.Tooltip("prob:Q", format=".3f"),
                 alt.Tooltip("chosen:N", title="drawn")],
    )
