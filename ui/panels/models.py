"""The Models page's controls (makemore.py's models: family, sizes, training) and its leaderboard."""
from __future__ import annotations

import streamlit as st

from makemore.charts.models import leaderboard_chart
from makemore.models import BoWConfig, GRUConfig, RNNConfig, TransformerConfig, fitted_to
from makemore.presets import MAKEMORE_TRAIN
from makemore.training import TrainConfig
from ui import runs
from ui.export import show_chart
from ui.lesson import Choice, choice_slider
from ui.presentation import chart_height
from ui.state import persistent_widget

FAMILIES = {
    "transformer": "Transformer (Vaswani 2017)",
    "gru": "GRU (Cho 2014)",
    "rnn": "RNN (Mikolov 2010)",
    "bow": "Bag of words",
}
FAMILY_NOTES = {
    "transformer": "Every character looks back at all the earlier ones through attention: each head learns "
                   "which earlier characters matter, then an MLP works on what it gathered. 4 blocks of this.",
    "gru": "An RNN whose update gate decides, unit by unit, how much of the old state to keep: it remembers "
           "the start of a long name more easily than the plain RNN.",
    "rnn": "Reads one character at a time and carries a 64-number hidden state from one to the next: "
           "h = tanh(W [x, h_prev] + b). Everything it knows about the name so far is in h.",
    "bow": "Each position averages the embeddings of all characters so far (order blurred, like a bag), "
           "then a tanh MLP: attention with all weights equal, the step before the Transformer.",
}
CONFIGS = {"transformer": TransformerConfig, "gru": GRUConfig, "rnn": RNNConfig, "bow": BoWConfig}
WIDTHS = [16, 32, 64, 128]
DROPOUTS = [0.0, 0.05, 0.1, 0.2, 0.3]
LRS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2]
BATCH_SIZES = [8, 16, 32, 64, 128]
STATS_EVERY = [10, 20, 50, 100, 500]
STEPS = [5_000, 10_000, 15_000, 20_000, 50_000, 100_000]
DEFAULT_STATS_EVERY = 50


def control(prefix: str, name: str, default, label: str, options: list, help: str):
    """A select slider whose value survives page changes (and lives in the URL as `name`)."""
    return choice_slider(f"{prefix}_{name}", Choice(name, default, label, tuple(options), help))


def model_controls(data, prefix: str) -> tuple[object, TrainConfig, str]:
    """The family, its sizes and the training settings; returns the model config (block size fitted to
    the data), the train config and a label for the run."""
    cols = st.columns([2, 1, 1, 1, 1])
    with cols[0]:
        family = persistent_widget(
            st.selectbox, f"{prefix}_family", "transformer", param="model", label="Model", options=list(FAMILIES),
            format_func=FAMILIES.get,
            help="makemore.py's models beyond the MLP. All read whole names and predict every next character "
                 "at once; they differ in how a position learns about the characters before it.")
    defaults = CONFIGS[family]()
    with cols[1]:
        n_embd = control(prefix, "n_embd", defaults.n_embd, "Embedding size", WIDTHS,
                         "Numbers per character (and per position, where the model has position embeddings). "
                         "makemore.py uses 64.")
    if family == "transformer":
        with cols[2]:
            n_layer = control(prefix, "n_layer", defaults.n_layer, "Blocks", [1, 2, 3, 4, 6],
                              "Transformer blocks stacked: attention then MLP, each added to the residual stream. "
                              "makemore.py uses 4.")
        with cols[3]:
            n_head = control(prefix, "n_head", defaults.n_head, "Heads", [1, 2, 4, 8],
                             "Attention heads per block: each gets n_embd / heads channels and its own idea of "
                             "which earlier characters to look at. makemore.py uses 4.")
        with cols[4]:
            dropout = control(prefix, "dropout", defaults.dropout, "Dropout", DROPOUTS,
                              "While training, zero this share of the embeddings, attention weights and block "
                              "outputs at random (eval mode keeps them all). It stops the model memorizing the "
                              "training names: the dev loss keeps falling for longer, more slowly. makemore.py "
                              "used 0.1 until August 2022 (its README's test loss of 1.92), none since.")
        config = TransformerConfig(n_embd=n_embd, n_layer=n_layer, n_head=n_head, dropout=dropout)
        label = f"Transformer · {n_layer} blocks · {n_head} heads · emb {n_embd}" + (
            f" · dropout {dropout:g}" if dropout else "")
    else:
        with cols[2]:
            n_embd2 = control(prefix, "n_embd2", defaults.n_embd2, "Hidden size", WIDTHS,
                              "Size of the hidden state (RNN, GRU) or of the MLP's hidden layer (bag of words). "
                              "makemore.py uses 64.")
        config = CONFIGS[family](n_embd=n_embd, n_embd2=n_embd2)
        label = f"{FAMILIES[family].split(' (')[0]} · emb {n_embd} · hidden {n_embd2}"
    cols = st.columns(4)
    with cols[0]:
        lr = control(prefix, "lr", MAKEMORE_TRAIN.lr, "Learning rate (AdamW)", LRS,
                     "AdamW scales every step by a running estimate of the gradient's size, so its learning rates "
                     "are far smaller than the lectures' SGD 0.1. makemore.py uses 5e-4.")
    with cols[1]:
        batch_size = control(prefix, "batch_size", MAKEMORE_TRAIN.batch_size, "Batch size (names)", BATCH_SIZES,
                             "Names per step; each name trains every one of its characters at once. "
                             "makemore.py uses 32.")
    with cols[2]:
        steps = control(prefix, "steps", MAKEMORE_TRAIN.steps, "Steps", STEPS,
                        "Length of training (no learning-rate decay, as in makemore.py). On names the "
                        "Transformer's dev loss stops improving after about 15,000 steps: it starts to memorize.")
    with cols[3]:
        stats_every = control(prefix, "stats_every", DEFAULT_STATS_EVERY, "Statistics every k steps", STATS_EVERY,
                              "How often to keep the histograms and update:data ratios. Rarer is faster.")
    train = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, lr_decay_at=None, optimizer="adamw",
                        weight_decay=MAKEMORE_TRAIN.weight_decay, stats_every=stats_every)
    config = fitted_to(config, data)
    st.caption(f"{FAMILY_NOTES[family]} Reads up to {config.block_size} tokens: the longest word of this list "
               f"+ 1, as makemore.py does. Weight decay {train.weight_decay:g}, AdamW betas (0.9, 0.99).")
    return config, train, f"{label} · lr {lr:g}"


def leaderboard_section(prefix: str) -> None:
    st.header("Leaderboard")
    registry = runs.registry()
    if not registry:
        st.info("Runs you pause, finish or reset (on this page or any other) are listed here with their losses.")
        return
    board = runs.leaderboard(list(registry.values())).sort_values(["dev", "test"], na_position="last")
    st.dataframe(board, hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ["train", "dev", "test"]})
    show_chart(leaderboard_chart(board, chart_height(40 + 28 * len(board))), prefix, "leaderboard")
    st.caption("Every run of this session, measured on whole splits of its word list when it was paused or "
               "finished. Compare losses only between runs on the same list. Sample names from any of them on "
               "the *Make more names* page.")


