"""Lecture 3: initialization, activations, gradients and BatchNorm, trained live."""
import streamlit as st

from makemore.presets import SAMPLE_SEED
from makemore.training import TrainConfig
from ui.export import export_menu
from ui.live import live_run
from ui.panels import diagnostics as panel
from ui.panels.activations import lesson_sections
from ui.panels.class_board import share_live_run
from ui.panels.deep_net_controls import deep_net_controls
from ui.panels.sweep import sweep_panel
from ui.presentation import button_row, controls_area
from ui.runnable import control_row, live_area
from ui.sidebar import page_end, page_setup
from ui.state import share_link
from ui.tours import diagnostics_tour
from ui.walkthrough import walkthrough

P = "diag"  # widget-key prefix of this page
STATE = "diag_run"

settings = page_setup("Activations & BatchNorm")
st.title("Activations, gradients and BatchNorm")
st.write("Lecture 3 made live: part 2's MLP fixed stop by stop, then a deep net, at their initialization. Change "
         "the init, the learning rate or BatchNorm and watch the loss, the tanh saturation and the gradients answer "
         "as it trains.")

tour = st.container()  # the walk-through, written once the run below exists: its sentences quote the run
with controls_area():
    controls = deep_net_controls(P)
train = TrainConfig(steps=200_000, batch_size=controls.batch_size, lr=10 ** controls.lr_exponent,
                    lr_decay_at=None, stats_every=controls.stats_every)
run = live_run(STATE, controls.model_config(), train, settings, label=controls.label,
               page="Activations & BatchNorm", sample_seed=SAMPLE_SEED)

control_row(STATE, P)
with tour:
    walkthrough(P, diagnostics_tour(P, run))
with button_row():
    if st.button("Pin this run", key=f"{P}_pin", icon=":material/push_pin:",
                 help="Keep this run's loss and update:data curves as dashed overlays (each its own colour, named on the chart) to compare e.g. "
                      "BatchNorm on and off, or gain 1 and 5/3, on the same axes."):
        if run.trainer.step:
            panel.pin(run, f"{controls.label} · {run.trainer.step:,} steps")
        else:
            st.toast("Train a few steps first: there is nothing to pin yet.")
    if run.pinned and st.button("Clear pins", key=f"{P}_unpin"):
        panel.unpin(run)
    share_live_run(STATE, P)
    share_link()
    export_menu(P)
if run.pinned:
    st.caption("Pinned: " + "; ".join(p["label"] for p in run.pinned))

live_area(STATE, lambda current: panel.draw(current, P), controls.redraw)

st.divider()
lesson_sections(run, settings, P)
with st.expander("Sweep: several copies at once (e.g. gains 0.5 … 3 side by side)", icon=":material/stacked_line_chart:"):
    sweep_panel(settings)
page_end()
