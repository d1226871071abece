"""The Backprop page's sections (lecture 4): the gradient check, its computation graph and backward walk, the
one-go formulas, and the twins trained live."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial
from typing import Callable

import pandas as pd
import streamlit as st

from makemore.charts.backprop import gradcheck_chart, twin_loss_chart, verdict_labels
from makemore.charts.backprop_graph import backprop_graph
from makemore.lessons import backprop, backprop_graph as graph, backprop_twins
from makemore.presets import Preset
from makemore.training import TrainConfig
from ui import runs
from ui.export import show_chart
from ui.presentation import button_row, chart_height, side_by_side
from ui.runnable import Buttons, Runnable
from ui.sharing import shown_rate
from ui.sidebar import SharedSettings

NO_MISTAKE = "none"
TWIN_BUTTONS = Buttons(train_help="Train both twins continuously; the chart updates as they learn.",
                       steps=(100, 1000), step_help="Train both twins exactly {n:,} step{s} and stop.",
                       reset_help="Both twins start again from the same fresh initialization.")


def mistake_label(key: str) -> str:
    return "No mistake: the lecture's backward pass" if key == NO_MISTAKE else backprop.MISTAKES[key]


def red_failures(table: pd.DataFrame):
    """The check table with its failing rows in red, the lecture's cmp columns first."""
    def paint(row):
        return ["background-color: #f8d7da; color: #842029" if not row["approximate"] else ""] * len(row)
    return table.style.apply(paint, axis=1).format({"maxdiff": "{:.3g}"})


def gradcheck_section(table: pd.DataFrame, prefix: str, mistake: str | None = None) -> None:
    """The verdict, the table of every intermediate gradient and the chart of its distance from autograd,
    and with a mistake planted, why the rows after it that stay green are still right."""
    summary = backprop.verdict(table)
    if table["approximate"].all():
        st.success(summary[0].upper() + summary[1:] + ".", icon=":material/check_circle:")
    else:
        st.error(summary[0].upper() + summary[1:] + ".", icon=":material/error:")
    left, right = side_by_side([2, 1])
    with left:
        # the verdict's columns first: at 1400 px with the sidebar open the last columns scroll out of view
        st.dataframe(red_failures(table), hide_index=True, height=35 * (len(table) + 1) + 3,
                     column_order=("tensor", "exact", "approximate", "maxdiff", "shape", "stage", "forward"),
                     column_config={
                         "tensor": st.column_config.TextColumn(width=105),
                         "exact": st.column_config.CheckboxColumn(width=50),
                         "approximate": st.column_config.CheckboxColumn(width=90),
                         "maxdiff": st.column_config.Column(width=70), "shape": st.column_config.TextColumn(width=75),
                         "stage": st.column_config.TextColumn(width=80),
                         "forward": st.column_config.TextColumn("forward step", width=130)})
        st.caption(rounding_note(table))
        if mistake is not None:
            still_right_note(table, mistake)
    with right:
        show_chart(gradcheck_chart(table, chart_height(760)), prefix, "gradient check",
                   title="Distance from autograd, per gradient")
        st.caption("Green: rounding level, exact ones at the left edge. Red: a mistake, thousands of times larger, "
                   "starting at the tensor where it was made.")


def rounding_note(table: pd.DataFrame) -> str:
    """Which gradients are autograd's bit for bit and how far the others are, as the table shows them."""
    exact = table[table["exact"]]["tensor"].tolist()
    rounded = table[~table["exact"] & table["approximate"]]
    text = f"{len(exact)} of {len(table)} gradients are autograd's bit for bit" + (
        f" ({exact[0]} to {exact[-1]} in the table's order)" if exact else "")
    if rounded.empty:
        return text + "."
    return (text + f"; {len(rounded)} only approximately, at most {rounded['maxdiff'].max():.1e} apart: PyTorch 2's "
            "fused tanh backward rounds differently from the 1 − h² written by hand, and every gradient computed "
            "from it inherits the rounding. The 2022 lecture's cmp found every row exact.")


def still_right_note(table: pd.DataFrame, mistake: str) -> None:
    """The green rows below the first red one, grouped by why the mistake does not reach them."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in backprop.still_right(table, mistake).items():
        by_reason.setdefault(reason, []).append(f"`{name}`")
    for reason, names in by_reason.items():
        rows = ", ".join(names)
        st.info(f"Green below the mistake: {rows}. {reason[0].upper() + reason[1:]}.", icon=":material/info:")


def graph_section(table: pd.DataFrame, Xb, Yb, prefix: str) -> None:
    """The forward pass as a graph coloured by the check above, and a walk through it in backward order
    (Previous / Next) that outlines the tensor whose gradient the backward pass computes at that step."""
    walk = graph.backward_walk()
    key = f"{prefix}_walk"
    at = min(max(int(st.session_state.get(key, 0)), 0), len(walk) - 1)
    row = button_row()
    row.button("Previous", key=f"{prefix}_walk_back", icon=":material/arrow_upward:", disabled=at == 0,
               on_click=lambda: st.session_state.update({key: at - 1}),
               help="One step back towards the loss.")
    row.button("Next", key=f"{prefix}_walk_next", icon=":material/arrow_downward:", disabled=at == len(walk) - 1,
               on_click=lambda: st.session_state.update({key: at + 1}),
               help="The next gradient the backward pass computes, in the lecture's order.")
    row.button("Back to the loss", key=f"{prefix}_walk_start", icon=":material/restart_alt:", disabled=at == 0,
               on_click=lambda: st.session_state.update({key: 0}))
    current = walk.iloc[at]
    checked = table.set_index("tensor")
    verdict = "" if current.tensor not in checked.index else \
        f" Its check here: **{verdict_labels(checked.loc[[current.tensor]])[0]}**."
    st.markdown(f"**Gradient {at} of {len(walk) - 1}: d{current.tensor}** ({current.stage}) · {current.sentence}{verdict}")
    # bottom to top: the loss on top, so the walk goes down the page in the table's order
    st.graphviz_chart(backprop_graph(graph.graph_nodes(table, Xb, Yb), graph.edges(), highlight=current.tensor,
                                     rankdir="BT"), width="content")
    st.caption("Each ellipse is a tensor of the forward pass with its shape, each box a parameter; an arrow "
               "runs from each input of a step to its result, labelled with the operation. Filled as in the "
               "check: green exact, pale green approximate, red wrong (with the largest |gradient| autograd "
               "finds there). A planted mistake turns red the tensor where it is made and every tensor whose "
               "gradient is computed from it: the arrows it travels back along are red too. Blue: the walk's "
               "tensor and the arrows its gradient comes back along.")


def formulas_section(one_go: pd.DataFrame) -> None:
    """Each one-go formula beside its check against autograd."""
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


@dataclass
class TwinsRun(Runnable):
    """The pair of twins (makemore.lessons.backprop_twins) as a live object; both join the session's runs."""
    twins: backprop_twins.Twins
    build: Callable[[], backprop_twins.Twins]  # a fresh pair of the same setup
    identity: dict  # what built the pair: data, seed, device, schedule
    run_ids: dict[str, str]  # backward -> the twin's id in the session's runs
    data_label: str
    seed: int
    sample_seed: int
    running: bool = False
    notice: str = ""

    @property
    def step(self) -> int:
        return self.twins.step

    @property
    def done(self) -> bool:
        return self.twins.done

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        done = self.twins.advance_for(seconds, max_steps)
        if self.twins.done and self.running:
            self.stop()
        return done

    def stop(self) -> None:
        """Both twins' losses on the whole splits, and both kept in the session's runs (Generate, Compare)."""
        self.running = False
        if not self.step:
            return
        if self.twins.results_step != self.step:
            backprop_twins.evaluate(self.twins)
        mistake = self.identity["mistake"]
        for backward, trainer in self.twins.trainers.items():
            planted = f" (mistake: {mistake.replace('_', ' ')})" if mistake and backward == "hand-written" else ""
            runs.record(trainer, self.run_ids[backward], f"Backprop · {backward} twin{planted}", "Backprop",
                        self.data_label, self.seed, self.sample_seed)

    def reset(self) -> TwinsRun:
        self.stop()
        return replace(self, twins=self.build(), run_ids=new_run_ids(), running=False, notice="")


def new_run_ids() -> dict[str, str]:
    return {backward: runs.new_run_id() for backward in backprop_twins.BACKWARDS}


def twins_run(state_key: str, preset: Preset, steps: int, settings: SharedSettings,
              mistake: str | None = None) -> TwinsRun:
    """The page's pair: built on first use and again (with a notice) when the data, seed, schedule or the
    planted mistake change."""
    identity = {"data": settings.data_key, "seed": settings.seed, "device": settings.device, "steps": steps,
                "mistake": mistake}
    run: TwinsRun | None = st.session_state.get(state_key)
    if run is None or run.identity != identity:
        if run is not None:
            run.stop()
        train = TrainConfig(steps=steps, batch_size=32, lr=preset.train.lr, lr_decay_at=steps // 2, stats_every=0)
        build = partial(backprop_twins.build_twins, preset.model, train, settings.data, settings.seed, settings.device,
                        mistake)
        notice = "The settings changed: a new pair of networks was initialized." if run is not None else ""
        run = TwinsRun(build(), build, identity, new_run_ids(), settings.data_label, settings.seed,
                       preset.sample_seed, notice=notice)
        st.session_state[state_key] = run
    return run


VISIBLE_GAP = 0.01  # a loss difference this small is not visible on the twins' chart


def twins_caption(gap: float, mistake: str | None) -> str:
    """What the chart shows, from the largest gap measured so far."""
    lines = "Solid blue: trained with the hand-written gradients; dashed orange: with autograd."
    if math.isnan(gap):
        return lines
    if mistake is None:
        verdict = ("They coincide: the formulas are the true gradient, up to float32 rounding." if gap < 1e-5 else
                   f"They differ by up to {gap:.2g}: more than float32 rounding.")
        return f"{lines} {verdict}"
    planted = (f"The hand-written twin trains with the mistake planted above (in exercise 1's step-by-step "
               f"backward pass): {backprop.MISTAKES[mistake][0].lower() + backprop.MISTAKES[mistake][1:]}.")
    if gap < VISIBLE_GAP:
        return (f"{lines} {planted} So far the curves stay within {gap:.1e} of each other: this wrong gradient "
                "is too close to the true one to show in the loss, although the check above is red.")
    return (f"{lines} {planted} The curves have come apart by up to {gap:.2f}: a wrong gradient still points "
            "roughly downhill, so the network learns, but not the way the true gradient would take it.")


def draw_twins(current: TwinsRun, preset: Preset, prefix: str) -> None:
    """Status, the two loss curves and, when measured, both twins' losses on the whole splits."""
    twins = current.twins
    spent = twins.manual.seconds + twins.autograd.seconds
    rate, load = shown_rate(current, current.step / spent if spent else None)
    gap = backprop_twins.largest_gap(twins)
    st.markdown(f"**Step {current.step:,} of {twins.manual.config.steps:,}** · {rate} for the pair · "
                f"*{current.status}*{load}")
    chart_col, numbers_col = side_by_side([3, 2])
    with chart_col:
        show_chart(twin_loss_chart(backprop_twins.loss_frame(twins), chart_height(320)), prefix, "twin loss",
                   title="Training loss: hand-written backward pass and autograd")
        st.caption(twins_caption(gap, current.identity["mistake"]))
    with numbers_col:
        if not math.isnan(gap):
            st.metric("Largest gap between the two curves", f"{gap:.1e}",
                      help="The largest |difference| between the twins' recorded losses so far. With the "
                           "lecture's formulas it stays at float32 rounding however long they train.")
        if twins.results_step == twins.step and not twins.results.empty:
            results = twins.results.map(lambda v: f"{v:.4f}")
            if twins.manual.config.steps == preset.train.steps:
                results[f"lecture, step {preset.train.steps:,}"] = [f"{preset.lecture.train:.4f}",
                                                                     f"{preset.lecture.dev:.4f}"]
            st.dataframe(results)
            st.caption(f"Loss on the whole splits at step {current.step:,}, measured when you pause, step or "
                       "finish. The lecture's figures come from its names.txt.")
