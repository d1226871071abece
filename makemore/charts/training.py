"""Charts of a training run (part 3): loss, histograms, the saturation image, update:data."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .core import (
    HEIGHT,
    LOSS_PADDING,
    block_color_encoding,
    downsample,
    empty_chart,
    horizontal_guide,
    layered,
    uniform_guess_guide,
    window_means,
    window_width,
)

PIN_COLORS = ["#6b6b6b", "#8c564b", "#bcbd22", "#17becf", "#e377c2", "#7f7f7f"]  # muted: not the layers'
PIN_DASHES = [[6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4], [4, 2, 1, 2]]
NEURON_PICK = "neuron_pick"  # the saturation image's selection: the neuron clicked
UPDATE_POINTS = 150  # points per weight matrix on the update:data chart (several lines share it)
LIVE_COLOR = "#1f77b4"


def loss_chart(losses: pd.DataFrame, evals: pd.DataFrame | None = None, reference: float | None = None,
               lr_changes: pd.DataFrame | None = None, pinned: pd.DataFrame | None = None,
               log_scale: bool = True, height: int = HEIGHT, x_max: float | None = None) -> alt.Chart:
    """Training loss as the mean over windows of steps (the lecture's view, drawn at each window's middle)
    with the band its per-step values fill (10th to 90th percentile), dev-loss points, the uniform-guess
    line, learning-rate changes as vertical rules, and pinned runs, each in its own dash and colour and
    labelled at its end.

    losses: step, loss. evals: step, loss (dev). lr_changes: step, lr. pinned: run, step, loss.
    x_max: the x axis ends there (e.g. the pinned runs' last step), cutting what lies beyond.
    """
    losses = losses[np.isfinite(losses["loss"].to_numpy())]
    if losses.empty:
        return empty_chart("Press Train or Step to see the loss", height)
    last_step = max(int(losses["step"].max()), int(pinned["step"].max()) if pinned is not None and len(pinned) else 0)
    width = window_width(last_step + 1)  # the same windows for the live run and its pins: comparable curves
    windows = window_means(losses, width=width)
    # the domain is the data's (every layer's, the guide's included), padded in pixels by Vega: a spec that
    # stays the same from tick to tick, so the browser updates the chart's data instead of rebuilding it
    y_scale = (alt.Scale(type="log", nice=False, padding=LOSS_PADDING) if log_scale else
               alt.Scale(zero=False, nice=False, padding=LOSS_PADDING))
    y_title = "loss (log scale)" if log_scale else "loss"
    y = alt.Y("loss:Q", title=y_title, scale=y_scale)
    x = alt.X("step:Q", title="training step", scale=alt.Scale(domain=[0, x_max]) if x_max else alt.Undefined)
    clip = x_max is not None
    base = alt.Chart().encode(x=x)  # the layered chart's data: the windows
    window_tooltip = [alt.Tooltip("first:Q", title="from step"), alt.Tooltip("last:Q", title="to step"),
                      alt.Tooltip("loss:Q", title="mean loss", format=".4f"),
                      alt.Tooltip("low:Q", title="10th percentile", format=".4f"),
                      alt.Tooltip("high:Q", title="90th percentile", format=".4f")]
    layers = [
        base.mark_area(opacity=0.22, color=LIVE_COLOR, clip=clip).encode(
            y=alt.Y("low:Q", scale=y_scale, title=y_title), y2=alt.Y2("high:Q"), tooltip=window_tooltip),
        base.mark_line(strokeWidth=2.5, color=LIVE_COLOR, clip=clip).encode(y=y, tooltip=window_tooltip),
    ]
    if pinned is not None and not pinned.empty:
        layers[:0] = pinned_layers(window_means(pinned, by="run", width=width), x, y_scale, y_title, clip)
    if evals is not None and not evals.empty:
        layers.append(alt.Chart(evals).mark_point(filled=True, size=60, color="#ff7f0e", clip=clip).encode(
            x=x, y=alt.Y("loss:Q", scale=y_scale),
            tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", title="dev loss", format=".4f")]))
    if reference is not None:
        layers += uniform_guess_guide(reference, alt.XValue("width"), align="right")
    if lr_changes is not None and not lr_changes.empty:
        marks = lr_changes.assign(label=lr_changes["lr"].map(lambda lr: f"lr → {lr:.3g}"))
        layers.append(alt.Chart(marks).mark_rule(color="#9467bd", strokeDash=[2, 2], clip=clip).encode(
            x=alt.X("step:Q")))
        layers.append(alt.Chart(marks).mark_text(align="left", dx=3, y=8, color="#9467bd", clip=clip).encode(
            x=alt.X("step:Q"), text=alt.Text("label:N")))
    return layered(*layers, data=windows, height=height)


def pinned_layers(windows: pd.DataFrame, x: alt.X, y_scale: alt.Scale, y_title: str, clip: bool) -> list[alt.Chart]:
    """Each pinned run's window means (`windows`: run, step, loss) in its own colour and dash, with its name at
    its last point."""
    names = list(dict.fromkeys(windows["run"]))
    style = dict(
        color=alt.Color("run:N", scale=alt.Scale(domain=names, range=PIN_COLORS[:len(names)] or PIN_COLORS),
                        legend=None),
        strokeDash=alt.StrokeDash("run:N", scale=alt.Scale(domain=names, range=PIN_DASHES[:len(names)]),
                                  legend=None))
    ends = windows.groupby("run", sort=False).tail(1).assign(label=lambda f: "pinned: " + f["run"])
    y = alt.Y("loss:Q", scale=y_scale, title=y_title)
    return [alt.Chart(windows).mark_line(strokeWidth=2, opacity=0.9, clip=clip).encode(
                x=x, y=y, **style, tooltip=[alt.Tooltip("run:N", title="pinned run"),
                                            alt.Tooltip("loss:Q", title="mean loss", format=".4f")]),
            alt.Chart(ends).mark_text(align="left", dx=4, dy=-6, fontSize=11, clip=clip).encode(
                x=x, y=y, text=alt.Text("label:N"), color=style["color"])]


def density_chart(frame: pd.DataFrame, x_title: str, height: int = HEIGHT, legend_title: str = "layer") -> alt.Chart:
    """Histogram curves (density against value), one line per layer, coloured by its block.

    frame: label, block, x, density (as the diagnostics histogram builders return).
    """
    if frame.empty:
        return empty_chart("No statistics yet: take a step", height)
    return alt.Chart(frame, height=height).mark_line(strokeWidth=2).encode(
        x=alt.X("x:Q", title=x_title),
        y=alt.Y("density:Q", title="density"),
        color=block_color_encoding(frame["block"], legend_title),
        detail=alt.Detail("label:N"),
        tooltip=[alt.Tooltip("label:N", title="layer"), alt.Tooltip("x:Q", format=".3g"),
                 alt.Tooltip("density:Q", format=".3g")],
    )


def saturation_image(frame: pd.DataFrame, height: int = 220, pickable: bool = False) -> alt.Chart:
    """The lecture's imshow of |h| > 0.99: examples down, neurons across, white where saturated.

    frame: example, neuron, dead (every cell). Only the white cells are marks, on a black view: a live
    redraw then sends, and the browser draws, the saturated few instead of batch x width rects (3,200).
    pickable: every cell is a mark, so that a click anywhere in a column picks its neuron, as the selection
    NEURON_PICK ({"neuron": j}; for `st.altair_chart(..., on_select="rerun")`).
    """
    if frame.empty:
        return empty_chart("No statistics yet: take a step", height)
    examples, neurons = int(frame["example"].max()) + 1, int(frame["neuron"].max()) + 1
    hidden = alt.Axis(labels=False, ticks=False, grid=False)
    cells = frame if pickable else frame[frame["dead"]]
    chart = alt.Chart(cells, height=height, view=alt.ViewBackground(fill="#000000")).mark_rect(strokeWidth=0).encode(
        x=alt.X("neuron:O", title="neuron", axis=hidden, scale=alt.Scale(domain=list(range(neurons)))),
        y=alt.Y("example:O", title="example in the batch", axis=hidden, scale=alt.Scale(domain=list(range(examples)))),
        color=alt.Color("dead:N", scale=alt.Scale(domain=[False, True], range=["#000000", "#ffffff"]),
                        legend=alt.Legend(title="|h| > 0.99", symbolStrokeColor="#888888", symbolStrokeWidth=1,
                                          labelExpr="datum.label == 'true' ? 'yes' : 'no'")),
        tooltip=[alt.Tooltip("example:O"), alt.Tooltip("neuron:O"), alt.Tooltip("dead:N", title="saturated")],
    )
    return chart.add_params(alt.selection_point(name=NEURON_PICK, fields=["neuron"], on="click")) if pickable else chart


def update_ratio_chart(frame: pd.DataFrame, pinned: pd.DataFrame | None = None, guide: float = -3.0,
                       height: int = HEIGHT) -> alt.Chart:
    """log10(update std / data std) over steps, one line per weight matrix, with the -3 guide line.

    frame: step, name, block, log10_ratio. pinned: run, step, name, log10_ratio.
    """
    if frame.empty:
        return empty_chart("No update:data ratios yet: train a few steps", height)
    frame = downsample(frame, UPDATE_POINTS, by="name")
    x = alt.X("step:Q", title="training step")
    y = alt.Y("log10_ratio:Q", title="log10(update std / data std)")
    layers = []
    if pinned is not None and not pinned.empty:
        names = list(dict.fromkeys(pinned["run"]))
        layers.append(alt.Chart(downsample(pinned, UPDATE_POINTS, by=["run", "name"])).mark_line(opacity=0.6).encode(
            x=x, y=y, detail=alt.Detail("key:N"),
            color=alt.Color("run:N", scale=alt.Scale(domain=names, range=PIN_COLORS[:len(names)]), legend=None),
            strokeDash=alt.StrokeDash("run:N", scale=alt.Scale(domain=names, range=PIN_DASHES[:len(names)]),
                                      legend=None),
            tooltip=[alt.Tooltip("run:N", title="pinned run"), alt.Tooltip("name:N")]).transform_calculate(
            key="datum.run + ' ' + datum.name"))
    layers.append(alt.Chart(frame).mark_line(strokeWidth=1.8).encode(
        x=x, y=y, color=block_color_encoding(frame["block"]), detail=alt.Detail("name:N"),
        tooltip=[alt.Tooltip("name:N"), alt.Tooltip("step:Q"), alt.Tooltip("log10_ratio:Q", format=".2f")]))
    layers += healthy_pace_guide(guide)
    return layered(*layers, height=height)


def healthy_pace_guide(guide: float = -3.0) -> list[alt.Chart]:
    """The update:data charts' dashed line at log10 ratio `guide`, labelled as the lecture's rule of thumb."""
    return horizontal_guide(guide, f"1e{guide:g}: a healthy pace", "black")
