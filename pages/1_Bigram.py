"""Lecture 1: bigram counts with smoothing, a trigram beside them, the neural bigram trained live, samples."""
import streamlit as st

from makemore.lessons import bigram
from makemore.models import NeuralBigramConfig
from makemore.presets import PRESETS
from makemore.training import TrainConfig
from ui.export import export_menu
from ui.lesson import Choice, choice_row, choice_slider
from ui.live import live_run
from ui.panels.bigram import (
    counting_models,
    counting_section,
    draw_neural_bigram,
    lesson_sections,
    samples_section,
)
from ui.panels.class_board import share_live_run
from ui.runnable import control_row, live_area
from ui.sidebar import page_end, page_setup
from ui.tours import bigram_tour
from ui.walkthrough import walkthrough

P = "bigram"
NN_STATE = "bigram_nn_run"
NN_PRESET = PRESETS["bigram-nn"]
SMOOTHING = Choice(
    "smoothing", 1.0, "Smoothing: fake counts added to every cell", bigram.SMOOTHINGS,
    "P = (N + smoothing) / row sum. 0 makes every pair never seen in training impossible: one such pair in the dev "
    "set makes its NLL infinite. 1 is the lecture's choice. Large values flatten every row towards a uniform "
    "guess. The scale is logarithmic.")
NN_CHOICES = [
    Choice("lr", NN_PRESET.train.lr, "Learning rate", (0.1, 0.5, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0),
           "Each step moves W by -lr x gradient. The lecture uses 50: full-batch gradients over every pair are "
           "smooth, so a large step is safe. Try 1 to watch it crawl, 100 to see it overshoot."),
    Choice("reg", NN_PRESET.model.regularization, "Regularization strength", (0.0, 0.001, 0.01, 0.1, 1.0),
           "Adds strength x mean(W²) to the loss, pulling W towards 0, i.e. towards equal probabilities: the neural "
           "counterpart of smoothing. 0.01 is the lecture's; 1 flattens the table a lot. Changing it starts a new "
           "network."),
    Choice("steps", NN_PRESET.train.steps, "Steps (full batch)", (100, 300, 1000, 3000),
           "Each step uses every training pair at once (no minibatches), as in the lecture."),
]

settings = page_setup("Bigram")
st.title("Part 1 · The bigram language model")
st.write("Predict the next character from the previous one. First by counting how often each pair occurs, then "
         "with a one-layer neural net trained by gradient descent, which learns the same table.")
walkthrough(P, bigram_tour())

# ------------------------------------------------------------------------------------------ counting
st.header("Counting")
smoothing = choice_slider("bigram_smoothing", SMOOTHING)
trained = counting_models(settings, "train", smoothing)
everywhere = counting_models(settings, "all", smoothing)
counting_section(settings, trained, everywhere, smoothing, P)

# ------------------------------------------------------------------------------------------ neural bigram
st.header("The neural bigram")
st.write("One linear layer: logits = one_hot(previous) @ W, a 27 x 27 matrix for names; softmax turns "
         "exp(logits), the 'counts', into probabilities. Gradient descent on the NLL (plus "
         "regularization x mean(W²)) pulls softmax(W) towards the counted table.")
chosen = choice_row(P, NN_CHOICES)
lr, regularization, steps = chosen["lr"], chosen["reg"], chosen["steps"]
nn_config = NeuralBigramConfig(regularization=regularization)
nn_train = TrainConfig(steps=steps, batch_size=None, lr=lr, lr_decay_at=None, stats_every=0)
run = live_run(NN_STATE, nn_config, nn_train, settings, f"neural bigram · lr {lr:g} · reg {regularization:g}",
               "Bigram", NN_PRESET.sample_seed)
control_row(NN_STATE, P)
share_live_run(NN_STATE, P)
live_area(NN_STATE, lambda current: draw_neural_bigram(current, trained["bigram"], smoothing, P))

# ------------------------------------------------------------------------------------------ samples
st.header("Samples")
samples_section(everywhere, smoothing, run)
st.divider()
lesson_sections(settings, everywhere, smoothing, run, P)
export_menu(P)
page_end()
