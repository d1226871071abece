"""Lecture 4: the MLP's backward pass by hand, checked tensor by tensor against autograd, then trained."""
import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from makemore.charts.backprop import gradcheck_chart, twin_loss_chart
from makemore.lessons import backprop, backprop_twins
from makemore.presets import PRESETS
from makemore.training import TrainConfig
from ui import runs
from ui.export import export_menu, show_chart
from ui.lesson import Choice, choice_slider
from ui.pacing import paced_fragment
from ui.presentation import button_row, chart_height, controls_area, side_by_side
from ui.settings import shared_sidebar
from ui.state import persistent_widget, sidebar_share_link
from ui.tours import backprop_tour
from ui.walkthrough import walkthrough

P = "backprop"
TWINS = "backprop_twins"  # session key: the pair of trainers
TWINS_BUILT_FOR = "backprop_twins_identity"  # session key: what the pair was built for
TWIN_RUN_IDS = "backprop_twin_run_ids"  # session key: the pair's ids in the session's runs
NO_MISTAKE = "none"
LECTURE = PRESETS["backprop"]
STEPS = Choice("steps", 20_000, "Steps", (1_000, 5_000, 20_000, 50_000, 100_000, 200_000),
               "Length of training; the learning rate drops from 0.1 to 0.01 at half way, as the lecture's does "
               "at 100,000 of 200,000. Changing it starts a fresh pair.")


def mistake_label(key: str) -> str:
    return "No mistake: the lecture's backward pass" if key == NO_MISTAKE else backprop.MISTAKES[key]


def red_failures(table: pd.DataFrame):
    """The check table with its failing rows in red, the lecture's cmp columns first."""
    def paint(row):
        return ["background-color: #f8d7da; color: #842029" if not row["approximate"] else ""] * len(row)
    return table.style.apply(paint, axis=1).format({"maxdiff": "{:.3g}"})


st.set_page_config(page_title="Backprop by hand", layout="wide")
settings = shared_sidebar()
st.title("Part 4 · Backprop by hand")
st.write("Autograd is not magic: every gradient it gives can be written by hand, one small step at a time. "
         "The lecture breaks the forward pass of its MLP (embedding, linear layer, BatchNorm, tanh, output layer, "
         "softmax, loss) into tiny operations, backpropagates through each one with pen-and-paper calculus and "
         "checks every result against PyTorch's `loss.backward()`.")
walkthrough(P, backprop_tour())

# ------------------------------------------------------------------------------------------ exercise 1
st.header("Every gradient, by hand")
st.write("One minibatch of 32 examples goes through part 4's network (12,297 parameters at the lecture's size), "
         "drawn from the sidebar's word list and seed. For each intermediate tensor, in the order the backward pass "
         "reaches it: its shape, and whether the hand-written gradient equals autograd's bit for bit (*exact*), "
         "up to rounding (*approximate*: `torch.allclose`, atol 1e-7), and by how much at most (*maxdiff*). "
         "This is the lecture's `cmp`.")
with controls_area():
    mistake = persistent_widget(
        st.selectbox, "backprop_mistake", NO_MISTAKE, param="mistake", label="Break it", options=[NO_MISTAKE, *backprop.MISTAKES],
        format_func=mistake_label,
        help="Plant one of the mistakes people make writing a backward pass and see which checks turn red. A "
             "mistake poisons its own gradient and everything computed from it: the further up the table it "
             "starts, the more rows turn red.")
model, Xb, Yb = backprop.lecture_batch(LECTURE.model, settings.data, settings.seed)
table = backprop.gradcheck(model, Xb, Yb, None if mistake == NO_MISTAKE else mistake)
summary = backprop.verdict(table)
if table["approximate"].all():
    st.success(summary[0].upper() + summary[1:] + ".", icon=":material/check_circle:")
else:
    st.error(summary[0].upper() + summary[1:] + ".", icon=":material/error:")
left, right = side_by_side([2, 1])
with left:
    st.dataframe(red_failures(table), hide_index=True, height=35 * (len(table) + 1) + 3, column_config={
        "tensor": st.column_config.TextColumn(width=110), "stage": st.column_config.TextColumn(width=85),
        "forward": st.column_config.TextColumn("forward step", width=190),
        "shape": st.column_config.TextColumn(width=75), "exact": st.column_config.CheckboxColumn(width=50),
        "approximate": st.column_config.CheckboxColumn(width=90), "maxdiff": st.column_config.Column(width=75)})
    st.caption("Exact from logprobs down to W2 and b2, as in the lecture; from tanh's backward on only approximate "
               "(about 1e-9 apart), because PyTorch 2's fused tanh backward rounds differently from 1 − h², which "
               "the 2022 lecture did not see.")
with right:
    show_chart(gradcheck_chart(table, chart_height(760)), P, "gradient check",
               title="Distance from autograd, per gradient")
    st.caption("Green: rounding level, exact ones at the left edge. Red: a mistake, thousands of times larger, "
               "starting at the tensor where it was made.")

# ------------------------------------------------------------------------------------------ exercises 2-4
st.header("All in one go")
st.write("Once every small step works, the lecture simplifies them on paper: a whole cross-entropy, a whole "
         "BatchNorm, and then the whole network, each in a few lines. Here is each formula and its check against "
         "autograd on the same minibatch.")
one_go = backprop.one_go_checks(model, Xb, Yb)
for check, (title, latex) in backprop.FORMULAS.items():
    rows = one_go[one_go["check"] == check].drop(columns="check")
    formula_col, check_col = side_by_side([5, 3])
    with formula_col:
        st.subheader(title)
        st.latex(latex)
    with check_col:
        verdict = "passes" if rows["approximate"].all() else "fails"
        st.dataframe(red_failures(rows), hide_index=True)
        st.caption(f"The formula {verdict}: largest difference from autograd {rows['maxdiff'].max():.2g}. "
                   "Never bit-exact: simplifying changes the order of the float operations.")

# ------------------------------------------------------------------------------------------ exercise 4: training
st.header("Train it with your own backward pass")
st.write("Two copies of the network start from the same initialization and see the same minibatches. One gets "
         "its gradients from the hand-written formulas above, the other from autograd. If the formulas are right, "
         "the two loss curves lie on top of each other.")
with controls_area():
    steps = choice_slider(f"{P}_{STEPS.name}", STEPS)
train = TrainConfig(steps=steps, batch_size=32, lr=LECTURE.train.lr, lr_decay_at=steps // 2, stats_every=0)
identity = {"data": settings.data_key, "seed": settings.seed, "device": settings.device, "steps": steps}


@dataclass
class TwinsRun:
    """The pair and whether it is training: the page's to know (the twins only train)."""
    twins: backprop_twins.Twins
    running: bool = False

    @property
    def status(self) -> str:
        if self.twins.done:
            return "finished"
        return "training" if self.running else ("paused" if self.twins.step else "ready")


def measure_and_keep(current: backprop_twins.Twins) -> None:
    """Both twins' losses on the whole splits, and both kept in the session's runs (Generate, Compare)."""
    backprop_twins.evaluate(current)
    for backward, trainer in current.trainers.items():
        if trainer.step:
            runs.record(trainer, st.session_state[TWIN_RUN_IDS][backward], f"Backprop · {backward} twin",
                        "Backprop", settings.data_label, settings.seed, LECTURE.sample_seed)


def new_pair() -> None:
    st.session_state[TWINS] = TwinsRun(backprop_twins.build_twins(LECTURE.model, train, settings.data, settings.seed,
                                                                  settings.device))
    st.session_state[TWIN_RUN_IDS] = {backward: runs.new_run_id() for backward in backprop_twins.BACKWARDS}


if st.session_state.get(TWINS_BUILT_FOR) != identity:
    if TWINS in st.session_state:
        st.info("The settings changed: a new pair of networks was initialized.", icon=":material/autorenew:")
    new_pair()
    st.session_state[TWINS_BUILT_FOR] = identity
live: TwinsRun = st.session_state[TWINS]
pair = live.twins

row = button_row()
if live.running:
    if row.button("Pause", key=f"{P}_pause", type="primary", icon=":material/pause:"):
        live.running = False
        measure_and_keep(pair)
        st.rerun()
elif row.button("Train", key=f"{P}_train", type="primary", icon=":material/play_arrow:",
                disabled=pair.done, help="Train both twins continuously; the chart updates as they learn."):
    live.running = True
    st.rerun()
for n in (100, 1000):
    if row.button(f"Step {n:,}", key=f"{P}_step{n}", disabled=pair.done,
                  help=f"Train both twins exactly {n:,} steps and stop."):
        live.running = False
        with st.spinner(f"Training both twins {n:,} steps…"):
            backprop_twins.advance(pair, n)
            measure_and_keep(pair)
if row.button("Reset", key=f"{P}_reset", icon=":material/restart_alt:",
              help="Both twins start again from the same fresh initialization."):
    if pair.step:
        measure_and_keep(pair)
    new_pair()
    st.rerun()


def draw_twins(live_twins: TwinsRun) -> None:
    """Status, the two loss curves and, when measured, both twins' losses on the whole splits."""
    current = live_twins.twins
    rates = " · ".join(f"{name} {t.steps_per_s:,.0f} steps/s" for name, t in current.trainers.items()
                       if t.step)
    gap = backprop_twins.largest_gap(current)
    total = current.manual.config.steps
    st.markdown(f"**Step {current.step:,} of {total:,}** · {rates or '–'} · *{live_twins.status}*")
    chart_col, numbers_col = side_by_side([3, 2])
    with chart_col:
        show_chart(twin_loss_chart(backprop_twins.loss_frame(current), chart_height(320)), P, "twin loss",
                   title="Training loss: hand-written backward pass and autograd")
        st.caption("Solid blue: trained with the hand-written gradients; dashed orange: with autograd. They "
                   "coincide: the formulas are the true gradient, up to float32 rounding.")
    with numbers_col:
        if not math.isnan(gap):
            st.metric("Largest gap between the two curves", f"{gap:.1e}",
                      help="The largest |difference| between the twins' recorded losses so far. It stays at "
                           "float32 rounding (below 1e-6) however long they train.")
        if current.results_step == current.step and not current.results.empty:
            results = current.results.map(lambda v: f"{v:.4f}")
            if current.manual.config.steps == LECTURE.train.steps:
                results["lecture, step 200,000"] = [f"{LECTURE.lecture.train:.4f}", f"{LECTURE.lecture.dev:.4f}"]
            st.dataframe(results)
            st.caption(f"Loss on the whole splits at step {current.step:,}, measured when you pause, step or finish. "
                       "The lecture's figures come from its names.txt.")


def train_twins(live_twins: TwinsRun, budget: float) -> None:
    backprop_twins.tick(live_twins.twins, budget)
    if live_twins.twins.done:  # finished: a full rerun updates the buttons
        live_twins.running = False
        measure_and_keep(live_twins.twins)
        st.rerun()


paced_fragment(TWINS, train_twins, draw_twins)
export_menu(P)
sidebar_share_link()
