"""The Bigram page's sections (lecture 1): the counting models, the neural bigram's live charts, the samples."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st
import torch

from makemore.charts.bigram import MATRIX_TOKENS, pair_heatmap, smoothing_chart
from makemore.charts.training import loss_chart
from makemore.data import WordData, build_windows
from makemore.lessons import bigram
from makemore.models import ConfigError
from makemore.presets import LECTURE_SEED
from makemore.sampling import sample_names
from ui import runs
from ui.cached import count_table, smoothing_sweep
from ui.export import show_chart
from ui.lesson import dev_points
from ui.live import LiveRun, status_line
from ui.presentation import chart_height, side_by_side
from ui.sidebar import SharedSettings
from ui.state import persistent_widget


def counting_models(settings: SharedSettings, scope: str, smoothing: float) -> dict[str, bigram.NGramCounts]:
    """The bigram and (when its table fits) trigram counting models of a scope, with this smoothing.

    A table too large to count is skipped, and said so once (for the training scope).
    """
    models = {}
    for block_size, name in bigram.MODEL_NAMES.items():
        try:
            N = count_table(settings.data_key, scope, block_size, settings.data)
        except ConfigError as err:
            if scope == "train":
                st.info(f"No {name} model for this list: {err}", icon=":material/info:")
            continue
        models[name] = bigram.counting_model(N, block_size, smoothing)
    return models


def nll_table(data: WordData, trained: dict, everywhere: dict) -> pd.DataFrame:
    """Mean NLL per model: train / dev / test (fitted on train) and all words (the lecture's setup)."""
    rows = {}
    for name, model in trained.items():
        row = bigram.split_nlls(model, data)
        row["all words"] = everywhere[name].mean_nll(*build_windows(data.words, data.vocab, model.block_size))
        rows[name] = row
    return pd.DataFrame(rows).T


def counting_section(settings: SharedSettings, trained: dict, everywhere: dict, smoothing: float,
                     prefix: str) -> None:
    """The table of mean NLLs beside exercise 3's chart of NLL against smoothing."""
    data = settings.data
    table = nll_table(data, trained, everywhere)
    left, right = side_by_side([2, 3])
    with left:
        st.subheader("Mean negative log likelihood")
        st.dataframe(table, column_config={c: st.column_config.NumberColumn(format="%.4f") for c in table.columns})
        st.caption("Lower is better; a uniform guess scores ln(vocabulary) = "
                   f"{math.log(data.vocab.size):.4f}. train / dev / test: counted on the training words and scored "
                   "on each split. All words: counted and scored on every word, as the lecture did. **Infinity** "
                   "means a pair of that split was never counted: with smoothing 0 its probability is 0.")
        if "bigram" in everywhere:
            bigram_counts = everywhere["bigram"]
            X, Y = build_windows(data.words, data.vocab, 1)
            st.caption(f"Note: the lecture printed its NLL as a float32 running sum, one log-probability at a time, "
                       f"as the table does ({bigram_counts.mean_nll(X, Y):.4f} here: 2.4544 on the lecture's "
                       f"names.txt at smoothing 1). Summed exactly, the same mean is "
                       f"{bigram.exact_mean_nll(bigram_counts, X, Y):.5f} (2.45458 on names.txt).")
    with right:
        st.subheader("Exercise 3: tune the smoothing")
        sweep = smoothing_sweep(settings.data_key,
                                tuple(bs for bs, name in bigram.MODEL_NAMES.items() if name in trained), data)
        show_chart(smoothing_chart(sweep, smoothing, chart_height(300)), prefix, "nll vs smoothing",
                   title="Mean NLL against smoothing (counted on train)")
        best = {name: bigram.best_smoothing(sweep, name) for name in trained if "dev" in data.splits}
        tested = {name: bigram.split_nlls(bigram.counting_model(trained[name].N, trained[name].block_size, s),
                                          data)["test"] for name, s in best.items()}
        summary = "; ".join(f"the {name}'s dev NLL is lowest at smoothing {s:.2g} (its test NLL, measured once: "
                            f"{tested[name]:.4f})" for name, s in best.items())
        st.caption("Solid: dev, dashed: train. Train NLL only rises with smoothing (it blurs what was counted); dev "
                   "NLL falls, then rises: too little smoothing trusts rare pairs, too much ignores the data. "
                   f"On this list {summary}. The trigram (exercise 1) reads two characters and beats the bigram.")


def draw_neural_bigram(current: LiveRun, counted: bigram.NGramCounts, smoothing: float, prefix: str) -> None:
    """Loss, the comparison with the counts, and softmax(W) beside the counted probabilities."""
    trainer = current.trainer
    data, vocab = trainer.data, trainer.data.vocab
    status_line(current)
    model = trainer.model
    learned = torch.softmax(model.W.detach().cpu().double(), 1)
    target = counted.P.double()
    left, right = side_by_side([3, 2])
    with left:
        show_chart(loss_chart(runs.loss_curve(trainer), dev_points(trainer), math.log(vocab.size), log_scale=False,
                              height=chart_height()),
                   prefix, "neural bigram loss", title="Training loss (NLL + regularization)")
        st.caption("Faint: each step; bold: smoothed; dots: dev NLL; red: a uniform guess. The loss falls fast, "
                   "then flattens just above the counting model's NLL.")
    with right:
        comparison = pd.DataFrame({
            f"counts (smoothing {smoothing:g})": bigram.split_nlls(counted, data),
            f"neural, step {trainer.step:,}": {split: model.mean_nll(*model.examples(data, split))
                                               for split in data.split_names}}).T
        st.dataframe(comparison, column_config={c: st.column_config.NumberColumn(format="%.4f")
                                                for c in comparison.columns})
        st.metric("Mean |difference| between the two probability tables", f"{(learned - target).abs().mean():.5f}",
                  help="Averaged over all cells: how far softmax(W) still is from the counted probabilities.")
        st.caption("Both models see one previous character, so the best the net can do is the counted "
                   "table: trained long enough it gets within a few thousandths of it.")
    tokens = bigram.frequent_tokens(counted.N, MATRIX_TOKENS)
    top = float(max(learned.max(), target.max()))
    a, b = side_by_side()
    with a:
        show_chart(pair_heatmap(bigram.matrix_frame(learned, vocab.itos, tokens), "probability", ".3f",
                                labelled=False, value_max=top), prefix, "learned table",
                   title="Learned: exp(W), row-normalized")
    with b:
        show_chart(pair_heatmap(bigram.matrix_frame(target, vocab.itos, tokens), "probability", ".3f",
                                labelled=False, value_max=top), prefix, "counted table",
                   title=f"Counted: (N + {smoothing:g}), row-normalized")
    st.caption("Same colour scale on both. At step 0, W is random noise; as it trains, the left matrix takes "
               "on the pattern of the right one (hover a cell to read it).")


def samples_section(everywhere: dict, smoothing: float, run: LiveRun) -> None:
    """Names drawn from each counting model and, once it trained, the neural bigram, with one seed."""
    vocab = run.trainer.data.vocab
    cols = st.columns([1, 1, 3])
    with cols[0]:
        seed = int(persistent_widget(
            st.number_input, "bigram_sample_seed", LECTURE_SEED, param="sample_seed", label="Sampling seed",
            min_value=0, max_value=2**53 - 1, step=1,
            help="Seeds the generator g that draws every character. The same seed always gives the same names; "
                 f"the lecture used {LECTURE_SEED}."))
    with cols[1]:
        count = int(persistent_widget(st.number_input, "bigram_sample_count", 10, param="count",
                                      label="Names per model", min_value=1, max_value=50, step=1,
                                      help="How many names each model draws."))
    sources = {f"{name} counts (all words, smoothing {smoothing:g})": model for name, model in everywhere.items()}
    if run.trainer.step:
        sources[f"neural bigram (step {run.trainer.step:,})"] = run.trainer.model
    for col, (label, model) in zip(st.columns(3), sources.items()):
        with col:
            st.markdown(f"**{label}**")
            st.code("\n".join(s.name + vocab.boundary for s in sample_names(model, vocab, count, seed)),
                    language=None)
    if not run.trainer.step:
        st.caption("Train the neural bigram above to sample from it too.")
    st.caption("Each character is drawn as in the lecture: p = the model's row for the previous character(s), then "
               "`torch.multinomial(p, num_samples=1, replacement=True, generator=g)`, until the boundary token "
               "comes up. Why not the video's `mor.`, `axx.`, `minaymoryles.`? torch 2.0 changed how "
               "`torch.multinomial` uses the generator, so the lecture's code prints other names today, still the "
               "same ones for a seed.")
