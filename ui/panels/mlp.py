"""The MLP page's sections (lecture 2): the learning-rate finder and the live training charts."""
from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import streamlit as st

from makemore.charts.mlp import embedding_chart, lr_finder_chart, overfit_chart
from makemore.charts.training import loss_chart
from makemore.lessons import mlp as mlp_lesson
from makemore.lessons.mlp import embedding_frame
from makemore.models import MLPConfig, config_to_dict
from makemore.presets import PRESETS, Preset
from makemore.training import TrainConfig
from ui import runs
from ui.cached import lr_sweep
from ui.export import show_chart
from ui.lesson import dev_points, lazy_expander
from ui.live import EVAL_EVERY, EVAL_EXAMPLES, LiveRun, status_line
from ui.panels import inside_model
from ui.presentation import button_row, chart_height, side_by_side
from ui.sidebar import SharedSettings

SWEEP = "mlp_lr_sweep"  # session key: (the configuration it was run for, its curve)
SPLITS = ("train", "dev", "test")
WEIGHTS_STATS_EVERY = 50  # steps between the pictures the weights view draws, while it is open


def lr_finder_section(settings: SharedSettings, config: MLPConfig, batch_size: int, lrs: tuple[float, ...],
                      prefix: str) -> None:
    """The finder's button, its curve for the network above and a button that takes its suggestion."""
    sweep_key = (settings.data_key, config_to_dict(config), batch_size, settings.seed, settings.device)
    finder_row = button_row()  # "Use lr = ..." joins it once there is a suggestion
    if finder_row.button("Run the finder", key=f"{prefix}_find_lr", icon=":material/search:", type="primary",
                         help=f"{mlp_lesson.SWEEP_STEPS:,} steps on a fresh copy of the network above; your "
                              "training run is not touched."):
        with st.spinner(f"Sweeping the learning rate over {mlp_lesson.SWEEP_STEPS:,} steps…"):
            st.session_state[SWEEP] = (sweep_key, lr_sweep(settings.data_key, config, batch_size, settings.seed,
                                                           settings.device, settings.data))
    stored = st.session_state.get(SWEEP)
    if stored is None:
        st.caption("Press *Run the finder* to draw the curve for the network above.")
        return
    if stored[0] != sweep_key:
        st.caption("The network changed since the last sweep: run the finder again.")
        return
    curve = stored[1]
    suggestion = mlp_lesson.suggest(curve)
    if suggestion is not None:
        pick = min(lrs, key=lambda v: abs(math.log10(v) - math.log10(suggestion.lr)))
        finder_row.button(f"Use lr = {pick:g}", key=f"{prefix}_use_lr", icon=":material/check:",
                          on_click=lambda: st.session_state.update({f"{prefix}_lr": pick}),
                          help="Set the learning rate control to the suggestion (rounded to its nearest choice).")
    show_chart(lr_finder_chart(curve, suggestion, chart_height()), prefix, "lr finder",
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


def is_lecture_setup(config: MLPConfig, train: TrainConfig, lecture: Preset) -> bool:
    """The lecture's exact network and schedule: then its figures can stand beside ours."""
    schedule = (train.steps, train.batch_size, train.lr, train.lr_decay_at)
    return config_to_dict(config) == config_to_dict(lecture.model) and schedule == (
        lecture.train.steps, lecture.train.batch_size, lecture.train.lr, lecture.train.lr_decay_at)


def results_table(current: LiveRun, lecture: Preset | None) -> pd.DataFrame:
    """Final train / dev / test loss of the run as last evaluated, and the lecture's beside it (when given)."""
    record = runs.registry().get(current.run_id)
    evaluated = record is not None and record.steps == current.trainer.step and record.losses
    ours = [record.losses.get(f"{split}_loss") if evaluated else None for split in SPLITS]
    table = {f"this run, step {current.trainer.step:,}": ours}
    if lecture is not None:
        table[f"lecture, step {lecture.train.steps:,}"] = [lecture.lecture.train, lecture.lecture.dev, None]
    return pd.DataFrame({column: [f"{v:.4f}" if v is not None else "–" for v in values]
                         for column, values in table.items()}, index=SPLITS)


def lecture_note(lecture: Preset | None) -> str:
    """What the lecture's column is, or how to see it."""
    preset = lecture or PRESETS["mlp"]
    if lecture is not None:
        return (f"The lecture's column is its printout for this setup on names.txt with seed {preset.seed}; ours "
                f"comes close at step {preset.train.steps:,}, not to the digit: the lecture's notebook had shuffled "
                "its words more than once before splitting them, so its train and dev words differ from ours.")
    m, t = preset.model, preset.train
    return (f"Set the controls to the lecture's setup (emb {m.n_embd}, block {m.block_size}, hidden {m.n_hidden}, "
            f"batch {t.batch_size}, {t.steps:,} steps, lr {t.lr:g}) to see its figures beside ours.")


def draw_training(current: LiveRun, lecture: Preset | None, prefix: str) -> None:
    """Status, loss curve, embedding plot and the table of final losses (with the lecture's, when given)."""
    trainer = current.trainer
    status_line(current)
    left, right = side_by_side([3, 2])
    with left:
        decay_at = trainer.config.lr_decay_at
        changes = list(trainer.lr_changes)
        if decay_at is not None and trainer.step >= decay_at:
            changes.append((decay_at, trainer.lr_at(decay_at)))
        marks = pd.DataFrame(changes, columns=["step", "lr"])
        show_chart(loss_chart(runs.loss_curve(trainer), dev_points(trainer), math.log(trainer.data.vocab.size),
                              marks, height=chart_height(340)),
                   prefix, "loss", title="Loss: train per step and dev")
        st.caption(f"Faint: each minibatch's loss (noisy: {trainer.config.batch_size} examples); bold: smoothed; "
                   f"orange dots: the dev loss ({EVAL_EXAMPLES:,} dev examples) every {EVAL_EVERY:,} steps. The lr "
                   "drop at half way (purple) buys a last bit of loss. While train and dev stay together the net is "
                   "not overfitting: it could be bigger.")
        st.dataframe(results_table(current, lecture))
        st.caption("Measured on each whole split when you pause, step or finish. " + lecture_note(lecture))
    with right:
        n_embd = trainer.model.config.n_embd
        frame, axis = embedding_frame(trainer.model.C, trainer.data.vocab.itos)
        key = f"{prefix}_embedding_extent"
        extent = mlp_lesson.grown_extent(frame, inside_model.kept_for_run(key, current))
        inside_model.keep_for_run(key, current, extent)
        show_chart(embedding_chart(frame, axis, chart_height(480), extent=extent),
                   prefix, "embedding", title="Character embeddings C")
        shown = "C itself" if axis == "embedding dimension" else \
            f"the two directions along which the {n_embd}-number vectors spread most (PCA)"
        st.caption(f"Each dot is a character's vector in C; the axes are {shown}. Random at first; as the net "
                   "trains, characters that behave alike move together: the vowels cluster, the boundary token "
                   "stands apart. The axes only widen while it trains, so the dots move on still axes. Set the "
                   "embedding size to 2 to see the lecture's own plot.")
    inside_model.weights_section(current, prefix, on_change=lambda: apply_cadence(current, prefix))
    inside_model.neuron_section(current, prefix)


def statistics_every(prefix: str) -> int:
    """The page's statistics cadence: none (its charts need none) unless the weights view is open."""
    return WEIGHTS_STATS_EVERY if inside_model.is_open(inside_model.weights_key(prefix)) else 0


def apply_cadence(current: LiveRun, prefix: str) -> None:
    """Opening or closing the weights view reruns only the live area: the run's cadence follows it at once."""
    current.trainer.config = replace(current.trainer.config, stats_every=statistics_every(prefix))


# ------------------------------------------------------------------------------ overfit one batch
OVERFIT = "mlp_overfit_result"  # session key: (the setup it was run for, its result)


def overfit_section(settings: SharedSettings, config: MLPConfig, prefix: str) -> None:
    """The lecture's first check, in an expander that costs nothing closed: the network above trained on the
    first words' examples alone until it has learned all it can of them."""
    lazy_expander("Overfit one batch: can this network learn at all?", f"{prefix}_overfit",
                  lambda: _overfit(settings, config, prefix), icon=":material/fact_check:")


def _overfit(settings: SharedSettings, config: MLPConfig, prefix: str) -> None:
    words = mlp_lesson.OVERFIT_WORDS
    setup = (settings.data_key, config_to_dict(config), settings.seed)
    st.write(f"Before training on everything, the lecture trains its fresh network on the examples of the first "
             f"{words} words only, {mlp_lesson.OVERFIT_STEPS:,} full-batch steps at lr {mlp_lesson.OVERFIT_LR:g}: "
             "with far more parameters than examples it should nearly memorize them. If it cannot, something is "
             "broken.")
    if st.button("Train on one batch", key=f"{prefix}_overfit_run", icon=":material/play_arrow:", type="primary",
                 help="A fresh copy of the network set above; the training run below is not touched."):
        with st.spinner("Training on one batch…"):
            st.session_state[OVERFIT] = (setup, mlp_lesson.overfit_one_batch(config, settings.data, settings.seed,
                                                                             device=settings.device))
    stored = st.session_state.get(OVERFIT)
    if stored is None or stored[0] != setup:
        st.caption("Press the button to train it (it takes a second or two).")
        return
    result = stored[1]
    left, right = side_by_side([3, 2])
    with left:
        show_chart(overfit_chart(result.losses, result.floor, chart_height()), prefix, "overfit one batch",
                   title=f"Loss on the {len(result.examples)} examples, trained on them alone")
        st.caption(f"{result.params:,} parameters, {len(result.examples)} examples: from "
                   f"{result.losses['loss'].iloc[0]:.2f} "
                   f"to {result.final_loss:.4f} after {len(result.losses):,} steps, {result.correct} of "
                   f"{len(result.examples)} predicted right. Not 0: the dashed line, {result.floor:.4f}, is the "
                   "lowest any model can reach here, because some contexts (every word's start among them) "
                   "are followed by different characters, and one prediction cannot give each of them "
                   "probability 1.")
    with right:
        st.dataframe(result.examples, hide_index=True,
                     column_config={"p(target)": st.column_config.NumberColumn(format="%.3f")})
