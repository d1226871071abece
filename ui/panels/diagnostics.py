"""The live diagnostics of part 3 for one run: loss, activations, saturation, gradients, updates."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from makemore.charts import training as charts
from makemore.charts.core import window_width
from makemore.layers import NONLINEARITIES
from makemore.stats import diagnostics as dg
from ui import runs
from ui.export import show_chart
from ui.live import EVAL_EVERY, EVAL_EXAMPLES, LiveRun, archive, status_line
from ui.panels import inside_model
from ui.presentation import chart_height, presenting, side_by_side
from ui.presenter import grid

NONLINEAR_KINDS = tuple(cls.__name__ for cls in NONLINEARITIES.values())
MAX_PINS = 4
NO_SNAPSHOT = "Take a step (or press Train) to see the activations and gradients of a batch."


def draw(run: LiveRun, prefix: str) -> None:
    """Everything the page redraws on each tick."""
    trainer = run.trainer
    status_line(run)
    if presenting():
        return dashboard(run, prefix)
    loss_section(run, prefix)
    snap = trainer.snapshot
    if snap is None:
        st.info(NO_SNAPSHOT)
        return
    st.caption(f"Histograms and tables show the minibatch of step {snap.step:,} "
               f"(statistics every {trainer.config.stats_every} steps).")
    left, right = side_by_side()
    with left:
        activation_section(snap, prefix)
    with right:
        pickable = inside_model.is_open(inside_model.neurons_key(prefix))
        layer, clicked = saturation_section(snap, prefix, pickable)
    inside_model.neuron_section(run, prefix, layer, clicked)
    preactivations_beside_gradients(snap, prefix)
    left, right = side_by_side()
    with left:
        weight_gradient_section(snap, prefix)
    with right:
        update_section(run, prefix)
    inside_model.weights_section(run, prefix)


def preactivations_beside_gradients(snap, prefix: str) -> None:
    """The pre-activation histograms beside the gradient histograms (the page and the dashboard both show them)."""
    left, right = side_by_side()
    with left:
        preactivation_section(snap, prefix)
    with right:
        gradient_section(snap, prefix)


def dashboard(run: LiveRun, prefix: str) -> None:
    """Presenter mode: the lecture's demo on one screen (loss, activations, saturation, update:data in a 2 x 2
    grid), the other sections below it."""
    snap = run.trainer.snapshot
    with grid(rows=2) as (loss, activations, saturation, updates):
        with loss:
            loss_section(run, prefix)
        with updates:
            update_section(run, prefix)
        if snap is None:
            activations.info(NO_SNAPSHOT)
            return
        with activations:
            activation_section(snap, prefix)
        with saturation:
            saturation_section(snap, prefix)
    preactivations_beside_gradients(snap, prefix)
    weight_gradient_section(snap, prefix)


def loss_section(run: LiveRun, prefix: str) -> None:
    trainer = run.trainer
    evals = pd.DataFrame([{"step": e["step"], "loss": e["dev"]} for e in trainer.evals if "dev" in e])
    lr_changes = pd.DataFrame(trainer.lr_changes, columns=["step", "lr"])
    pinned = pd.concat([p["loss"] for p in run.pinned], ignore_index=True) if run.pinned else None
    st.subheader("Loss")
    x_max = None
    if pinned is not None and not pinned.empty and st.toggle(
            "Fit the x axis to the pinned runs", key=f"{prefix}_fit_pins",
            help="A long live run squeezes short pinned runs into the left edge; this ends the axis at the "
                 "last step of the longest pin."):
        x_max = int(pinned["step"].max())
    losses = runs.loss_curve(trainer)
    show_chart(charts.loss_chart(losses, evals, math.log(trainer.model.config.vocab_size), lr_changes, pinned,
                                 height=chart_height(), x_max=x_max), prefix, "loss")
    width = window_width(int(losses["step"].max()) + 1 if not losses.empty else 1)
    st.caption(f"Bold: the mean loss over each window of {width:,} step{'s' if width > 1 else ''} (the lecture's "
               "view), drawn at the window's middle; shaded: where the middle 80% of those steps' losses lie; "
               f"orange dots: dev loss ({EVAL_EXAMPLES:,} dev examples every {EVAL_EVERY:,} steps); red dashes: "
               "a uniform guess, -ln(1/vocab). A broken init starts far above the red line and its first steps "
               "only squash the logits (the hockey stick); a good init starts on it. Pinned runs: dashed, each "
               "in its own colour, named at its end.")


def activation_section(snap: dg.Snapshot, prefix: str) -> None:
    st.subheader("Activations")
    hist = dg.activation_histograms(snap, NONLINEAR_KINDS)
    show_chart(charts.density_chart(hist, "nonlinearity output", chart_height()), prefix, "activations")
    table = dg.activation_table(snap, NONLINEAR_KINDS)
    st.dataframe(table[["label", "mean", "std", "saturated_pct"]].rename(
        columns={"label": "layer", "saturated_pct": "saturated %"}), hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ["mean", "std", "saturated %"]})
    st.caption("Healthy tanh layers spread over (-1, 1). Spikes at ±1 are saturated units (|t| > 0.97) that "
               "pass almost no gradient back: a few percent is fine, tens of percent is not.")


def saturation_section(snap: dg.Snapshot, prefix: str, pickable: bool = False) -> tuple[int | None, int | None]:
    """The chosen layer's saturation image; (that layer, the neuron a new click picked) when `pickable`."""
    st.subheader("Saturation image")
    layers = [r for r in snap.layers if r.dead is not None]
    if not layers:
        st.info("This network has no nonlinearity to inspect.")
        return None, None
    labels = {dg.layer_label(r.index, r.kind): r.index for r in layers}
    choice = st.selectbox("Layer", list(labels), key=f"{prefix}_sat_layer",
                          help="Which hidden layer's outputs to show: one row per example, one column per neuron.")
    index = labels[choice]
    picked = show_chart(charts.saturation_image(dg.saturation_frame(snap, index), chart_height(220), pickable),
                        prefix, "saturation", key=f"{prefix}_sat_pick" if pickable else None)
    dead = dg.dead_neurons(snap, index)
    st.caption(f"White: |h| > 0.99 (tanh) for that example. A column white from top to bottom is a dead neuron "
               f"that never learns: {dead} in this layer now."
               + (" Click a column to inspect its neuron below." if pickable else ""))
    return index, inside_model.clicked_neuron(picked, prefix)


def preactivation_section(snap: dg.Snapshot, prefix: str) -> None:
    has_bn = any(r.kind == "BatchNorm1d" for r in snap.layers)
    st.subheader("Pre-activations")
    kinds = ("BatchNorm1d",) if has_bn else ("Linear",)
    hist = dg.activation_histograms(snap, kinds)
    show_chart(charts.density_chart(hist, "input to the nonlinearity", chart_height()), prefix, "pre-activations")
    if has_bn and st.toggle("Show the Linear outputs before BatchNorm too", key=f"{prefix}_show_linear",
                            help="What BatchNorm receives: watch its spread change with the gain while the "
                                 "normalized output above stays put."):
        show_chart(charts.density_chart(dg.activation_histograms(snap, ("Linear",)), "Linear output",
                                        chart_height()), prefix, "linear outputs")
    st.caption("What feeds the nonlinearity. A spread much wider than 1 drives tanh into its flat tails; "
               + ("BatchNorm re-centres every layer to mean 0, std 1 (times its learned gain)." if has_bn else
                  "a gain of 5/3 with 1/√fan_in keeps it near 1 (Kaiming init)."))


def gradient_section(snap: dg.Snapshot, prefix: str) -> None:
    st.subheader("Gradients")
    hist = dg.gradient_histograms(snap, NONLINEAR_KINDS)
    show_chart(charts.density_chart(hist, "d loss / d (layer output)", chart_height()), prefix, "gradients")
    table = dg.gradient_table(snap, NONLINEAR_KINDS)
    st.dataframe(table[["label", "mean", "std"]].rename(columns={"label": "layer"}), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.3e") for c in ["mean", "std"]})
    st.caption("The gradient arriving at each layer's output. Similar spreads in every layer mean nothing "
               "vanishes or explodes on the way back; shrinking spreads towards the input mean it does.")


def weight_gradient_section(snap: dg.Snapshot, prefix: str) -> None:
    st.subheader("Weight gradients")
    show_chart(charts.density_chart(dg.weight_gradient_histograms(snap), "gradient of the weights",
                                    chart_height(), legend_title="weight of"), prefix, "weight gradients")
    table = dg.parameter_table(snap)
    table = table[table["ndim"] == 2][["name", "shape", "grad_mean", "grad_std", "grad_data_ratio"]]
    st.dataframe(table.rename(columns={"grad_mean": "mean", "grad_std": "std", "grad_data_ratio": "grad:data"}),
                 hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.3e") for c in ["mean", "std", "grad:data"]})
    st.caption("grad:data compares the gradient's spread with the weights' own: a matrix with a much larger "
               "ratio (often the last layer) trains faster than the rest.")


def update_section(run: LiveRun, prefix: str) -> None:
    st.subheader("Update : data ratio")
    curve = runs.update_curve(run.trainer, weights_only=True)
    weights = curve["name"].unique()
    pinned = None
    if run.pinned:
        pinned = pd.concat([p["updates"] for p in run.pinned], ignore_index=True)
        pinned = pinned[pinned["name"].isin(weights)] if not pinned.empty else None
    show_chart(charts.update_ratio_chart(curve, pinned, height=chart_height()), prefix, "update-data ratio")
    st.caption("log10 of how much a step changes each weight matrix relative to its size. About -3 (dashed) "
               "is a healthy pace; far below learns too slowly (raise the lr), far above is too fast.")


def pin(run: LiveRun, label: str) -> None:
    """Keep this run's loss and update:data curves as a faded overlay (the oldest pin goes beyond MAX_PINS), in
    the store too (with the run)."""
    loss = runs.loss_curve(run.trainer).assign(run=label)
    updates = runs.update_curve(run.trainer, weights_only=True).assign(run=label)  # the chart's
    run.pinned = (run.pinned + [{"label": label, "loss": loss, "updates": updates}])[-MAX_PINS:]
    archive(run, evaluate=False)


def unpin(run: LiveRun) -> None:
    run.pinned = []
    archive(run, evaluate=False)
