"""Lecture 2: the MLP of Bengio et al., its learning-rate finder, live training and the embedding plot."""
import math

import pandas as pd
import streamlit as st

from makemore.charts.mlp import embedding_chart, lr_finder_chart
from makemore.charts.training import loss_chart
from makemore.lessons import mlp as mlp_lesson
from makemore.lessons.mlp import embedding_frame
from makemore.models import MLPConfig, config_to_dict
from makemore.presets import PRESETS
from makemore.training import TrainConfig
from ui import runs
from ui.cached import lr_sweep
from ui.export import export_menu, show_chart
from ui.lesson import Choice, choice_row, dev_points
from ui.live import LiveRun, control_buttons, live_area, live_run, status_line
from ui.presentation import button_row, chart_height, controls_area, side_by_side
from ui.settings import shared_sidebar
from ui.state import sidebar_share_link
from ui.tours import mlp_tour
from ui.walkthrough import walkthrough

P = "mlp"
STATE = "mlp_run"
SWEEP = "mlp_lr_sweep"  # session key: (the configuration it was run for, its curve)
LECTURE = PRESETS["mlp"]
SPLITS = ("train", "dev", "test")
LRS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
CHOICES = [
    Choice("n_embd", LECTURE.model.n_embd, "Embedding size", (1, 2, 3, 5, 8, 10, 16, 24, 32),
           "Numbers per character in C. The lecture starts at 2, which it can plot directly, then uses 10: more "
           "room to place similar characters near each other."),
    Choice("block_size", LECTURE.model.block_size, "Context (block size)", tuple(range(1, 9)),
           "How many previous characters the net reads. 1 makes it a bigram model with extra steps; the lecture "
           "uses 3."),
    Choice("n_hidden", LECTURE.model.n_hidden, "Hidden size", (10, 25, 50, 100, 200, 300, 500),
           "Neurons of the tanh layer. More fit the training set better, until the dev loss stops following: "
           "overfitting."),
    Choice("batch_size", LECTURE.train.batch_size, "Batch size", (1, 4, 8, 16, 32, 64, 128, 256, 512),
           "Examples per step. A small minibatch gives a noisy but cheap gradient: many quick approximate steps "
           "beat few exact ones. The lecture uses 32."),
    Choice("steps", LECTURE.train.steps, "Steps", (1_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000),
           "Length of training. The learning rate drops 10x at half way, as the lecture's does at 100,000 of "
           "200,000."),
    Choice("lr", LECTURE.train.lr, "Learning rate", LRS,
           "Step size of gradient descent. Use the finder below to pick one: the lecture found 0.1."),
]

st.set_page_config(page_title="MLP", layout="wide")
settings = shared_sidebar()
data = settings.data
st.title("Part 2 · The multilayer perceptron")
st.write("Read the last few characters, look each one up in a table of learned vectors C (the embedding), "
         "concatenate them, pass them through a tanh hidden layer and a softmax over the next character. "
         "The lecture's network has 11,897 parameters and beats the bigram by far.")
walkthrough(P, mlp_tour())


with controls_area():
    chosen = choice_row(P, CHOICES)
n_embd, block_size, n_hidden = chosen["n_embd"], chosen["block_size"], chosen["n_hidden"]
batch_size, steps, lr = chosen["batch_size"], chosen["steps"], chosen["lr"]

config = MLPConfig(block_size=block_size, n_embd=n_embd, n_hidden=n_hidden)
train = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, lr_decay_at=steps // 2, stats_every=0)
is_lecture_setup = (config_to_dict(config) == config_to_dict(LECTURE.model) and
                    (steps, batch_size, lr, train.lr_decay_at) == (LECTURE.train.steps, LECTURE.train.batch_size,
                                                                  LECTURE.train.lr, LECTURE.train.lr_decay_at))

# ------------------------------------------------------------------------------------------ lr finder
st.header("Finding a learning rate")
st.write(f"The lecture's trick: train a fresh network for {mlp_lesson.SWEEP_STEPS:,} steps while raising the learning rate "
         "exponentially from 10⁻³ to 10⁰, and plot each step's loss against its learning rate.")
sweep_key = (settings.data_key, config_to_dict(config), batch_size, settings.seed, settings.device)
finder_row = button_row()  # "Use lr = ..." joins it once there is a suggestion
if finder_row.button("Run the finder", key="mlp_find_lr", icon=":material/search:", type="primary",
                     help=f"{mlp_lesson.SWEEP_STEPS:,} steps on a fresh copy of the network above; your training run "
                          "is not touched."):
    with st.spinner(f"Sweeping the learning rate over {mlp_lesson.SWEEP_STEPS:,} steps…"):
        st.session_state[SWEEP] = (sweep_key, lr_sweep(settings.data_key, config, batch_size, settings.seed,
                                                       settings.device, data))
stored = st.session_state.get(SWEEP)
if stored is None:
    st.caption("Press *Run the finder* to draw the curve for the network above.")
elif stored[0] != sweep_key:
    st.caption("The network changed since the last sweep: run the finder again.")
else:
    curve = stored[1]
    suggestion = mlp_lesson.suggest(curve)
    if suggestion is not None:
        pick = min(LRS, key=lambda v: abs(math.log10(v) - math.log10(suggestion.lr)))
        finder_row.button(f"Use lr = {pick:g}", key="mlp_use_lr", icon=":material/check:",
                          on_click=lambda: st.session_state.update(mlp_lr=pick),
                          help="Set the learning rate control to the suggestion (rounded to its nearest choice).")
    show_chart(lr_finder_chart(curve, suggestion, chart_height()), P, "lr finder",
               title="Loss against learning rate over one exponential sweep")
    if suggestion is None:
        st.warning("The loss exploded at the very first step: this network cannot train even at lr 0.001.")
    else:
        ended = "" if len(curve) == mlp_lesson.SWEEP_STEPS else \
            f" The sweep stopped at lr {curve['lr'].iloc[-1]:.2g}: the loss exploded."
        st.caption(f"The loss falls faster as the lr grows, bottoms out, then turns up and gets noisy: too large a "
                   f"step overshoots. Shaded: the valley, where the smoothed loss is within "
                   f"{mlp_lesson.VALLEY_TOLERANCE:.0%} of its lowest ({suggestion.low:.2g} to {suggestion.high:.2g}); "
                   f"its left edge is a safe pick.{ended}")

# ------------------------------------------------------------------------------------------ training
st.header("Training")
label = f"MLP · emb {n_embd} · block {block_size} · hidden {n_hidden} · batch {batch_size} · lr {lr:g}"
run = live_run(STATE, config, train, settings, label, "MLP", LECTURE.sample_seed)
if run.notice:
    st.info(run.notice, icon=":material/autorenew:")
control_buttons(STATE, P)


def results_table(current: LiveRun) -> pd.DataFrame:
    """Final train / dev / test loss of the run as last evaluated, and the lecture's beside it."""
    record = runs.registry().get(current.run_id)
    evaluated = record is not None and record.steps == current.trainer.step and record.losses
    ours = [record.losses.get(f"{split}_loss") if evaluated else None for split in SPLITS]
    table = {f"this run, step {current.trainer.step:,}": ours}
    if is_lecture_setup:
        table["lecture, step 200,000"] = [LECTURE.lecture.train, LECTURE.lecture.dev, None]
    return pd.DataFrame({column: [f"{v:.4f}" if v is not None else "–" for v in values]
                         for column, values in table.items()}, index=SPLITS)


def draw_training(current: LiveRun) -> None:
    """Status, loss curve, embedding plot and the table of final losses."""
    trainer = current.trainer
    status_line(current)
    left, right = side_by_side([3, 2])
    with left:
        decay_at = trainer.config.lr_decay_at
        changes = list(trainer.lr_changes)
        if decay_at is not None and trainer.step >= decay_at:
            changes.append((decay_at, trainer.lr_at(decay_at)))
        marks = pd.DataFrame(changes, columns=["step", "lr"])
        show_chart(loss_chart(runs.loss_curve(trainer), dev_points(trainer), math.log(data.vocab.size), marks,
                              height=chart_height(340)),
                   P, "loss", title="Loss: train per step and dev")
        st.caption("Faint: each minibatch's loss (noisy: 32 examples); bold: smoothed; orange dots: the dev loss "
                   "(4,096 dev examples) every 1,000 steps. The lr drop at half way (purple) buys a last bit of loss. While "
                   "train and dev stay together the net is not overfitting: it could be bigger.")
        st.dataframe(results_table(current))
        st.caption("Measured on each whole split when you pause, step or finish. "
                   + ("The lecture's column is its printout for this exact setup (names.txt, seed 2147483647); "
                      "ours gets there at step 200,000." if is_lecture_setup else
                      "Set the controls to the lecture's setup (emb 10, block 3, hidden 200, batch 32, 200,000 "
                      "steps, lr 0.1) to see its figures beside ours."))
    with right:
        frame, axis = embedding_frame(trainer.model.C, data.vocab.itos)
        show_chart(embedding_chart(frame, axis, chart_height(480)),
                   P, "embedding", title="Character embeddings C")
        shown = "C itself" if axis == "embedding dimension" else \
            f"the two directions along which the {n_embd}-number vectors spread most (PCA)"
        st.caption(f"Each dot is a character's vector in C; the axes are {shown}. Random at first; as the net "
                   "trains, characters that behave alike move together: the vowels cluster, the boundary token "
                   "stands apart. Set the embedding size to 2 to see the lecture's own plot.")


live_area(STATE, draw_training)
export_menu(P)
sidebar_share_link()
