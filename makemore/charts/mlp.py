"""Charts of part 2: the learning-rate finder and the character embedding scatter."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .core import HEIGHT, downsample, empty_chart, horizontal_guide, layered

KIND_COLORS = alt.Scale(domain=["boundary", "vowel", "other"], range=["#d62728", "#ff7f0e", "#1f77b4"])


def lr_finder_chart(sweep: pd.DataFrame, suggestion=None, height: int = HEIGHT) -> alt.Chart:
    """Loss at each step of the sweep against that step's lr (log axis), faint raw and bold smoothed,
    with the suggested range shaded and its pick marked.

    sweep: lr, loss, smoothed. suggestion: a makemore.lessons.mlp.Suggestion or None.
    """
    if sweep.empty:
        return empty_chart("Run the finder to see loss against learning rate", height)
    sweep = downsample(sweep)
    x = alt.X("lr:Q", scale=alt.Scale(type="log"), title="learning rate (log scale)")
    y_title = "training loss of the step"
    layers = []
    if suggestion is not None:
        band = pd.DataFrame({"low": [suggestion.low], "high": [suggestion.high]})
        layers.append(alt.Chart(band).mark_rect(color="#2ca02c", opacity=0.15).encode(x=alt.X("low:Q"),
            x2=alt.X2("high:Q")))
        pick = pd.DataFrame({"lr": [suggestion.lr], "label": [f"suggested lr ≈ {suggestion.lr:.2g}"]})
        layers.append(alt.Chart(pick).mark_rule(color="#2ca02c", strokeWidth=2).encode(x=alt.X("lr:Q")))
        layers.append(alt.Chart(pick).mark_text(align="left", dx=4, y=10, color="#2ca02c", fontWeight="bold").encode(
            x=alt.X("lr:Q"), text=alt.Text("label:N")))
    base = alt.Chart(sweep).encode(x=x)
    layers.append(base.mark_line(opacity=0.3, strokeWidth=1, color="#1f77b4").encode(
        y=alt.Y("loss:Q", title=y_title, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("lr:Q", format=".3g"), alt.Tooltip("loss:Q", format=".3f")]))
    layers.append(base.mark_line(strokeWidth=2.5, color="#1f77b4").encode(
        y=alt.Y("smoothed:Q", title=y_title),
        tooltip=[alt.Tooltip("lr:Q", format=".3g"), alt.Tooltip("smoothed:Q", title="smoothed loss", format=".3f")]))
    return layered(*layers, height=height)


def embedding_chart(frame: pd.DataFrame, axis: str, height: int = HEIGHT + 80,
                    extent: tuple[float, float, float, float] | None = None) -> alt.Chart:
    """Every character as a labelled dot at its (2-D) embedding. frame: label, kind, x, y.

    extent: (x min, x max, y min, y max) of the axes (lessons.mlp.grown_extent, for a plot that redraws
    while it trains); default, the dots'.
    """
    if frame.empty:
        return empty_chart("No embedding yet", height)
    x_domain, y_domain = (alt.Undefined, alt.Undefined) if extent is None else (list(extent[:2]), list(extent[2:]))
    base = alt.Chart(frame).encode(
        x=alt.X("x:Q", title=f"{axis} 1", scale=alt.Scale(zero=False, nice=False, padding=20, domain=x_domain)),
        y=alt.Y("y:Q", title=f"{axis} 2", scale=alt.Scale(zero=False, nice=False, padding=20, domain=y_domain)),
        tooltip=[alt.Tooltip("label:N", title="character"), alt.Tooltip("kind:N"), alt.Tooltip("x:Q", format=".3f"),
                 alt.Tooltip("y:Q", format=".3f")])
    dots = base.mark_circle(size=320, opacity=0.85).encode(
        color=alt.Color("kind:N", scale=KIND_COLORS, title="character",
                        legend=alt.Legend(orient="bottom")))
    labels = base.mark_text(color="white", fontWeight="bold", fontSize=11).encode(text=alt.Text("label:N"))
    return layered(dots, labels, height=height)


def overfit_chart(losses: pd.DataFrame, floor: float, height: int = HEIGHT) -> alt.Chart:
    """The loss of a network trained on one small batch, step by step (log axis), with the lowest loss any
    model can reach on that batch as a dashed line. losses: step, loss."""
    if losses.empty:
        return empty_chart("Press the button to train on one batch", height)
    line = alt.Chart(downsample(losses)).mark_line(color="#1f77b4", strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step (the same batch every step)"),
        y=alt.Y("loss:Q", title="loss on the batch (log scale)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4f")])
    return layered(line, *horizontal_guide(floor, f"lowest possible {floor:.3f}", "#2ca02c"), height=height)
