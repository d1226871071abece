"""The WaveNet page's sections (lecture 5): the lecture's log buttons, the layer table, the live charts, the
performance log and the dilated-convolution tree."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from makemore.charts.wavenet import dilated_tree_chart, running_mean_chart, smoothed_loss_chart
from makemore.data import Vocabulary
from makemore.lessons.wavenet import (
    LECTURE_LOG,
    LOSS_WINDOW,
    TABLE_BATCH,
    batchnorm_table,
    block_means,
    bug_matters,
    context_windows,
    describe_groups,
    dilated_tree,
    grouped_matmul,
    layer_table,
    performance_row,
    running_mean_frame,
    sequential_table,
    shared_units,
)
from makemore.models import WaveNetConfig
from makemore.presets import PRESETS
from ui import runs
from ui.export import show_chart
from ui.lesson import dev_points
from ui.lesson import lazy_expander
from ui.live import EVAL_EXAMPLES, LiveRun, status_line
from ui.presentation import button_row, chart_height, side_by_side
from ui.state import remembered
from ui.text import md

BATCH = PRESETS["wavenet"].train.batch_size  # the page trains at the lecture's batch size
LOG = "wavenet_log"  # session key: {"rows": {run_id: row}, "since": time the log was last cleared}


def use_lecture_step(prefix: str, index: int) -> None:
    """Set the controls to one line of the lecture's performance log."""
    config = LECTURE_LOG[index].config
    st.session_state.update({f"{prefix}_block_size": config.block_size, f"{prefix}_levels": len(config.groups),
                             f"{prefix}_n_embd": config.n_embd, f"{prefix}_n_hidden": config.n_hidden,
                             f"{prefix}_bn_bug": config.bn_dim0_bug})


def lecture_log_buttons(prefix: str) -> None:
    """A button per line of the lecture's performance log, setting the controls to that line's network."""
    st.caption("Rebuild the lecture's performance log: set the network of each line, press Train, and each run "
               "you pause or finish lands in the log below.")
    row = button_row()
    for i, step in enumerate(LECTURE_LOG):
        row.button(step.change, key=f"{prefix}_log{i}", on_click=use_lecture_step, args=(prefix, i),
                   help=f"Context {step.config.block_size}, {describe_groups(step.config.groups)}, emb "
                        f"{step.config.n_embd}, hidden {step.config.n_hidden}, BatchNorm "
                        f"{'with the bug' if step.config.bn_dim0_bug else 'fixed'}. The lecture got train "
                        f"{step.train}, dev {step.dev}.")


def layer_section(config: WaveNetConfig) -> None:
    """The network's layers on a batch of 4, its size, and what each BatchNorm averages over."""
    table_col, bn_col = side_by_side()
    with table_col:
        layers = layer_table(config)
        model = sequential_table(layers)
        st.dataframe(model, hide_index=True, height=35 * (len(model) + 1) + 3,
                     column_config={"params": st.column_config.NumberColumn(format="localized")})
        total = int(layers["params"].sum())
        fused = layers[layers["name"] == "FlattenConsecutive"]
        st.caption(f"The model is one `Sequential` of these layers, as the lecture builds it: {total:,} parameters "
                   f"(its scaled-up net on 27 characters: {PRESETS['wavenet'].lecture.params:,}). A batch of "
                   f"{TABLE_BATCH} contexts goes through it, each tensor's shape after every layer: each "
                   "FlattenConsecutive fuses neighbouring positions into longer vectors ("
                   + ", then ".join(f"{a} → {b}" for a, b in zip(fused["input shape"], fused["output shape"])) + ").")
    with bn_col:
        st.metric("Parameters", f"{total:,}", help="Embedding table, weights, BatchNorm gains and biases, output "
                                                   "layer.")
    # full width: beside the layer table its last column ("running mean") was cut at 1400 px, sidebar open
    st.dataframe(batchnorm_table(config, BATCH), hide_index=True)
    story = ("With the bug, each BatchNorm of 3-D input keeps statistics per position, every one averaged over "
             f"only {BATCH} numbers; eval mode then broadcasts them silently." if config.bn_dim0_bug and
             bug_matters(config) else
             "Each BatchNorm of 3-D input averages over the batch and the positions, as it should." if
             bug_matters(config) else "A flat net feeds BatchNorm 2-D input: the bug cannot happen here.")
    st.caption(f"What each BatchNorm averages over in a training batch of {BATCH}. {story}")


def matmul_section(config: WaveNetConfig, prefix: str) -> None:
    """How a Linear takes 3-D input, in an expander that costs nothing closed."""
    lazy_expander("Matrix multiplication over a batch of groups", f"{prefix}_matmul",
                  lambda: _matmul(config, prefix), icon=":material/grid_on:")


def _matmul(config: WaveNetConfig, prefix: str) -> None:
    levels = len(config.groups)
    level = st.select_slider("Level", options=list(range(levels)), key=f"{prefix}_matmul_level",
                             format_func=lambda i: f"{i + 1} of {levels}",
                             help="Whose Linear to look at: the first level reads fused characters, the next fused "
                                  "pairs, and so on.") if levels > 1 else 0
    batch = st.select_slider("Batch", options=[1, 2, 4, 8, 32], value=4, key=f"{prefix}_matmul_batch",
                             help="How many contexts go through at once.")
    product = grouped_matmul(config, level, batch)
    out, (n, m) = product.output_shape, product.weight_shape
    plus, bias = (" + b", f" + ({m},)") if product.bias else ("", "")
    st.code(f"x @ W{plus}   # {product.input_shape} @ {product.weight_shape}{bias} = {out}\n"
            f"x.view(-1, {n}) @ W{plus}   # {product.flat_input_shape} @ {product.weight_shape}{bias} = "
            f"({product.flat_input_shape[0]}, {m}), then .view{out}", language="python")
    groups = "" if len(product.input_shape) == 2 else \
        f" and each of its {product.input_shape[1]} groups of fused positions"
    st.caption(f"torch.matmul treats every dimension before the last two as a batch: the same W multiplies the "
               f"last dimension of every context{groups}, all in one call. The two lines above differ by at most "
               f"{product.maxdiff:g}: the hierarchy needs no loop over groups, only the right shapes.")


def draw_training(current: LiveRun, prefix: str) -> None:
    """Status, the lecture's smoothed loss plot and the first BatchNorm's running mean."""
    trainer = current.trainer
    status_line(current)
    loss_col, stats_col = side_by_side([3, 2])
    with loss_col:
        show_chart(smoothed_loss_chart(block_means(runs.loss_curve(trainer)), dev_points(trainer),
                                       chart_height(320)),
                   prefix, "loss", title=f"Loss, averaged over every {LOSS_WINDOW:,} steps")
        st.caption(f"Blue: the mean training loss of each {LOSS_WINDOW:,} steps, the lecture's "
                   f"`lossi.view(-1, {LOSS_WINDOW}).mean(1)`; orange: the dev loss (on {EVAL_EXAMPLES:,} dev "
                   "examples). The gap between them is the overfitting.")
    with stats_col:
        show_chart(running_mean_chart(running_mean_frame(trainer.model), chart_height(320)), prefix, "running mean",
                   title="First BatchNorm's running mean")
        st.caption(f"With the bug: one line per position, each estimated from {trainer.config.batch_size} numbers a "
                   "step; without it: one line for all positions. The lines part after a few hundred steps.")


def synced_log(page: str) -> pd.DataFrame:
    """The performance log: a row per run of the page in this session that was evaluated (paused, stepped,
    finished or replaced) since the log was last cleared."""
    log = remembered(LOG, lambda: {"rows": {}, "since": 0.0})
    for rec in runs.registry().values():
        if rec.page == page and rec.losses and rec.updated > log["since"]:
            log["rows"][rec.run_id] = performance_row(rec.model_config, rec.params, rec.steps, rec.losses)
    return pd.DataFrame(list(log["rows"].values()))


def performance_log_section(page: str, prefix: str) -> None:
    """The log of this session's runs beside the lecture's figures, and a button that clears it."""
    log = synced_log(page)
    if log.empty:
        st.caption("Runs you pause, step or finish appear here with their train and dev loss.")
        return
    st.dataframe(log, hide_index=True, column_config={
        "params": st.column_config.NumberColumn(format="localized"),
        "steps": st.column_config.NumberColumn(format="localized"),
        **{c: st.column_config.NumberColumn(format="%.4f") for c in ("train", "dev", "lecture train", "lecture dev")}})
    st.caption("Each row: a run as last evaluated on the whole splits. Compare runs trained for the same number of "
               f"steps; the lecture's columns are its {PRESETS['wavenet'].train.steps:,}-step figures on its "
               "names.txt.")
    if st.button("Clear the log", key=f"{prefix}_clear_log", icon=":material/delete:",
                 help="Start a fresh log (the runs stay available on the Compare page)."):
        st.session_state[LOG] = {"rows": {}, "since": time.time()}
        st.rerun()


def dilated_section(word: str, groups: tuple, block_size: int, vocab: Vocabulary, window_col, prefix: str) -> None:
    """The windows of a name and, for the one chosen (its slider in `window_col`), the units of its tree."""
    unknown = sorted(set(word) - set(vocab.chars))
    if not word:
        st.error("Type a name to see its windows.", icon=":material/error:")
        return
    if unknown:
        st.error(f"{md(', '.join(map(repr, unknown)))} {'is' if len(unknown) == 1 else 'are'} not among the word "
                 "list's characters: type a name made of them.", icon=":material/error:")
        return
    windows = context_windows(word, block_size, vocab.boundary)
    with window_col:
        window = st.select_slider(
            "Window", options=list(windows["window"]), key=f"{prefix}_window",
            format_func=lambda w: f"{windows['context'][w]} → {windows['target'][w]}",
            help="Which example's tree to highlight: its context, and the character it must predict.")
    nodes, edges = dilated_tree(groups, word, window, vocab.boundary)
    unique, alone = shared_units(nodes, len(windows))
    show_chart(dilated_tree_chart(nodes, edges, chart_height(300)), prefix, "dilated tree",
               title=f"Which characters each hidden unit sees, for window {windows['context'][window]} → "
                     f"{windows['target'][window]}")
    sharing = (f"Run one by one, the {len(windows)} windows compute {alone} hidden units; a convolution computes "
               f"each shared unit once: {unique}." if unique < alone else
               "The flat net shares nothing: its one unit per window reads the whole window at once.")
    st.caption(f"Coloured: the highlighted window's tree, its top unit feeding the output layer; grey: the units of "
               f"the other windows (hover a unit for the characters it sees). {sharing}")
