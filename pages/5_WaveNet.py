"""Lecture 5: from a flat MLP to a WaveNet-style hierarchy, trained live, with the lecture's performance log."""
import time

import pandas as pd
import streamlit as st

from makemore.charts.wavenet import dilated_tree_chart, running_mean_chart, smoothed_loss_chart
from makemore.lessons.wavenet import (
    LECTURE_LOG,
    batchnorm_table,
    block_means,
    bug_matters,
    context_windows,
    describe_groups,
    dilated_tree,
    layer_table,
    level_groups,
    performance_row,
    running_mean_frame,
    shared_units,
)
from makemore.models import ConfigError, WaveNetConfig
from makemore.presets import PRESETS
from makemore.training import TrainConfig
from ui import runs
from ui.export import export_menu, show_chart
from ui.lesson import Choice, choice_row, dev_points
from ui.live import LiveRun, control_buttons, live_area, live_run, status_line
from ui.presentation import button_row, chart_height, controls_area, side_by_side
from ui.settings import shared_sidebar
from ui.state import persistent_widget, remembered, sidebar_share_link
from ui.tours import wavenet_tour
from ui.walkthrough import walkthrough

P = "wavenet"
STATE = "wavenet_run"
LOG = "wavenet_log"  # session key: {"rows": {run_id: row}, "since": time the log was last cleared}
PAGE = "WaveNet"
LECTURE = PRESETS["wavenet"]
CHOICES = [
    Choice("block_size", LECTURE.model.block_size, "Context (block size)", (3, 4, 8, 16),
           "How many previous characters the net reads. Part 2's MLP read 3; going to 8 was the lecture's first win."),
    Choice("levels", len(LECTURE.model.groups), "Levels (FlattenConsecutive)", (1, 2, 3, 4),
           "1 is the flat MLP: all characters squashed into one layer at once. More levels fuse neighbours "
           "little by little (2 characters, then 2 pairs, ...), the way a WaveNet's dilated convolutions do."),
    Choice("n_embd", LECTURE.model.n_embd, "Embedding size", (4, 8, 10, 16, 24, 32),
           "Numbers per character. The lecture used 10, then 24 when it scaled the network up."),
    Choice("n_hidden", LECTURE.model.n_hidden, "Hidden size", (32, 64, 68, 100, 128, 200, 256),
           "Neurons per level. 68 gave the 3-level hierarchy the flat net's 22K parameters (a fair comparison); "
           "128 is the scaled-up net."),
    Choice("steps", LECTURE.train.steps, "Steps", (1_000, 5_000, 20_000, 50_000, 100_000, 200_000),
           "Length of training; the learning rate drops from 0.1 to 0.01 at three quarters, as the lecture's "
           "does at 150,000 of 200,000."),
]


def use_lecture_step(index: int) -> None:
    """Set the controls to one line of the lecture's performance log."""
    config = LECTURE_LOG[index].config
    st.session_state.update({f"{P}_block_size": config.block_size, f"{P}_levels": len(config.groups),
                             f"{P}_n_embd": config.n_embd, f"{P}_n_hidden": config.n_hidden,
                             f"{P}_bn_bug": config.bn_dim0_bug})


def synced_log() -> pd.DataFrame:
    """The performance log: a row per WaveNet run of this session that was evaluated (paused, stepped,
    finished or replaced) since the log was last cleared."""
    log = remembered(LOG, lambda: {"rows": {}, "since": 0.0})
    for rec in runs.registry().values():
        if rec.page == PAGE and rec.losses and rec.updated > log["since"]:
            log["rows"][rec.run_id] = performance_row(rec.model_config, rec.params, rec.steps, rec.losses)
    return pd.DataFrame(list(log["rows"].values()))


st.set_page_config(page_title="WaveNet", layout="wide")
settings = shared_sidebar()
data = settings.data
st.title("Part 5 · Building a WaveNet")
st.write("Part 2's MLP squashes its whole context into one hidden layer in a single step. Give it more context "
         "and it has to crush even more information at once. The lecture's fix, after DeepMind's WaveNet: fuse two "
         "neighbouring characters, then two neighbouring pairs, then two neighbouring quadruples, each step a "
         "small layer of its own. `FlattenConsecutive(n)` is the layer that groups n neighbours.")
walkthrough(P, wavenet_tour())

# ------------------------------------------------------------------------------------------ controls
with controls_area():
    chosen = choice_row(P, CHOICES)
    bn_bug = persistent_widget(
        st.toggle, f"{P}_bn_bug", False, param="bug", label="The lecture's BatchNorm bug (averages over dim 0 only)",
        help="For 3-D input (batch, positions, channels) the lecture's BatchNorm first averaged over the batch "
             "only, so it kept separate statistics for every position, each from 32 numbers instead of 32 × "
             "positions. It trains without complaint: only the running statistics' shape gives it away.")
    st.caption("Rebuild the lecture's performance log: set the network of each line, press Train, and each run "
               "you pause or finish lands in the log below.")
    row = button_row()
    for i, step in enumerate(LECTURE_LOG):
        row.button(step.change, key=f"{P}_log{i}", on_click=use_lecture_step, args=(i,),
                   help=f"Context {step.config.block_size}, {describe_groups(step.config.groups)}, emb "
                        f"{step.config.n_embd}, hidden {step.config.n_hidden}, BatchNorm "
                        f"{'with the bug' if step.config.bn_dim0_bug else 'fixed'}. The lecture got train "
                        f"{step.train}, dev {step.dev}.")
block_size, steps = chosen["block_size"], chosen["steps"]
try:
    groups = level_groups(block_size, chosen["levels"])
except ConfigError as err:
    st.error(f"This network cannot be built: {err}", icon=":material/error:")
    sidebar_share_link()
    st.stop()
config = WaveNetConfig(vocab_size=data.vocab.size, block_size=block_size, n_embd=chosen["n_embd"],
                       n_hidden=chosen["n_hidden"], groups=groups, bn_dim0_bug=bn_bug)
train = TrainConfig(steps=steps, batch_size=32, lr=LECTURE.train.lr, lr_decay_at=steps * 3 // 4, stats_every=0)

# ------------------------------------------------------------------------------------------ layer table
st.header("The network, layer by layer")
table_col, bn_col = side_by_side()
with table_col:
    layers = layer_table(config)
    st.dataframe(layers.drop(columns="block"), hide_index=True, height=35 * (len(layers) + 1) + 3,
                 column_config={"params": st.column_config.NumberColumn(format="localized")})
    total = int(layers["params"].sum())
    st.caption(f"A batch of 4 examples through the network, as the lecture prints it: {total:,} parameters (its "
               "scaled-up net on 27 characters: 76,579). Each FlattenConsecutive halves the positions and doubles "
               "the channels.")
with bn_col:
    st.metric("Parameters", f"{total:,}", help="Embedding table, weights, BatchNorm gains and biases, output layer.")
    st.dataframe(batchnorm_table(config), hide_index=True)
    story = ("With the bug, each BatchNorm of 3-D input keeps statistics per position, every one averaged over only "
             "32 numbers; eval mode then broadcasts them silently." if bn_bug and bug_matters(config) else
             "Each BatchNorm of 3-D input averages over the batch and the positions, as it should." if
             bug_matters(config) else "A flat net feeds BatchNorm 2-D input: the bug cannot happen here.")
    st.caption(f"What each BatchNorm averages over in a training batch of 32. {story}")

# ------------------------------------------------------------------------------------------ training
st.header("Training")
label = (f"WaveNet · context {block_size} · {describe_groups(groups)} · emb {config.n_embd} · hidden "
         f"{config.n_hidden}{' · BN bug' if bn_bug and bug_matters(config) else ''}")
run = live_run(STATE, config, train, settings, label, PAGE, LECTURE.sample_seed)
if run.notice:
    st.info(run.notice, icon=":material/autorenew:")
control_buttons(STATE, P)


def draw_training(current: LiveRun) -> None:
    """Status, the lecture's smoothed loss plot and the first BatchNorm's running mean."""
    trainer = current.trainer
    status_line(current)
    loss_col, stats_col = side_by_side([3, 2])
    with loss_col:
        show_chart(smoothed_loss_chart(block_means(runs.loss_curve(trainer)), dev_points(trainer),
                                       chart_height(320)),
                   P, "loss", title="Loss, averaged over every 1,000 steps")
        st.caption("Blue: the mean training loss of each 1,000 steps, the lecture's `lossi.view(-1, 1000).mean(1)`; "
                   "orange: the dev loss (on 4,096 dev examples). The gap between them is the overfitting.")
    with stats_col:
        show_chart(running_mean_chart(running_mean_frame(trainer.model), chart_height(320)), P, "running mean",
                   title="First BatchNorm's running mean")
        st.caption("With the bug: one line per position, each estimated from 32 numbers a step; without it: one "
                   "line for all positions. The lines part after a few hundred steps.")

live_area(STATE, draw_training)

# ------------------------------------------------------------------------------------------ performance log
st.header("Performance log")
log = synced_log()
if log.empty:
    st.caption("Runs you pause, step or finish appear here with their train and dev loss.")
else:
    st.dataframe(log, hide_index=True, column_config={
        "params": st.column_config.NumberColumn(format="localized"),
        "steps": st.column_config.NumberColumn(format="localized"),
        **{c: st.column_config.NumberColumn(format="%.4f") for c in ("train", "dev", "lecture train", "lecture dev")}})
    st.caption("Each row: a run as last evaluated on the whole splits. Compare runs trained for the same number of "
               "steps; the lecture's columns are its 200,000-step figures on its names.txt.")
    if st.button("Clear the log", key=f"{P}_clear_log", icon=":material/delete:",
                 help="Start a fresh log (the runs stay available on the Compare page)."):
        st.session_state[LOG] = {"rows": {}, "since": time.time()}
        st.rerun()

# ------------------------------------------------------------------------------------------ dilated convolution
st.header("The same tree, slid along a name: a dilated convolution")
st.write("A name gives one training example per character. Each example runs the whole tree again, but "
         "neighbouring examples share most of their hidden units. A convolution computes each unit once and "
         "reuses it: the hierarchy above is a WaveNet's dilated convolution, one window at a time.")
name_col, window_col = st.columns([1, 2])
with name_col:
    word = persistent_widget(st.text_input, f"{P}_word", "diondre", param="word", label="A name", max_chars=20,
                             help="Any word made of the word list's characters; the lecture used 'diondre'.")
unknown = sorted(set(word) - set(data.vocab.chars))
if not word:
    st.error("Type a name to see its windows.", icon=":material/error:")
elif unknown:
    st.error(f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not among the word list's "
             "characters: type a name made of them.", icon=":material/error:")
else:
    windows = context_windows(word, block_size, data.vocab.boundary)
    with window_col:
        window = st.select_slider(
            "Window", options=list(windows["window"]), key=f"{P}_window",
            format_func=lambda w: f"{windows['context'][w]} → {windows['target'][w]}",
            help="Which example's tree to highlight: its context, and the character it must predict.")
    nodes, edges = dilated_tree(groups, word, window, data.vocab.boundary)
    unique, alone = shared_units(nodes, len(windows))
    show_chart(dilated_tree_chart(nodes, edges, chart_height(300)), P, "dilated tree",
               title=f"Which characters each hidden unit sees, for window {windows['context'][window]} → "
                     f"{windows['target'][window]}")
    sharing = (f"Run one by one, the {len(windows)} windows compute {alone} hidden units; a convolution computes "
               f"each shared unit once: {unique}." if unique < alone else
               "The flat net shares nothing: its one unit per window reads the whole window at once.")
    st.caption(f"Coloured: the highlighted window's tree, its top unit feeding the output layer; grey: the units of "
               f"the other windows (hover a unit for the characters it sees). {sharing}")

export_menu(P)
sidebar_share_link()
