"""The control strip of the diagnostics page: the lecture's stops as one-click setups, the network, its init,
training.

Two networks: part 3's MLP (part 2's net with one hidden layer, fixed stop by stop: its init scales are the
controls) and the lecture's deep net (depth, nonlinearity, gain). The stops are control values; the page
builds its model config from the controls (`NetControls.model_config`).
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from makemore.models import DeepMLPConfig, MLPConfig
from ui.presentation import button_row
from ui.presenter import on_stage, story
from ui.state import URL_READ, persistent_widget
from ui.text import code

KAIMING_TANH = 5 / 3
GAINS = sorted({round(i * 0.05, 2) for i in range(61)} | {KAIMING_TANH})
OUTPUT_SCALES = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
BIAS_SCALES = [0.0, 0.01, 0.1, 1.0]
BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
STATS_EVERY = [1, 2, 5, 10, 20, 50, 100]
REDRAWS = [0.5, 1.0]  # seconds between chart redraws while training
NONLINEARITY_NAMES = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "ReLU", "leaky_relu": "leaky ReLU", "elu": "ELU"}
NETWORKS = {"mlp": "Part 3's MLP", "deep": "Deep net"}  # short: both fit the control's column
BLOCK_SIZE, N_EMBD = 3, 10  # part 3's context and embedding, for both networks

DEFAULTS = dict(network="deep", depth=5, width=100, nonlinearity="tanh", batchnorm=True, scale_by_fan_in=True,
                gain=1.0, output_scale=0.1, b1_scale=1.0, b2_scale=1.0, lr_exponent=-1.0, batch_size=32,
                stats_every=10, redraw=0.5)
URL_PARAMS = dict(network="net", depth="depth", width="width", nonlinearity="act", batchnorm="bn",
                  scale_by_fan_in="fanin", gain="gain", output_scale="out", b1_scale="b1", b2_scale="b2",
                  lr_exponent="lr_exp", batch_size="batch", stats_every="k", redraw="redraw")

# one-click setups: the lecture's stops, as control values (the lecture's lr 0.1 and batch 32 at each)
LECTURE_TRAINING = dict(lr_exponent=-1.0, batch_size=32)
PART3_MLP = dict(network="mlp", width=200, batchnorm=False, scale_by_fan_in=False, gain=1.0, output_scale=1.0,
                 b1_scale=1.0, b2_scale=1.0, **LECTURE_TRAINING)
RAW, OUTPUT_FIXED, TANH_FIXED, KAIMING, BATCHNORM, DEEP = (
    "Raw init (hockey stick)", "Output layer fixed", "Tanh fixed", "Kaiming init", "BatchNorm",
    "Lecture: deep net with BatchNorm")
QUICK_SETUPS = {
    RAW: dict(
        PART3_MLP,
        note="Part 2's MLP as it was: C, W1, b1, W2 and b2 all drawn by `randn`, unscaled. The logits come out "
             "large, the first loss far above a uniform guess, and tanh saturated. Step once, then train: the "
             "hockey stick."),
    OUTPUT_FIXED: dict(
        PART3_MLP, output_scale=0.01, b2_scale=0.0,
        note="W2 * 0.01 and b2 * 0: the logits start near 0, so the first loss is about a uniform guess's. The "
             "hidden layer is untouched: look at the saturation image."),
    TANH_FIXED: dict(
        PART3_MLP, gain=0.2, b1_scale=0.01, output_scale=0.01, b2_scale=0.0,
        note="And W1 * 0.2, b1 * 0.01, the lecture's hand-picked scales: the pre-activations shrink and tanh "
             "leaves its flat tails."),
    KAIMING: dict(
        PART3_MLP, scale_by_fan_in=True, gain=KAIMING_TANH, b1_scale=0.01, output_scale=0.01, b2_scale=0.0,
        note="W1 * (5/3)/√fan_in instead of the hand-picked 0.2: Kaiming's rule, gain 5/3 for tanh."),
    BATCHNORM: dict(
        PART3_MLP, batchnorm=True, scale_by_fan_in=True, gain=KAIMING_TANH, b1_scale=0.01, output_scale=0.01,
        b2_scale=0.0,
        note="BatchNorm after the hidden Linear (the lecture's std form, running statistics with momentum "
             "0.001), and no b1: BatchNorm subtracts the batch mean, which cancels any bias. Try other gains."),
    DEEP: dict(
        network="deep", depth=5, width=100, batchnorm=True, scale_by_fan_in=True, gain=1.0, output_scale=0.1,
        nonlinearity="tanh", **LECTURE_TRAINING,
        note="The lecture's deep net: 5 x [Linear 100, BatchNorm1d, Tanh], last BatchNorm gamma * 0.1. With "
             "the lecture's seed and names.txt, step 1000's statistics are the lecture's printout."),
}
SETUP_SLUGS = dict(zip(["raw-init", "output-fixed", "tanh-fixed", "kaiming", "batchnorm", "lecture-deep"],
                       QUICK_SETUPS))
OLD_SLUGS = {"broken-init": "raw-init", "output-scaled": "output-fixed"}  # links written before the five stops


@dataclass
class NetControls:
    network: str
    depth: int
    width: int
    nonlinearity: str
    batchnorm: bool
    scale_by_fan_in: bool
    gain: float
    output_scale: float
    b1_scale: float
    b2_scale: float
    lr_exponent: float
    batch_size: int
    stats_every: int
    redraw: float

    def model_config(self):
        """The network the controls describe: part 3's MLP or the deep net."""
        if self.network == "mlp":
            return MLPConfig(
                block_size=BLOCK_SIZE, n_embd=N_EMBD, n_hidden=self.width,
                w1_gain=self.gain if self.scale_by_fan_in else None,
                w1_scale=1.0 if self.scale_by_fan_in else self.gain,
                b1_scale=None if self.batchnorm else self.b1_scale,  # BatchNorm cancels b1: not drawn
                w2_scale=self.output_scale, b2_scale=self.b2_scale, batchnorm="std" if self.batchnorm else "none")
        return DeepMLPConfig(
            block_size=BLOCK_SIZE, n_embd=N_EMBD, n_hidden=self.width, n_layers=self.depth,
            batchnorm=self.batchnorm, nonlinearity=self.nonlinearity, gain=self.gain,
            output_scale=self.output_scale, scale_by_fan_in=self.scale_by_fan_in)

    @property
    def label(self) -> str:
        lr = f"lr {10 ** self.lr_exponent:.3g}"
        bn = f"BN {'on' if self.batchnorm else 'off'}"
        if self.network == "mlp":
            w1 = f"W1 gain {fmt_gain(self.gain)}/√fan_in" if self.scale_by_fan_in else f"W1 x{self.gain:g}"
            b1 = "no b1" if self.batchnorm else f"b1 x{self.b1_scale:g}"
            return (f"MLP {self.width} tanh, {bn}, {w1}, {b1}, W2 x{self.output_scale:g}, b2 x{self.b2_scale:g}, "
                    f"{lr}")
        init = f"gain {fmt_gain(self.gain)}" if self.scale_by_fan_in else "raw randn"
        return (f"{self.depth}x{self.width} {NONLINEARITY_NAMES[self.nonlinearity]}, {bn}, {init}, "
                f"out x{self.output_scale:g}, {lr}")


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


def setup_controls(name: str, **overrides) -> NetControls:
    """The controls as a quick setup sets them (what its network is, without a page)."""
    values = setup_values("", name, **overrides)
    return NetControls(**{key.removeprefix("_"): value for key, value in values.items()})


def apply_url_setup(prefix: str) -> None:
    """`?preset=kaiming` in a link: apply that setup once, before the controls read their own params."""
    read: set = st.session_state.setdefault(URL_READ, set())
    if "preset" in read or "preset" not in st.query_params:
        return
    read.add("preset")
    slug = st.query_params["preset"]
    slug = OLD_SLUGS.get(slug, slug)
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
        with on_stage("notes"):
            st.caption(note)


def deep_net_controls(prefix: str) -> NetControls:
    """Quick-setup buttons and the control strip; every value survives page changes.

    The MLP shows its biases' scales where the deep net shows its depth and nonlinearity; what the other
    network would use keeps its remembered value."""
    apply_url_setup(prefix)
    setup_buttons(prefix)

    def w(render, name, **kwargs):
        return persistent_widget(render, f"{prefix}_{name}", DEFAULTS[name], param=URL_PARAMS[name], **kwargs)

    def kept(name):
        return st.session_state.get(f"{prefix}_{name}", DEFAULTS[name])

    c1, c2, c3, c4 = st.columns(4)
    with c1:
        network = w(st.segmented_control, "network", label="Network", options=list(NETWORKS),
                    format_func=NETWORKS.get, required=True,
                    help=f"Part 3's MLP is part 2's network (emb {N_EMBD}, context {BLOCK_SIZE}, "
                         f"{PART3_MLP['width']} tanh units), the one the lecture fixes stop by stop; the deep net is "
                         "its last stop, layers of Linear, BatchNorm, tanh.")
        mlp = network == "mlp"
        depth = kept("depth") if mlp else w(
            st.slider, "depth", label="Hidden layers", min_value=1, max_value=8,
            help="How many Linear → (BatchNorm) → nonlinearity blocks. Deeper nets are where bad inits "
                 "compound: watch the gradients shrink layer by layer without BatchNorm.")
        width = w(st.slider, "width", label="Neurons per layer", min_value=10, max_value=500, step=10,
                  help="Width of every hidden layer. The lecture's MLP has 200, its deep net 100.")
    with c2:
        if mlp:
            nonlinearity = kept("nonlinearity")
            b1_scale = w(st.select_slider, "b1_scale", label="b1 scale", options=BIAS_SCALES,
                         format_func=lambda v: f"{v:g}", disabled=kept("batchnorm"),
                         help="b1 = randn * this. The lecture takes it to 0.01 with W1; with BatchNorm b1 is "
                              "not drawn at all (BatchNorm's mean subtraction would cancel it).")
        else:
            b1_scale = kept("b1_scale")
            nonlinearity = w(st.selectbox, "nonlinearity", label="Nonlinearity", options=list(NONLINEARITY_NAMES),
                             format_func=NONLINEARITY_NAMES.get,
                             help="tanh as in the lecture; sigmoid, ReLU, leaky ReLU and ELU are the alternatives "
                                  "it names. Each has flat regions where gradients die (ReLU: x < 0).")
        with story("content"):
            batchnorm = w(st.toggle, "batchnorm", label="BatchNorm",
                          help="Normalize every Linear output over the batch (mean 0, std 1, then a learned gain and "
                               "bias). It makes the net forgiving of bad inits and learning rates.")
        scale_by_fan_in = w(st.toggle, "scale_by_fan_in", label="Scale weights by 1/√fan_in",
                            help="Kaiming-style init: randn / sqrt(fan_in) keeps each layer's output std near its "
                                 "input's. Off is lecture 2's raw randn (times the gain): huge pre-activations, "
                                 "saturated tanh.")
    with c3:
        with story():
            gain = w(st.select_slider, "gain", label="Init gain" if not mlp else "W1 gain", options=GAINS,
                     format_func=fmt_gain,
                     help="Hidden weights are multiplied by this (over √fan_in when scaled). 5/3 is Kaiming's gain "
                          "for tanh: it offsets tanh's squashing so activations keep their spread. The lecture's MLP "
                          "first used W1 * 0.2 by hand, without √fan_in.")
        output_scale = w(st.select_slider, "output_scale", label="Output-layer scale" if not mlp else "W2 scale",
                         options=OUTPUT_SCALES, format_func=lambda v: f"{v:g}",
                         help="Multiplies the last layer (the deep net's last BatchNorm gamma, with BatchNorm). "
                              "Small values make the first predictions nearly uniform: no hockey stick.")
        b2_scale = kept("b2_scale") if not mlp else w(
            st.select_slider, "b2_scale", label="b2 scale", options=BIAS_SCALES, format_func=lambda v: f"{v:g}",
            help="b2 = randn * this: random output biases favour random characters at init; the lecture zeroes "
                 "them.")
    with c4:
        with story():
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
        redraw = w(st.select_slider, "redraw", label="Redraw the charts every", options=REDRAWS,
                   format_func=lambda v: f"{v:g} s",
                   help="How often the charts update while it trains. Every 0.5 s looks smooth; every 1 s the "
                        "network trains about 1.2-1.3x as many steps per second (docs/performance.md), because "
                        "drawing takes its share of every redraw.")
    st.caption(f"lr = {10 ** lr_exponent:.3g} · seed {st.session_state.get('shared_seed', '')} (in the sidebar) · "
               "changing the network, its init or the seed starts a new network; the learning rate, batch "
               "size and statistics cadence change while it trains.")
    return NetControls(network, depth, width, nonlinearity, batchnorm, scale_by_fan_in, gain, output_scale,
                       b1_scale, b2_scale, lr_exponent, batch_size, stats_every, redraw)
