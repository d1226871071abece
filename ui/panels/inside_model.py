"""Views inside a live network, redrawn with the other live charts.

The Models page's run: its loss, and tabs of module activations, gradients, parameters and, for the
Transformer and the recurrent nets, what they compute while reading one name (`draw`).
Parts 2 and 3 (the MLP and diagnostics pages): each weight matrix beside its step's update
(`weights_section`), and what drives one hidden neuron (`neuron_section`). Each of these sits in an
expander that builds nothing while it is closed (ui.lesson.lazy_expander).
"""
from __future__ import annotations

import math
import time
import zlib

import pandas as pd
import streamlit as st

from makemore.charts.models import attention_chart, hidden_state_chart
from makemore.charts.neurons import neuron_contexts_chart, neuron_histogram_chart
from makemore.charts.training import NEURON_PICK, density_chart, loss_chart, update_ratio_chart
from makemore.charts.weights import weight_heatmaps
from makemore.data import MAX_WORD_CHARS, DataError
from makemore.lessons import models as inspect
from makemore.lessons import neurons
from makemore.models import layers_of
from makemore.stats import diagnostics as dg
from makemore.stats import weights
from ui import runs
from ui.export import show_chart
from ui.lesson import dev_points, lazy_expander
from ui.live import EVAL_EVERY, EVAL_EXAMPLES, LiveRun, status_line
from ui.presentation import chart_height, side_by_side
from ui.state import persistent_widget
from ui.text import code, md

NEURON_REFRESH_SECONDS = 2.0  # while a run trains, its neurons' contexts are read again at most this often
# (one pass over the word list's contexts costs a fifth to half of a diagnostics redraw)
CONTEXT_BAR_PIXELS = 24


def is_open(key: str) -> bool:
    """Whether the expander under `key` was open at the last run (before it is drawn in this one)."""
    return bool(st.session_state.get(key))


def kept_for_run(key: str, run: LiveRun):
    """What the page keeps under `key` for this run; None for another run (a Reset or a new network)."""
    kept = st.session_state.get(key)
    return kept[1] if kept is not None and kept[0] == run.run_id else None


def keep_for_run(key: str, run: LiveRun, value):
    st.session_state[key] = (run.run_id, value)
    return value


# ------------------------------------------------------------------------------ the Models page
def default_modules(names: list[str]) -> list[str]:
    """What to plot first: the nonlinearity outputs (the lecture's tanh histograms) and the recurrence."""
    return [n for n in names if n.endswith("act") or n == "rnn"] or names[-1:]


def loss_section(current: LiveRun, prefix: str) -> None:
    trainer = current.trainer
    lr_changes = pd.DataFrame(trainer.lr_changes, columns=["step", "lr"])
    show_chart(loss_chart(runs.loss_curve(trainer), dev_points(trainer), math.log(trainer.model.config.vocab_size),
                          lr_changes, height=chart_height()),
               prefix, "loss", title="Loss per character: train per step and dev")
    st.caption(f"Each step's loss is the mean over every character of {trainer.config.batch_size} names; orange "
               f"dots are the dev loss ({EVAL_EXAMPLES:,} dev examples) every {EVAL_EVERY:,} steps; red dashes are a "
               "uniform guess.")


def module_histograms(current: LiveRun, prefix: str, which: str, key: str, x_title: str, chart_name: str,
                      help_text: str) -> None:
    """A multiselect of the model's modules and the histograms of their outputs ("out") or gradients ("grad")."""
    model, snap = current.trainer.model, current.trainer.snapshot
    names = model.layer_names
    chosen = st.multiselect("Modules", names, default=default_modules(names), key=f"{prefix}_{key}_{len(names)}",
                            help=help_text)
    show_chart(density_chart(inspect.module_histograms(snap, model, chosen, which), x_title, chart_height()),
               prefix, chart_name)


def activations_tab(current: LiveRun, prefix: str) -> None:
    module_histograms(current, prefix, "out", "modules", "module output", "activations",
                      "Which modules' outputs to draw. Every module is hooked: a forward hook keeps its output, "
                      "so the same histograms work for any architecture.")
    st.dataframe(inspect.module_table(current.trainer.snapshot, current.trainer.model), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.3g")
                                for c in ["mean", "std", "grad_mean", "grad_std"]})
    st.caption("One row per module: its output's mean and std over the batch, and the same for d loss / d output. "
               "LayerNorm outputs sit at std 1 by construction; a nonlinearity whose std collapses is dying.")


def gradients_tab(current: LiveRun, prefix: str) -> None:
    module_histograms(current, prefix, "grad", "grad_modules", "d loss / d (module output)", "gradients",
                      "Which modules' output gradients to draw (kept by retain_grad on recorded steps).")
    st.caption("Similar spreads from the last module back to the first mean the gradient neither vanishes nor "
               "explodes on the way: the residual connections and LayerNorm are what keep a deep Transformer so.")


def parameters_tab(current: LiveRun, prefix: str) -> None:
    trainer = current.trainer
    table = inspect.parameter_frame(trainer.snapshot, trainer.model)
    st.dataframe(table[["name", "block", "shape", "grad_std", "data_std", "grad_data_ratio", "update_data_log10"]]
                 .rename(columns={"grad_data_ratio": "grad:data", "update_data_log10": "log10 update:data"}),
                 hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.3g")
                                                 for c in ["grad_std", "data_std", "grad:data", "log10 update:data"]})
    matrix_names = [name for name, p in trainer.model.named_parameters() if p.ndim == 2]
    curve = inspect.update_frame(trainer)
    show_chart(update_ratio_chart(curve[curve["name"].isin(matrix_names)], height=chart_height()), prefix,
               "update-data ratio")
    st.caption("log10 of how much a step changes each weight matrix relative to its size. AdamW normalizes the "
               "step, so the ratios sit closer together than with SGD; about -3 (dashed) is a healthy pace.")


def name_input(current: LiveRun, prefix: str) -> str:
    words = current.trainer.data.words
    return persistent_widget(st.text_input, f"{prefix}_name", words[0], label="A name to read",
                             max_chars=MAX_WORD_CHARS, help="The model reads this name character by character (after the boundary token) "
                                  "and the charts show what it computed at each position.")


def name_tab(current: LiveRun, prefix: str, frame_of, chart_of, chart_name: str, caption: str) -> None:
    """A chart of what the model computes while it reads one name (chosen in a text box)."""
    model, vocab = current.trainer.model, current.trainer.data.vocab
    name = name_input(current, prefix)
    try:
        frame = frame_of(model, vocab, name)
    except DataError as err:
        st.warning(f"Cannot read {code(name)}: {md(err)}", icon=":material/warning:")
        return
    show_chart(chart_of(frame), prefix, chart_name)
    st.caption(caption)


def attention_tab(current: LiveRun, prefix: str) -> None:
    name_tab(current, prefix, inspect.attention_frame, attention_chart, "attention",
             "One square per head and block. Row: the position reading; column: the position it takes "
             "information from; darker is more weight. Each row sums to 1 and nothing is above the diagonal: "
             "a position never sees the future. Early heads often look at the previous character or the start.")


def hidden_state_tab(current: LiveRun, prefix: str) -> None:
    name_tab(current, prefix, inspect.hidden_state_frame, lambda frame: hidden_state_chart(frame, chart_height(320)),
             "hidden states",
             "Column t is the hidden state after reading character t: red +1, blue -1. Units stuck at ±1 are "
             "saturated; units that change colour at a vowel or near the end are tracking something.")


def draw(current: LiveRun, prefix: str) -> None:
    """What the live area redraws on each tick."""
    status_line(current)
    loss_section(current, prefix)
    if current.trainer.snapshot is None:
        st.info("Take a step (or press Train) to see inside the model.", icon=":material/info:")
        return
    family = current.trainer.model.config.family
    extra = {"transformer": ("Attention maps", attention_tab), "rnn": ("Hidden states", hidden_state_tab),
              "gru": ("Hidden states", hidden_state_tab)}.get(family)
    titles = ["Activations", "Gradients", "Parameters"] + ([extra[0]] if extra else [])
    tabs = st.tabs(titles)
    for tab, show in zip(tabs, [activations_tab, gradients_tab, parameters_tab] + ([extra[1]] if extra else [])):
        with tab:
            show(current, prefix)
    st.caption(f"Histograms and tables show the batch of step {current.trainer.snapshot.step:,}.")


# ------------------------------------------------------------------------------ the weights
def weights_key(prefix: str) -> str:
    return f"{prefix}_weights_open"


def weights_section(run: LiveRun, prefix: str, on_change="rerun") -> None:
    lazy_expander("The weights, and each step's update", weights_key(prefix), lambda: weights_view(run, prefix),
                  ":material/grid_on:", on_change)


def weights_view(run: LiveRun, prefix: str) -> None:
    """Heatmaps of the chosen matrices and their updates, each on its scale since this run's first picture."""
    snap = run.trainer.snapshot
    if snap is None:
        st.info("Take a step (or press Train) to see the weights and their updates.", icon=":material/info:")
        return
    scales = keep_for_run(f"{prefix}_weight_scales", run,
                          weights.grown_scales(snap, kept_for_run(f"{prefix}_weight_scales", run)))
    names = {weights.matrix_label(r): r.name for r in weights.matrices(snap)}
    shape = zlib.crc32("|".join(names).encode())  # another network has other matrices: a fresh choice
    chosen = st.multiselect("Matrices", list(names), default=list(names), key=f"{prefix}_weight_matrices_{shape}",
                            help="C is the embedding table (a row per character); each Linear layer's weight "
                                 "has a row per input and a column per output unit.")
    if not chosen:
        st.caption("Choose a matrix to draw.")
        return
    show_chart(weight_heatmaps(weights.weight_frame(snap, scales, [names[c] for c in chosen])), prefix, "weights")
    st.caption(f"Step {snap.step:,}. Left, each matrix: orange positive, blue negative, on a colour scale fixed "
               "at the largest |weight| it has had in this run, so weights that shrink fade. Right, the step's "
               "update −lr × grad on the same scale in decades: a thousandth of the scale (update:data 1e-3, the "
               "healthy pace) is a quarter of full colour, each further quarter ten times more; update panels "
               f"darker than that mean a learning rate too high. Matrices over {weights.MAX_CELLS} rows or "
               "columns are shown in blocks, each block the value of largest size in it.")


# ------------------------------------------------------------------------------ the neurons
def neurons_key(prefix: str) -> str:
    return f"{prefix}_neurons_open"


def clicked_neuron(selection, prefix: str) -> int | None:
    """The neuron a new click on the saturation image picked (None: no click since the last one seen)."""
    picks = selection.selection.get(NEURON_PICK, []) if selection is not None else []
    seen = f"{prefix}_neuron_click"
    if picks == st.session_state.get(seen, []):
        return None
    st.session_state[seen] = picks
    return int(picks[0]["neuron"]) if picks else None


def neuron_section(run: LiveRun, prefix: str, layer_index: int | None = None, clicked: int | None = None) -> None:
    """A neuron of a hidden layer (`layer_index`, else a choice), its contexts, histogram and dead flags."""
    lazy_expander("A neuron: the contexts that drive it", neurons_key(prefix),
                  lambda: neuron_view(run, prefix, layer_index, clicked), ":material/psychology:")


def contexts_of(run: LiveRun, prefix: str, layer_index: int) -> dict:
    """The layer's activations on every context of the word list, and its units worth a look: read once per
    run, layer and step (while the run trains, at most every NEURON_REFRESH_SECONDS)."""
    key, trainer, now = f"{prefix}_neuron_contexts", run.trainer, time.monotonic()
    kept = kept_for_run(key, run)
    if kept is not None and kept["layer"] == layer_index and (
            kept["step"] == trainer.step or (run.running and now - kept["at"] < NEURON_REFRESH_SECONDS)):
        return kept
    ca = neurons.context_activations(trainer.model, trainer.data, layer_index)
    return keep_for_run(key, run, {"layer": layer_index, "step": trainer.step, "at": now, "ca": ca,
                                   "interesting": neurons.interesting_units(ca)})


def worth_a_look(interesting) -> dict[int, str]:
    """The units whose extreme contexts share something, each with what (the first, best, row of each unit)."""
    labels = {}
    for row in interesting.itertuples():
        labels.setdefault(row.unit, f"{row.unit} · {row.feature} ({'high' if row.end == 'highest' else 'low'})")
    return labels


def take_pick(source_key: str, unit_key: str) -> None:
    """A pill picked a unit: it becomes the chosen one, and the pills act again as buttons."""
    if st.session_state.get(source_key) is not None:
        st.session_state[unit_key] = st.session_state[source_key]
        st.session_state[source_key] = None


def neuron_view(run: LiveRun, prefix: str, layer_index: int | None, clicked: int | None) -> None:
    trainer = run.trainer
    layers = dg.nonlinearity_indices(trainer.model)
    if not layers:
        st.info("This network has no hidden nonlinearity.")
        return
    if layer_index is None:
        kinds = {i: type(layers_of(trainer.model)[i]).__name__ for i in layers}
        layer_index = layers[0] if len(layers) == 1 else st.selectbox(
            "Layer", layers, format_func=lambda i: dg.layer_label(i, kinds[i]), key=f"{prefix}_neuron_layer")
    kept = contexts_of(run, prefix, layer_index)
    ca = kept["ca"]
    unit_key, pill_key = f"{prefix}_neuron_{layer_index}_{ca.units}", f"{prefix}_neuron_pill"
    if clicked is not None and 0 <= clicked < ca.units:
        st.session_state[unit_key] = clicked
    notable = worth_a_look(kept["interesting"])
    st.pills("Worth a look", list(notable), format_func=notable.get, key=pill_key,
             on_change=take_pick, args=(pill_key, unit_key),
             help=f"Neurons whose {neurons.TOP_K} highest (or lowest) contexts share something (a vowel at the "
                  "end, a double letter, the word's start, one letter) far more often than contexts do in general.")
    unit = st.selectbox("Neuron", range(ca.units), format_func=lambda u: f"neuron {u}", key=unit_key,
                        help="Any neuron of the layer; or pick one above, or click its column in the saturation "
                             "image.")
    summary = neurons.unit_summary(ca, unit)
    left, right = side_by_side([2, 3])
    with left:
        flags = [f"In its flat tails on {summary['saturated']:.0%} of the training windows; mean "
                 f"{summary['mean']:.2f}, spread (std) {summary['std']:.2f}."]
        snap = trainer.snapshot
        if snap is not None and any(r.index == layer_index and r.dead is not None for r in snap.layers):
            dead = bool(dg.dead_units(snap, layer_index)[unit])
            flags.append(f"On the batch of step {snap.step:,}: " + ("**dead**, flat for every example (a white "
                         "column)." if dead else "alive, off the flat tails for some example."))
        if summary["dead"]:
            st.warning("Dead: flat on every context of the word list. No gradient passes it; it never learns.",
                       icon=":material/warning:")
        st.markdown("  \n".join(flags))
        show_chart(neuron_histogram_chart(neurons.unit_histogram(ca, unit), unit, chart_height(320)), prefix,
                   "neuron histogram")
    with right:
        contexts = neurons.top_contexts(ca, unit)
        # room for every bar's label: Streamlit fits the title and legend into the chart's height too
        show_chart(neuron_contexts_chart(contexts, CONTEXT_BAR_PIXELS * len(contexts) + 170), prefix, "neuron contexts",
                   title=f"The {neurons.TOP_K} contexts that drive neuron {unit} highest, and lowest")
    st.caption(f"Read at step {kept['step']:,} over the {len(ca.grams):,} most frequent distinct contexts of the "
               "training split (evaluation mode: BatchNorm uses its running statistics, so a context's activation "
               "is its own). Each bar is a context and the character that most often follows it; the histogram "
               "weights each context by how often it occurs.")
