"""Lecture 2: the MLP of Bengio et al., its learning-rate finder, live training and the embedding plot."""
import streamlit as st

from makemore.lessons import mlp as mlp_lesson
from makemore.models import MLPConfig
from makemore.presets import PRESETS
from makemore.training import TrainConfig
from ui.export import export_menu
from ui.lesson import Choice, choice_row
from ui.live import live_run
from ui.panels.class_board import share_live_run
from ui.panels.mlp import draw_training, is_lecture_setup, lr_finder_section, overfit_section, statistics_every
from ui.presentation import controls_area
from ui.runnable import live_section
from ui.sidebar import page_end, page_setup
from ui.tours import mlp_tour
from ui.walkthrough import walkthrough

P = "mlp"
STATE = "mlp_run"
LECTURE = PRESETS["mlp"]
LRS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
CHOICES = [
    Choice("n_embd", LECTURE.model.n_embd, "Embedding size", (1, 2, 3, 5, 8, 10, 16, 24, 32),
           "Numbers per character in C. The lecture starts at 2, which it can plot directly, then uses 10: more "
           "room to place similar characters near each other.", story=True),
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
           "Step size of gradient descent. Use the finder below to pick one: the lecture found 0.1.", story=True),
]

settings = page_setup("MLP")
st.title("Part 2 · The multilayer perceptron")
st.write("Read the last few characters, look each one up in a table of learned vectors C (the embedding), "
         "concatenate them, pass them through a tanh hidden layer and a softmax over the next character. "
         f"The lecture's network has {LECTURE.lecture.params:,} parameters and beats the bigram by far.")
walkthrough(P, mlp_tour())

with controls_area():
    chosen = choice_row(P, CHOICES)
n_embd, block_size, n_hidden = chosen["n_embd"], chosen["block_size"], chosen["n_hidden"]
batch_size, steps, lr = chosen["batch_size"], chosen["steps"], chosen["lr"]
config = MLPConfig(block_size=block_size, n_embd=n_embd, n_hidden=n_hidden)
train = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, lr_decay_at=steps // 2,
                    stats_every=statistics_every(P))

# ------------------------------------------------------------------------------------------ lr finder
st.header("Finding a learning rate")
st.write(f"The lecture's trick: train a fresh network for {mlp_lesson.SWEEP_STEPS:,} steps while raising the learning "
         "rate exponentially from 10⁻³ to 10⁰, and plot each step's loss against its learning rate.")
lr_finder_section(settings, config, batch_size, LRS, P)
overfit_section(settings, config, P)

# ------------------------------------------------------------------------------------------ training
st.header("Training")
label = f"MLP · emb {n_embd} · block {block_size} · hidden {n_hidden} · batch {batch_size} · lr {lr:g}"
live_run(STATE, config, train, settings, label, "MLP", LECTURE.sample_seed)
lecture = LECTURE if is_lecture_setup(config, train, LECTURE) else None
live_section(STATE, P, lambda current: draw_training(current, lecture, P), share=share_live_run)
export_menu(P)
page_end()
