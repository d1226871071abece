"""The deep-net control strip of the diagnostics page: one-click setups, architecture, init, training."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui.presentation import button_row
from ui.state import URL_READ, persistent_widget
from ui.text import code

KAIMING_TANH = 5 / 3
GAINS = sorted({round(i * 0.05, 2) for i in range(61)} | {KAIMING_TANH})
OUTPUT_SCALES = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
STATS_EVERY = [1, 2, 5, 10, 20, 50, 100]
REDRAWS = [0.5, 1.0]  # seconds between chart redraws while training
NONLINEARITY_NAMES = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU"}

DEFAULTS = dict(depth=5, width=100, nonlinearity="tanh", batchnorm=True, scale_by_fan_in=True, gain=1.0,
                output_scale=0.1, lr_exponent=-1.0, batch_size=32, stats_every=10, redraw=0.5)
URL_PARAMS = dict(depth="depth", width="width", nonlinearity="act", batchnorm="bn", scale_by_fan_in="fanin",
                  gain="gain", output_scale="out", lr_exponent="lr_exp", batch_size="batch", stats_every="k",
                  redraw="redraw")

# one-click setups: each sets the controls to a stop of the lecture's story (makemore.presets are the lectures'
# configs for training; these are control values)
QUICK_SETUPS = {
    "Broken init (hockey stick)": dict(
        depth=1, width=200, batchnorm=False, scale_by_fan_in=False, gain=1.0, output_scale=1.0,
        note="Raw randn weights: the logits are huge, the first loss is ~20x a uniform guess, and tanh is "
             "saturated. Train and watch the hockey stick."),
    "Output layer scaled down": dict(
        depth=1, width=200, batchnorm=False, scale_by_fan_in=False, gain=1.0, output_scale=0.01,
        note="W2 * 0.01: the first loss drops to about -ln(1/vocab), no more hockey stick. But look at the "
             "saturation image: the hidden tanh layer is still saturated (white columns)."),
    "Kaiming gain 5/3": dict(
        depth=1, width=200, batchnorm=False, scale_by_fan_in=True, gain=KAIMING_TANH, output_scale=0.01,
        note="W1 * (5/3)/sqrt(fan_in): pre-activations have std ~1, tanh is no longer saturated."),
    "BatchNorm": dict(
        depth=1, width=200, batchnorm=True, scale_by_fan_in=True, gain=KAIMING_TANH, output_scale=0.1,
        note="BatchNorm after the Linear standardizes the pre-activations whatever the init: try other gains."),
    "Lecture: deep net with BatchNorm": dict(
        depth=5, width=100, batchnorm=True, scale_by_fan_in=True, gain=1.0, output_scale=0.1,
        nonlinearity="tanh", lr_exponent=-1.0, batch_size=32,
        note="The lecture's deep net: 5 x [Linear 100, BatchNorm1d, Tanh], last BatchNorm gamma * 0.1. With "
             "the lecture's seed and names.txt, step 1000's statistics are the lecture's printout."),
}


@dataclass
class DeepNetControls:
    depth: int
    width: int
    nonlinearity: str
    batchnorm: bool
    scale_by_fan_in: bool
    gain: float
    output_scale: float
    lr_exponent: float
    batch_size: int
    stats_every: int
    redraw: float

    @property
    def label(self) -> str:
        init = f"gain {fmt_gain(self.gain)}" if self.scale_by_fan_in else "raw randn"
        return (f"{self.depth}x{self.width} {NONLINEARITY_NAMES[self.nonlinearity]}, BN {'on' if self.batchnorm else 'off'}, "
                f"{init}, out x{self.output_scale:g}, lr {10 ** self.lr_exponent:.3g}")


def fmt_gain(gain: float) -> str:
    return "5/3 (Kaiming, tanh)" if abs(gain - KAIMING_TANH) < 1e-9 else f"{gain:g}"


def apply_setup(prefix: str, name: str) -> None:
    """Button callback: set the controls' remembered values (the widgets pick them up on rerun)."""
    st.session_state.update(setup_values(prefix, name))
    st.session_state[f"{prefix}_preset_note"] = f"**{name}.** {QUICK_SETUPS[name]['note']}"


def setup_values(prefix: str, name: str, **overrides) -> dict:
    """The remembered control values a quick setup sets (for walk-through stops)."""
    values = {**DEFAULTS, **{k: v for k, v in QUICK_SETUPS[name].items() if k != "note"}, **overrides}
    return {f"{prefix}_{key}": value for key, value in values.items()}


SETUP_SLUGS = dict(zip(["broken-init", "output-scaled", "kaiming", "batchnorm", "lecture-deep"], QUICK_SETUPS))


def apply_url_setup(prefix: str) -> None:
    """`?preset=kaiming` in a link: apply that setup once, before the controls read their own params."""
    read: set = st.session_state.setdefault(URL_READ, set())
    if "preset" in read or "preset" not in st.query_params:
        return
    read.add("preset")
    slug = st.query_params["preset"]
    if slug in SETUP_SLUGS:
        apply_setup(prefix, SETUP_SLUGS[slug])
    else:
        st.warning(f"The link's {code(f'preset={slug}')} is not one of {', '.join(SETUP_SLUGS)}; using the controls as "
                   "they are.", icon=":material/link_off:")
    del st.query_params["preset"]


def setup_buttons(prefix: str) -> None:
    row = button_row()
    for name in QUICK_SETUPS:
        row.button(name, key=f"{prefix}_preset_{name}", on_click=apply_setup, args=(prefix, name),
                   help=QUICK_SETUPS[name]["note"])
    note = st.session_state.get(f"{prefix}_preset_note")
    if note:
        st.caption(note)


def deep_net_controls(prefix: str) -> DeepNetControls:
    """Quick-setup buttons and the control strip; every value survives page changes."""
    apply_url_setup(prefix)
    setup_buttons(prefix)

    def w(render, name, **kwargs):
        return persistent_widget(render, f"{prefix}_{name}", DEFAULTS[name], param=URL_PARAMS[name], **kwargs)

    c1, c2, c3, c4 = st.columns(4)
    with c1:
        depth = w(st.slider, "depth", label="Hidden layers", min_value=1, max_value=8,
                  help="How many Linear → (BatchNorm) → nonlinearity blocks. Deeper nets are where bad inits "
                       "compound: watch the gradients shrink layer by layer without BatchNorm.")
        width = w(st.slider, "width", label="Neurons per layer", min_value=10, max_value=500, step=10,
                  help="Width of every hidden layer. The lecture's deep net uses 100.")
        redraw = w(st.select_slider, "redraw", label="Redraw the charts every", options=REDRAWS,
                   format_func=lambda v: f"{v:g} s",
                   help="How often the charts update while it trains. Every 0.5 s looks smooth; every 1 s the "
                        "network trains about 1.6x as many steps per second, because drawing takes its share "
                        "of every redraw.")
    with c2:
        nonlinearity = w(st.selectbox, "nonlinearity", label="Nonlinearity", options=list(NONLINEARITY_NAMES),
                         format_func=NONLINEARITY_NAMES.get,
                         help="tanh as in the lecture; sigmoid, ReLU, leaky ReLU and ELU are the alternatives it "
                              "names. Each has flat regions where gradients die (ReLU: x < 0).")
        batchnorm = w(st.toggle, "batchnorm", label="BatchNorm",
                      help="Normalize every Linear output over the batch (mean 0, std 1, then a learned gain and "
                           "bias). It makes the net forgiving of bad inits and learning rates.")
        scale_by_fan_in = w(st.toggle, "scale_by_fan_in", label="Scale weights by 1/√fan_in",
                            help="Kaiming-style init: randn / sqrt(fan_in) keeps each layer's output std near its "
                                 "input's. Off is lecture 2's raw randn: huge pre-activations, saturated tanh.")
    with c3:
        gain = w(st.select_slider, "gain", label="Init gain", options=GAINS, format_func=fmt_gain,
                 help="Hidden weights are multiplied by this. 5/3 is Kaiming's gain for tanh: it offsets tanh's "
                      "squashing so activations keep their spread. Below 1 they shrink, above ~2 tanh saturates.")
        output_scale = w(st.select_slider, "output_scale", label="Output-layer scale", options=OUTPUT_SCALES,
                         format_func=lambda v: f"{v:g}",
                         help="Multiplies the last layer (its BatchNorm gamma with BatchNorm). Small values make "
                              "the first predictions nearly uniform: no hockey stick.")
    with c4:
        lr_exponent = w(st.slider, "lr_exponent", label="Learning rate exponent (lr = 10^x)", min_value=-4.0,
                        max_value=1.0, step=0.1,
                        help="Steps of size 10^x. The lecture uses 0.1 (x = -1). It can change while training: "
                             "the loss chart marks when. Too high and the loss explodes.")
        batch_size = w(st.select_slider, "batch_size", label="Batch size", options=BATCH_SIZES,
                       help="Examples per step (the lecture: 32). Small batches are noisy; BatchNorm needs at "
                            "least 2 to compute a variance.")
        stats_every = w(st.select_slider, "stats_every", label="Statistics every k steps", options=STATS_EVERY,
                        help="How often to take the histograms and the update:data ratios. Every step is what the "
                             "lecture does; every 10 trains faster.")
    st.caption(f"lr = {10 ** lr_exponent:.3g} · seed {st.session_state.get('shared_seed', '')} (in the sidebar) · "
               "changing the architecture, the init or the seed starts a new network; the learning rate, batch "
               "size and statistics cadence change while it trains.")
    return DeepNetControls(depth, width, nonlinearity, batchnorm, scale_by_fan_in, gain, output_scale,
                           lr_exponent, batch_size, stats_every, redraw)
