"""makemore.py's models (RNN, GRU, bag of words, Transformer): pick one, train it live, look inside, compare."""
import math

import pandas as pd
import streamlit as st

from makemore.charts.models import attention_chart, hidden_state_chart, leaderboard_chart
from makemore.charts.training import density_chart, loss_chart, update_ratio_chart
from makemore.data import DataError
from makemore.lessons import models as inspect
from makemore.models import BoWConfig, GRUConfig, RNNConfig, TransformerConfig, fitted_to
from makemore.presets import MAKEMORE_TRAIN, SAMPLE_SEED
from makemore.training import TrainConfig
from ui import runs
from ui.export import export_menu, show_chart
from ui.live import LiveRun, control_buttons, live_area, live_run, status_line
from ui.presentation import chart_height, controls_area
from ui.settings import shared_sidebar
from ui.state import persistent_widget, sidebar_share_link

P = "models"
STATE = "models_run"
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


def control(key: str, default, label: str, options: list, help: str):
    """A select slider whose value survives page changes."""
    return persistent_widget(st.select_slider, f"{P}_{key}", default, param=key, label=label, options=options,
                             format_func=lambda v: f"{v:,}" if isinstance(v, int) else f"{v:g}", help=help)


def model_controls(data) -> tuple[object, TrainConfig, str]:
    """The family, its sizes and the training settings; returns the model config (block size fitted to
    the data), the train config and a label for the run."""
    cols = st.columns([2, 1, 1, 1, 1])
    with cols[0]:
        family = persistent_widget(
            st.selectbox, f"{P}_family", "transformer", param="model", label="Model", options=list(FAMILIES),
            format_func=FAMILIES.get,
            help="makemore.py's models beyond the MLP. All read whole names and predict every next character "
                 "at once; they differ in how a position learns about the characters before it.")
    defaults = CONFIGS[family]()
    with cols[1]:
        n_embd = control("n_embd", defaults.n_embd, "Embedding size", WIDTHS,
                         "Numbers per character (and per position, where the model has position embeddings). "
                         "makemore.py uses 64.")
    if family == "transformer":
        with cols[2]:
            n_layer = control("n_layer", defaults.n_layer, "Blocks", [1, 2, 3, 4, 6],
                              "Transformer blocks stacked: attention then MLP, each added to the residual stream. "
                              "makemore.py uses 4.")
        with cols[3]:
            n_head = control("n_head", defaults.n_head, "Heads", [1, 2, 4, 8],
                             "Attention heads per block: each gets n_embd / heads channels and its own idea of "
                             "which earlier characters to look at. makemore.py uses 4.")
        with cols[4]:
            dropout = control("dropout", defaults.dropout, "Dropout", DROPOUTS,
                              "While training, zero this share of the embeddings, attention weights and block "
                              "outputs at random (eval mode keeps them all). It stops the model memorizing the "
                              "training names: the dev loss keeps falling for longer, more slowly. makemore.py "
                              "used 0.1 until August 2022 (its README's test loss of 1.92), none since.")
        config = TransformerConfig(n_embd=n_embd, n_layer=n_layer, n_head=n_head, dropout=dropout)
        label = f"Transformer · {n_layer} blocks · {n_head} heads · emb {n_embd}" + (
            f" · dropout {dropout:g}" if dropout else "")
    else:
        with cols[2]:
            n_embd2 = control("n_embd2", defaults.n_embd2, "Hidden size", WIDTHS,
                              "Size of the hidden state (RNN, GRU) or of the MLP's hidden layer (bag of words). "
                              "makemore.py uses 64.")
        config = CONFIGS[family](n_embd=n_embd, n_embd2=n_embd2)
        label = f"{FAMILIES[family].split(' (')[0]} · emb {n_embd} · hidden {n_embd2}"
    cols = st.columns(4)
    with cols[0]:
        lr = control("lr", MAKEMORE_TRAIN.lr, "Learning rate (AdamW)", LRS,
                     "AdamW scales every step by a running estimate of the gradient's size, so its learning rates "
                     "are far smaller than the lectures' SGD 0.1. makemore.py uses 5e-4.")
    with cols[1]:
        batch_size = control("batch_size", MAKEMORE_TRAIN.batch_size, "Batch size (names)", BATCH_SIZES,
                             "Names per step; each name trains every one of its characters at once. "
                             "makemore.py uses 32.")
    with cols[2]:
        steps = control("steps", MAKEMORE_TRAIN.steps, "Steps", STEPS,
                        "Length of training (no learning-rate decay, as in makemore.py). On names the "
                        "Transformer's dev loss stops improving after about 15,000 steps: it starts to memorize.")
    with cols[3]:
        stats_every = control("stats_every", DEFAULT_STATS_EVERY, "Statistics every k steps", STATS_EVERY,
                              "How often to keep the histograms and update:data ratios. Rarer is faster.")
    train = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, lr_decay_at=None, optimizer="adamw",
                        weight_decay=MAKEMORE_TRAIN.weight_decay, stats_every=stats_every)
    config = fitted_to(config, data)
    st.caption(f"{FAMILY_NOTES[family]} Reads up to {config.block_size} tokens: the longest word of this list "
               f"+ 1, as makemore.py does. Weight decay {train.weight_decay:g}, AdamW betas (0.9, 0.99).")
    return config, train, f"{label} · lr {lr:g}"


def default_modules(names: list[str]) -> list[str]:
    """What to plot first: the nonlinearity outputs (the lecture's tanh histograms) and the recurrence."""
    return [n for n in names if n.endswith("act") or n == "rnn"] or names[-1:]


def loss_section(current: LiveRun) -> None:
    trainer = current.trainer
    evals = pd.DataFrame([{"step": e["step"], "loss": e["dev"]} for e in trainer.evals if "dev" in e])
    lr_changes = pd.DataFrame(trainer.lr_changes, columns=["step", "lr"])
    show_chart(loss_chart(runs.loss_curve(trainer), evals, math.log(trainer.model.config.vocab_size), lr_changes,
                          height=chart_height()),
               P, "loss", title="Loss per character: train per step and dev")
    st.caption("Each step's loss is the mean over every character of 32 names; orange dots are the dev loss "
               "(4,096 dev examples) every 1,000 steps; red dashes are a uniform guess.")


def module_histograms(current: LiveRun, which: str, key: str, x_title: str, chart_name: str, help_text: str) -> None:
    """A multiselect of the model's modules and the histograms of their outputs ("out") or gradients ("grad")."""
    model, snap = current.trainer.model, current.trainer.snapshot
    names = model.layer_names
    chosen = st.multiselect("Modules", names, default=default_modules(names), key=f"{P}_{key}_{len(names)}",
                            help=help_text)
    show_chart(density_chart(inspect.module_histograms(snap, model, chosen, which), x_title, chart_height()),
               P, chart_name)


def activations_tab(current: LiveRun) -> None:
    module_histograms(current, "out", "modules", "module output", "activations",
                      "Which modules' outputs to draw. Every module is hooked: a forward hook keeps its output, "
                      "so the same histograms work for any architecture.")
    st.dataframe(inspect.module_table(current.trainer.snapshot, current.trainer.model), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ["mean", "std", "grad_mean", "grad_std"]})
    st.caption("One row per module: its output's mean and std over the batch, and the same for d loss / d output. "
               "LayerNorm outputs sit at std 1 by construction; a nonlinearity whose std collapses is dying.")


def gradients_tab(current: LiveRun) -> None:
    module_histograms(current, "grad", "grad_modules", "d loss / d (module output)", "gradients",
                      "Which modules' output gradients to draw (kept by retain_grad on recorded steps).")
    st.caption("Similar spreads from the last module back to the first mean the gradient neither vanishes nor "
               "explodes on the way: the residual connections and LayerNorm are what keep a deep Transformer so.")


def parameters_tab(current: LiveRun) -> None:
    trainer = current.trainer
    table = inspect.parameter_frame(trainer.snapshot, trainer.model)
    st.dataframe(table[["name", "block", "shape", "grad_std", "data_std", "grad_data_ratio", "update_data_log10"]]
                 .rename(columns={"grad_data_ratio": "grad:data", "update_data_log10": "log10 update:data"}),
                 hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.3g")
                                                 for c in ["grad_std", "data_std", "grad:data", "log10 update:data"]})
    weights = [name for name, p in trainer.model.named_parameters() if p.ndim == 2]
    curve = inspect.update_frame(trainer)
    show_chart(update_ratio_chart(curve[curve["name"].isin(weights)], height=chart_height()), P, "update-data ratio")
    st.caption("log10 of how much a step changes each weight matrix relative to its size. AdamW normalizes the "
               "step, so the ratios sit closer together than with SGD; about -3 (dashed) is a healthy pace.")


def name_input(current: LiveRun) -> str:
    words = current.trainer.data.words
    return persistent_widget(st.text_input, f"{P}_name", words[0], label="A name to read",
                             help="The model reads this name character by character (after the boundary token) "
                                  "and the charts show what it computed at each position.")


def name_tab(current: LiveRun, frame_of, chart_of, chart_name: str, caption: str) -> None:
    """A chart of what the model computes while it reads one name (chosen in a text box)."""
    model, vocab = current.trainer.model, current.trainer.data.vocab
    name = name_input(current)
    try:
        frame = frame_of(model, vocab, name)
    except DataError as err:
        st.warning(f"Cannot read {name!r}: {err}", icon=":material/warning:")
        return
    show_chart(chart_of(frame), P, chart_name)
    st.caption(caption)


def attention_tab(current: LiveRun) -> None:
    name_tab(current, inspect.attention_frame, attention_chart, "attention",
             "One square per head and block. Row: the position reading; column: the position it takes "
             "information from; darker is more weight. Each row sums to 1 and nothing is above the diagonal: "
             "a position never sees the future. Early heads often look at the previous character or the start.")


def hidden_state_tab(current: LiveRun) -> None:
    name_tab(current, inspect.hidden_state_frame, lambda frame: hidden_state_chart(frame, chart_height(320)),
             "hidden states",
             "Column t is the hidden state after reading character t: red +1, blue -1. Units stuck at ±1 are "
             "saturated; units that change colour at a vowel or near the end are tracking something.")


def draw(current: LiveRun) -> None:
    """What the live area redraws on each tick."""
    status_line(current)
    loss_section(current)
    if current.trainer.snapshot is None:
        st.info("Take a step (or press Train) to see inside the model.", icon=":material/info:")
        return
    family = current.trainer.model.config.family
    inside = {"transformer": ("Attention maps", attention_tab), "rnn": ("Hidden states", hidden_state_tab),
              "gru": ("Hidden states", hidden_state_tab)}.get(family)
    titles = ["Activations", "Gradients", "Parameters"] + ([inside[0]] if inside else [])
    tabs = st.tabs(titles)
    for tab, show in zip(tabs, [activations_tab, gradients_tab, parameters_tab] + ([inside[1]] if inside else [])):
        with tab:
            show(current)
    st.caption(f"Histograms and tables show the batch of step {current.trainer.snapshot.step:,}.")


def leaderboard_section() -> None:
    st.header("Leaderboard")
    registry = runs.registry()
    if not registry:
        st.info("Runs you pause, finish or reset (on this page or any other) are listed here with their losses.")
        return
    board = runs.leaderboard(list(registry.values())).sort_values(["dev", "test"], na_position="last")
    st.dataframe(board, hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ["train", "dev", "test"]})
    show_chart(leaderboard_chart(board, chart_height(40 + 28 * len(board))), P, "leaderboard")
    st.caption("Every run of this session, measured on whole splits of its word list when it was paused or "
               "finished. Compare losses only between runs on the same list. Sample names from any of them on "
               "the *Make more names* page.")


st.set_page_config(page_title="Models", layout="wide")
settings = shared_sidebar()
st.title("All the models")
st.write("makemore.py's other models (RNN, GRU, bag of words, Transformer) on the same data, trainer and "
         "diagnostics as the lectures' MLPs. Pick one, train it live, look inside it, and compare it with every "
         "other run of this session.")
with controls_area():
    model_config, train_config, run_label = model_controls(settings.data)
run = live_run(STATE, model_config, train_config, settings, run_label, "Models", SAMPLE_SEED)
if run.notice:
    st.info(run.notice, icon=":material/autorenew:")
control_buttons(STATE, P)
live_area(STATE, draw)
leaderboard_section()
export_menu(P)
sidebar_share_link()
