"""Lecture 4: the MLP's backward pass by hand, checked tensor by tensor against autograd, then trained."""
from dataclasses import replace

import streamlit as st

from makemore.lessons import backprop
from makemore.presets import PRESETS
from ui.export import export_menu
from ui.lesson import Choice, choice_slider
from ui.panels.backprop import (
    NO_MISTAKE,
    TWIN_BUTTONS,
    draw_twins,
    formulas_section,
    gradcheck_section,
    graph_section,
    mistake_label,
    twins_run,
)
from ui.presentation import controls_area
from ui.presenter import story
from ui.runnable import live_section
from ui.sidebar import page_end, page_setup
from ui.state import persistent_widget
from ui.tours import backprop_tour
from ui.walkthrough import walkthrough

P = "backprop"
TWINS = "backprop_twins"  # session key: the pair of trainers, as a live object
LECTURE = PRESETS["backprop"]  # exercise 4's network, trained below
EXERCISE_1 = replace(LECTURE.model, n_hidden=backprop.EXERCISE_1_HIDDEN)  # the lecture checks a smaller one first
STEPS = Choice("steps", 20_000, "Steps", (1_000, 5_000, 20_000, 50_000, 100_000, 200_000),
               "Length of training; the learning rate drops from 0.1 to 0.01 at half way, as the lecture's does "
               "at 100,000 of 200,000. Changing it starts a fresh pair.")

settings = page_setup("Backprop by hand")
st.title("Part 4 · Backprop by hand")
st.write("Autograd is not magic: every gradient it gives can be written by hand, one small step at a time. "
         "The lecture breaks the forward pass of its MLP (embedding, linear layer, BatchNorm, tanh, output layer, "
         "softmax, loss) into tiny operations, backpropagates through each one with pen-and-paper calculus and "
         "checks every result against PyTorch's `loss.backward()`.")
walkthrough(P, backprop_tour())

# ------------------------------------------------------------------------------------------ exercise 1
st.header("Every gradient, by hand")
model, Xb, Yb = backprop.lecture_batch(EXERCISE_1, settings.data, settings.seed)
st.write(f"One minibatch of {len(Yb)} examples goes through exercise 1's network, {model.num_params():,} parameters "
         f"(the lecture's {EXERCISE_1.n_hidden} hidden units; the training below uses exercise 4's "
         f"{LECTURE.model.n_hidden}), drawn from the sidebar's word list and seed. For each intermediate tensor, in "
         "the order the backward pass reaches it: its shape, and whether the hand-written gradient equals "
         "autograd's bit for bit (*exact*), up to rounding (*approximate*: the largest difference within "
         f"{backprop.APPROX_ATOL:g} + {backprop.APPROX_RTOL:g} × the largest gradient of its stage), and by how much "
         "at most (*maxdiff*). This is the lecture's `cmp`.")
with controls_area():
    mistake = persistent_widget(
        st.selectbox, "backprop_mistake", NO_MISTAKE, param="mistake", label="Break it",
        options=[NO_MISTAKE, *backprop.MISTAKES], format_func=mistake_label,
        help="Plant one of the mistakes people make writing a backward pass and see which checks turn red. A "
             "mistake poisons its own gradient and everything computed from it: the further up the table it "
             "starts, the more rows turn red.")
planted = None if mistake == NO_MISTAKE else mistake
table = backprop.gradcheck(model, Xb, Yb, planted)
gradcheck_section(table, P, planted)
st.subheader("The same check on the computation graph")
graph_section(table, Xb, Yb, P)

# ------------------------------------------------------------------------------------------ exercises 2-4
st.header("All in one go")
st.write("Once every small step works, the lecture simplifies them on paper: a whole cross-entropy, a whole "
         "BatchNorm, and then the whole network, each in a few lines. Here is each formula and its check against "
         "autograd on the same minibatch.")
formulas_section(backprop.one_go_checks(model, Xb, Yb))

# ------------------------------------------------------------------------------------------ exercise 4: training
st.header("Train it with your own backward pass")
st.write("Two copies of the network start from the same initialization and see the same minibatches. One gets "
         "its gradients from the hand-written formulas above, the other from autograd. If the formulas are right, "
         "the two loss curves lie on top of each other. With a mistake chosen under *Break it*, the hand-written "
         "twin trains with that mistake.")
with controls_area(), story():
    steps = choice_slider(f"{P}_{STEPS.name}", STEPS)
twins_run(TWINS, LECTURE, steps, settings, planted)
live_section(TWINS, P, lambda current: draw_twins(current, LECTURE, P), TWIN_BUTTONS)
export_menu(P)
page_end()
