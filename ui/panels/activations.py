"""The diagnostics page's lesson sections beside the live run (lecture 3): the softmax at init, BatchNorm at
inference and BatchNorm's coupling of the examples of a batch."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from makemore.charts.activations import calibration_chart, jitter_chart, softmax_chart
from makemore.lessons import activations
from makemore.lessons.data import visible
from ui.export import show_chart
from ui.lesson import lazy_tabs
from ui.live import LiveRun
from ui.panels.deep_net_controls import OUTPUT_FIXED, QUICK_SETUPS, RAW, setup_controls
from ui.presentation import chart_height, side_by_side
from ui.sidebar import SharedSettings

JITTER_EXAMPLES = 100  # dev examples the jitter section offers


def lesson_sections(run: LiveRun, settings: SharedSettings, prefix: str) -> None:
    """The three sections, as tabs of one expander that costs nothing while it is closed."""
    lazy_tabs("More from lecture 3: the softmax at init, BatchNorm at inference, BatchNorm's noise",
              f"{prefix}_lessons", {
                  "The softmax at init": lambda: softmax_section(settings, prefix),
                  "BatchNorm at inference": lambda: inference_section(run, settings, prefix),
                  "BatchNorm couples a batch": lambda: jitter_section(run, settings, prefix)},
              icon=":material/school:")


def softmax_section(settings: SharedSettings, prefix: str) -> None:
    """One example of the first minibatch: its probabilities under the raw init and once the output is fixed."""
    data = settings.data
    batches = {name: activations.first_batch(setup_controls(name).model_config(), data, settings.seed)
               for name in (RAW, OUTPUT_FIXED)}
    raw = batches[RAW]
    size = len(raw.targets)
    wrong = (raw.probs.argmax(1) != raw.targets).nonzero()[:, 0].tolist()
    example = st.slider("Example of the first batch", 1, size, wrong[0] + 1 if wrong else 1,
                        key=f"{prefix}_softmax_example",
                        help="Which of the examples Step 1 trains on first (the sidebar's seed draws them). It "
                             "starts at the first one the raw init gets wrong.") - 1
    itos, V = data.vocab.itos, data.vocab.size
    context = "".join(visible(itos[i]) for i in batches[RAW].contexts[example].tolist())
    target = visible(itos[int(batches[RAW].targets[example])])
    st.markdown("Context, and the character that follows it:")
    st.code(f"{context} → {target}", language=None)
    show_chart(softmax_chart(activations.softmax_frame(batches, example, itos), 1 / V, chart_height(220)),
               prefix, "softmax at init", title="The softmax of one example before any training step")
    summary = activations.example_summary(batches, example)
    st.dataframe(summary, column_config={c: st.column_config.NumberColumn(format="%.4f") for c in summary.columns})
    first, fixed = summary.loc[RAW], summary.loc[OUTPUT_FIXED]
    sure = "confidently wrong" if example in wrong else "confident, and right this time"
    fix = QUICK_SETUPS[OUTPUT_FIXED]
    st.caption(f"Raw init: the top guess gets {first['top probability']:.0%} and the right character "
               f"{_percent(first['p(target)'])}: {sure} (it is wrong on {len(wrong)} of the {size} examples). The "
               f"batch's loss, {first['batch loss']:.2f}, is what Step 1 shows as the first loss. Output fixed (W2 × "
               f"{fix['output_scale']:g}, b2 × {fix['b2_scale']:g}): every probability is near 1/{V} = {1 / V:.3f} "
               f"and the batch's loss {fixed['batch loss']:.4f} is near ln {V} = {math.log(V):.4f}: an honest "
               "'I don't know yet'.")


def _percent(p: float) -> str:
    return f"{p:.1%}" if p >= 0.001 else f"{p * 100:.0e} %"


def inference_section(run: LiveRun, settings: SharedSettings, prefix: str) -> None:
    """The running statistics against the lecture's calibration pass, and the dev loss each way."""
    model, step = run.trainer.model, run.trainer.step
    if not activations.has_batchnorm(model):
        st.info("This network has no BatchNorm: press *BatchNorm* (or *Lecture: deep net with BatchNorm*) above.",
                icon=":material/info:")
        return
    key = f"{prefix}_bn_inference"
    if st.button(f"Measure at step {step:,}", key=f"{prefix}_bn_measure", icon=":material/straighten:",
                 help="Calibrate a copy of the network on the whole training split and score the dev split three "
                      "ways (the run itself is not touched)."):
        with st.spinner("Calibrating on the training split…"):
            st.session_state[key] = (run.run_id, step, activations.batchnorm_inference(model, settings.data,
                                                                                       settings.seed))
    stored = st.session_state.get(key)
    if stored is None or stored[0] != run.run_id:
        st.caption("Train a while, then press *Measure*: at step 0 the running statistics are still their "
                   "initial zeros and ones.")
        return
    _, measured_at, result = stored
    bn = model.layers[activations.batchnorm_layers(model)[0]]
    left, right = side_by_side([2, 3])
    with left:
        losses = pd.DataFrame({"dev loss": result.losses})
        st.dataframe(losses, column_config={"dev loss": st.column_config.NumberColumn(format="%.4f")})
        st.caption(f"Measured at step {measured_at:,}. Training normalizes each batch by its own statistics; at "
                   "inference one example has no batch, so the lecture uses fixed ones: a running average kept "
                   f"while training ({1 - bn.momentum:g} × old + {bn.momentum:g} × batch, a memory of about the "
                   f"last {1 / bn.momentum:,.0f} steps), or a calibration pass over the training split after it.")
    with right:
        show_chart(calibration_chart(result.stats, chart_height(260)), prefix, "batchnorm calibration",
                   title="First BatchNorm: running statistics against the calibrated ones")
        st.caption(f"One dot per neuron and statistic (mean, {result.spread_name}); on the dashed diagonal the "
                   f"running estimate is exact. The largest gap in a mean: {result.largest_gap:.3f}.")


def jitter_section(run: LiveRun, settings: SharedSettings, prefix: str) -> None:
    """One dev example normalized with many random batches: its loss moves with its batch mates."""
    model = run.trainer.model
    if not activations.has_batchnorm(model):
        st.info("This network has no BatchNorm: press *BatchNorm* (or *Lecture: deep net with BatchNorm*) above.",
                icon=":material/info:")
        return
    n_dev = model.examples(settings.data, "dev")[0].shape[0]
    example = st.slider("Dev example", 1, min(JITTER_EXAMPLES, n_dev), 1, key=f"{prefix}_jitter_example",
                        help="Which example of the dev split to hold fixed while its batch mates change.") - 1
    frame = activations.batch_jitter(model, settings.data, example, settings.seed)
    eval_loss = frame.attrs["eval_loss"]
    show_chart(jitter_chart(frame, eval_loss, chart_height(220)), prefix, "batchnorm jitter",
               title=f"One example's loss over {len(frame)} batches of random batch mates")
    loss = frame["loss"]
    st.caption(f"At step {run.trainer.step:,}: in train mode this example's loss is {loss.mean():.3f} ± "
               f"{loss.std():.3f} ({loss.min():.3f} to {loss.max():.3f}) over {len(frame)} batches, because "
               f"BatchNorm normalizes it with its batch's mean and spread; in eval mode it is always "
               f"{eval_loss:.3f}. This noise is a little data augmentation: it is why BatchNorm also regularizes.")
