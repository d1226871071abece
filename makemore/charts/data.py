"""Charts of the Data page: how long the words are and which characters they use."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, empty_chart

MAX_BARS = 40  # characters shown in the frequency chart (the most frequent)


def length_histogram(frame: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """Words per length. frame: length, words."""
    if frame.empty:
        return empty_chart("No words", height)
    return alt.Chart(frame, height=height).mark_bar(color="#1f77b4").encode(
        x=alt.X("length:O", title="word length (characters)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("words:Q", title="number of words"),
        tooltip=[alt.Tooltip("length:O", title="length"), alt.Tooltip("words:Q", format=",")],
    )


def char_frequency_chart(frame: pd.DataFrame, height: int = HEIGHT) -> alt.Chart:
    """The most frequent characters' shares of all characters. frame: label, count, share (sorted)."""
    if frame.empty:
        return empty_chart("No characters", height)
    frame = frame.head(MAX_BARS)
    return alt.Chart(frame, height=height).mark_bar(color="#1f77b4").encode(
        x=alt.X("label:N", sort=None, title="character (most frequent first)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="share of all characters", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("label:N", title="character"), alt.Tooltip("count:Q", format=","),
                 alt.Tooltip("share:Q", format=".2%")],
    )
