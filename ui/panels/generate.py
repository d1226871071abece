"""The Generate page's sections: train a preset on demand, the drawn names, one name drawn step by step."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import streamlit as st

from makemore.charts.sampling import next_char_chart
from makemore.lessons.data import visible
from makemore.lessons.sampling import names_text, quick_schedule, step_frame, trace_nth
from makemore.presets import PRESETS
from makemore.sampling import DEFAULT_MAX_LENGTH, Sample
from makemore.training import Trainer, build_trainer
from ui import runs
from ui.export import file_name, show_chart
from ui.presentation import chart_height
from ui.runnable import Buttons, Runnable, control_row, live_area
from ui.sidebar import SharedSettings
from ui.state import persistent_widget
from ui.text import code, md, plain

QUICK_STEPS = [1_000, 5_000, 10_000, 20_000, 50_000]
NAME_CHARS = DEFAULT_MAX_LENGTH + 1  # a drawn name is cut at this length (then ends in …)
LIST_LINES, NAME_LINE_PX = 15, 30  # names shown before the list scrolls, and the height of one
STATE = "gen_preset_run"
BUTTONS = Buttons(train_help="Train the preset on the current word list (pause any time); the trained model joins "
                             "this session's runs and is picked below.",
                  steps=(), reset_help="Start again from a fresh initialization (what trained stays with the runs).")


@dataclass
class PresetRun(Runnable):
    """A preset trained on demand, as a live object: built when Train is pressed, trained in the server's turns
    like any live area, kept with the session's runs (and picked as the page's model) when paused or finished.
    The controls may change while one is shown: Train then builds the controls' setup (`wanted`, `build`)."""
    wanted: dict  # the controls' setup now: preset, steps, word list, device
    build: Callable[[], Trainer]
    model_key: str  # the page's model choice, set to this run when it is kept
    data_label: str
    trainer: Trainer | None = None
    identity: dict | None = None  # the setup that built `trainer`
    run_id: str = ""
    running: bool = False

    @property
    def stale(self) -> bool:
        return self.trainer is not None and self.identity != self.wanted

    @property
    def notice(self) -> str:
        return "The preset or its steps changed since this training started: Train starts anew." if self.stale else ""

    @property
    def step(self) -> int:
        return self.trainer.step if self.trainer is not None else 0

    @property
    def done(self) -> bool:
        return self.trainer is not None and self.trainer.done and not self.stale

    def start(self) -> None:
        if self.trainer is None or self.stale:
            self.trainer, self.identity, self.run_id = self.build(), self.wanted, runs.new_run_id()
        self.running = True

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        return self.trainer.advance_for(seconds, max_steps)  # stopped when done by the control row's next run

    def stop(self) -> None:
        """Keep the run (its losses measured on the whole splits) and make it the page's model."""
        self.running = False
        if self.trainer is not None:
            preset = PRESETS[self.identity["preset"]]
            runs.record(self.trainer, self.run_id, f"{preset.name} preset", "Generate", self.data_label, preset.seed,
                        preset.sample_seed)
            st.session_state[self.model_key] = self.run_id

    def reset(self) -> PresetRun:
        if self.running:
            self.stop()
        return PresetRun(self.wanted, self.build, self.model_key, self.data_label)


def build_preset(settings: SharedSettings, name: str, steps: int) -> Trainer:
    preset = PRESETS[name]
    return build_trainer(preset.model, quick_schedule(preset, steps), settings.data, preset.seed, settings.device)


def preset_title(name: str) -> str:
    """'mlp (part 2): MLP: emb 10, …' for the preset list."""
    part = PRESETS[name].part
    return f"{name} ({'part ' + part if part.isdigit() else part}): {PRESETS[name].description}"


def preset_trainer(settings: SharedSettings, model_key: str, expanded: bool) -> None:
    """An expander to train any preset on the current list; the trained run becomes the chosen model."""
    with st.expander("Train a preset now", expanded=expanded, icon=":material/model_training:"):
        cols = st.columns([2, 2])
        with cols[0]:
            preset_name = persistent_widget(
                st.selectbox, "gen_preset", "mlp", param="preset", label="Preset", options=list(PRESETS),
                format_func=preset_title,
                help="Each lecture's exact model and seed, trained here on the current word list.")
        preset = PRESETS[preset_name]
        own_schedule = quick_schedule(preset, 0) is preset.train
        with cols[1]:
            steps = persistent_widget(
                st.select_slider, "gen_preset_steps", 5_000, param="steps", label="Training steps",
                options=QUICK_STEPS, format_func=lambda v: f"{v:,}", disabled=own_schedule,
                help="The lectures train 200,000 steps; a few thousand already give name-like samples. The lr "
                     "drops 10x at half way. Counting and full-batch presets keep their own schedule.")
        wanted = {"preset": preset_name, "steps": steps, "data": settings.data_key, "device": settings.device}
        build = partial(build_preset, settings, preset_name, steps)
        run: PresetRun = st.session_state.setdefault(STATE, PresetRun(wanted, build, model_key, settings.data_label))
        run.wanted, run.build, run.data_label = wanted, build, settings.data_label
        control_row(STATE, "gen_preset", BUTTONS)
        live_area(STATE, draw_progress)


def draw_progress(run: PresetRun) -> None:
    if run.trainer is None:
        st.caption("Press Train: the preset trains here, a little at every redraw, and can be paused.")
        return
    total = run.trainer.config.steps
    st.progress(min(run.step / total, 1.0) if total else 1.0,
                text=f"{run.identity['preset']}: step {run.step:,} of {total:,} · {run.status}")


def names_markdown(samples: list[Sample]) -> str:
    """A numbered list: each name (cut ones end in …) and whether it is new or one of the training words."""
    return "\n".join(
        f"{i}. {code(s.name + ('…' if s.truncated else ''), NAME_CHARS) if s.name else '*(an empty name)*'} · "
        f"{'*in the data*' if s.in_data else 'new'}" for i, s in enumerate(samples, 1))


def names_section(samples: list[Sample], seed: int, model_label: str) -> None:
    """The drawn names, how many are new, and a download named after the model that drew them."""
    count = len(samples)
    st.subheader("Names")
    # a list that wraps: in a table a name of a hot temperature's 100 characters was cut, and its status with it
    with st.container(height=NAME_LINE_PX * LIST_LINES if count > LIST_LINES else "content"):
        st.markdown(names_markdown(samples))
    st.metric("New names", f"{sum(not s.in_data for s in samples)} of {count}",
              help="Names not among the model's training words.")
    st.download_button("Download names (.txt)", names_text(samples),
                       file_name("names", model_label, f"seed {seed}", suffix=".txt"), "text/plain",
                       key="gen_download", icon=":material/download:", on_click="ignore")
    st.caption("'in the data': the name is one of the training words the model learned from. A good model makes "
               "mostly new names that still look like the data.")


def trace_section(record: runs.RunRecord, samples: list[Sample], seed: int, temperature: float,
                  prefix: str) -> None:
    """Replays the drawing of one name: each step's context, the distribution and the character drawn."""
    st.subheader("One name, step by step")
    count = len(samples)
    index = persistent_widget(st.selectbox, "gen_trace", 0, label="Name to trace", options=list(range(count)),
                              format_func=lambda i: f"{i + 1}. {plain(samples[i].name)}",
                              help="Replays the drawing of this name with the same seed and temperature.")
    index = min(index, count - 1)
    name, steps = trace_nth(record.model, record.vocab, seed, index, temperature)
    itos, boundary = record.vocab.itos, record.vocab.boundary
    if len(steps) > 1:
        st.session_state["gen_step"] = min(st.session_state.get("gen_step", 1), len(steps))
        position = st.slider("Step", 1, len(steps), key="gen_step",
                             help="Each step the model reads its context, gives a probability to every possible "
                                  "next character, and torch.multinomial draws one.")
    else:
        position = 1
    step = steps[position - 1]
    drawn = [visible(itos[s.chosen]) for s in steps]
    st.markdown("Drawn: " + " ".join(f":orange-background[**{md(ch)}**]" if i == position - 1 else code(ch)
                                     for i, ch in enumerate(drawn)))
    p = float(step.probs[step.chosen])
    end = " (the boundary: the name ends here)" if step.chosen == 0 else ""
    context = code("".join(visible(c) for c in step.context))
    st.markdown(f"Context {context} → drew **{md(drawn[position - 1])}**{end} with probability {p:.3f}.")
    show_chart(next_char_chart(step_frame(step, record.vocab), chart_height()), prefix, "next character",
               title=f"Step {position}: P(next character | {step.context!r})")
    st.caption(f"Orange: the character drawn. A confident model puts most of the mass on a few bars; "
               f"{md(repr(boundary))} ends the name. Raise the temperature and the bars even out.")
