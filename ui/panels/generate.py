"""The Generate page's sections: train a preset on demand, the drawn names, one name drawn step by step."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from makemore.charts.sampling import next_char_chart
from makemore.lessons.data import visible
from makemore.lessons.sampling import names_text, quick_schedule, step_frame, trace_nth
from makemore.presets import PRESETS
from makemore.sampling import Sample
from makemore.training import build_trainer
from ui import runs
from ui.export import show_chart
from ui.presentation import chart_height
from ui.sidebar import SharedSettings
from ui.state import persistent_widget
from ui.text import code, md, plain

QUICK_STEPS = [1_000, 5_000, 10_000, 20_000, 50_000]
TRAIN_CHUNK_SECONDS = 0.25  # progress-bar updates while a preset trains


def train_preset(settings: SharedSettings, name: str, steps: int) -> str:
    """Train a preset on the current word list with a progress bar; keep it in the session's runs."""
    preset = PRESETS[name]
    schedule = quick_schedule(preset, steps)
    trainer = build_trainer(preset.model, schedule, settings.data, preset.seed, settings.device)
    bar = st.progress(0.0, text=f"Training {name}…")
    while not trainer.done:
        trainer.advance_for(TRAIN_CHUNK_SECONDS)
        bar.progress(trainer.step / schedule.steps, text=f"Training {name}: step {trainer.step:,} of "
                                                         f"{schedule.steps:,}")
    with st.spinner("Measuring the losses…"):
        record = runs.record(trainer, runs.new_run_id(), f"{name} preset", "Generate", settings.data_label,
                             preset.seed, preset.sample_seed)
    return record.run_id


def preset_title(name: str) -> str:
    """'mlp (part 2): MLP: emb 10, …' for the preset list."""
    part = PRESETS[name].part
    return f"{name} ({'part ' + part if part.isdigit() else part}): {PRESETS[name].description}"


def preset_trainer(settings: SharedSettings, model_key: str, expanded: bool) -> None:
    """An expander to train any preset on the current list; the trained run becomes the chosen model."""
    with st.expander("Train a preset now", expanded=expanded, icon=":material/model_training:"):
        cols = st.columns([2, 2, 1])
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
        with cols[2]:
            st.write("")
            if st.button("Train", key="gen_train_preset", type="primary", icon=":material/play_arrow:",
                         width="stretch",
                         help="Trains the preset on the current word list, then keeps it with this session's runs."):
                st.session_state[model_key] = train_preset(settings, preset_name, steps)
                st.rerun()


def names_section(samples: list[Sample], seed: int) -> None:
    """The drawn names, how many are new, and a download."""
    count = len(samples)
    st.subheader("Names")
    st.dataframe(pd.DataFrame({"name": [s.name + ("…" if s.truncated else "") for s in samples],
                               "status": ["new" if not s.in_data else "in the data" for s in samples]},
                              index=range(1, count + 1)), height=38 + 35 * min(count, 15))
    st.metric("New names", f"{sum(not s.in_data for s in samples)} of {count}",
              help="Names not among the model's training words.")
    st.download_button("Download names (.txt)", names_text(samples), f"names-seed{seed}.txt", "text/plain",
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
