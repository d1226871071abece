"""The Bigram page's sections (lecture 1): the counting models, the neural bigram's live charts, the samples."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st
import torch

from makemore.charts.bigram import MATRIX_TOKENS, pair_heatmap, smoothing_chart
from makemore.charts.training import loss_chart
from makemore.data import WordData, build_windows, read_words
from makemore.lessons import bigram
from makemore.models import ConfigError
from makemore.presets import LECTURE_SEED
from makemore.sampling import sample_names
from ui import runs
from ui.cached import count_table, smoothing_sweep
from ui.export import show_chart
from ui.lesson import dev_points, lazy_tabs
from ui.live import LiveRun, status_line
from ui.presentation import chart_height, side_by_side
from ui.sidebar import EXAMPLE_LISTS, SharedSettings
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


# ------------------------------------------------------------------------------ more from lecture 1
def lesson_sections(settings: SharedSettings, everywhere: dict, smoothing: float, run: LiveRun, prefix: str) -> None:
    """Broadcasting, one word's likelihood, and exercises 4-6, as tabs of one expander (nothing runs closed)."""
    if "bigram" not in everywhere:
        return
    counted = everywhere["bigram"]
    lazy_tabs("More from lecture 1: broadcasting, one word's likelihood, exercises 4-6", f"{prefix}_lessons", {
        "Broadcasting": lambda: broadcasting_section(counted, smoothing, settings.data.vocab),
        "From likelihood to NLL": lambda: likelihood_section(counted, smoothing, settings.data, prefix),
        "E04: one-hot or indexing": lambda: onehot_section(run),
        "E05: F.cross_entropy": lambda: cross_entropy_section(run, prefix),
        "E06: make more of anything": lambda: any_list_section(settings)}, icon=":material/school:")


def broadcasting_section(counted: bigram.NGramCounts, smoothing: float, vocab) -> None:
    """`P / P.sum(1, keepdim=True)` against `P / P.sum(1)`: the row sums, the NLL and the samples of each."""
    right, wrong = bigram.normalized_both_ways(counted.N, smoothing)
    tokens = bigram.frequent_tokens(counted.N, MATRIX_TOKENS)
    st.markdown(f"`P = (N + {smoothing:g}).float()`, then divided by its row sums, two ways:")
    st.code("P / P.sum(1, keepdim=True)  # (V, V) / (V, 1): row i divided by row i's sum\n"
            "P / P.sum(1)                # (V, V) / (V,) = (1, V): column j divided by row j's sum", language="python")
    left, right_col = side_by_side([3, 2])
    with left:
        st.dataframe(bigram.row_sums_frame(right, wrong, vocab.itos, tokens), hide_index=True, column_config={
            c: st.column_config.NumberColumn(format="%.4f") for c in
            ("keepdim=True: row sum", "without keepdim: row sum", "without keepdim: column sum")})
    with right_col:
        tables = {"keepdim=True": bigram.ProbabilityTable(right), "without keepdim": bigram.ProbabilityTable(wrong)}
        for label, table in tables.items():
            st.markdown(f"**Samples, {label}**")
            st.code("\n".join(s.name + vocab.boundary for s in sample_names(table, vocab, 5, LECTURE_SEED)),
                    language=None)
    st.caption("Without keepdim, sum(1) gives a (V,) vector; broadcasting lines it up with the last dimension, so "
               "it is stretched down the columns: every column, not every row, is divided by one row's sum. The "
               "rows no longer sum to 1 (the columns do), and sampling, which reads a row at a time, draws "
               "garbage. Both samplers use the lecture's seed.")


def likelihood_section(counted: bigram.NGramCounts, smoothing: float, data, prefix: str) -> None:
    """One word's bigrams: each probability and log, their sum, its negative and mean; then all words'."""
    word = persistent_widget(st.text_input, f"{prefix}_word", data.words[0], label="A word", max_chars=40,
                             help="Any word made of the list's characters; its bigrams are scored by the counting "
                                  "model above (all words, this smoothing).")
    unknown = bigram.unknown_characters(word, data.vocab)
    if not word or unknown:
        st.error("Type a word made of the list's characters. Not among them:" if unknown else "Type a word.",
                 icon=":material/error:")
        if unknown:
            st.code(" ".join(unknown), language=None)
        return
    scored = bigram.word_likelihood(counted, word, data.vocab)
    left, right = side_by_side([2, 3])
    with left:
        st.dataframe(scored.pairs, hide_index=True, column_config={
            "P": st.column_config.NumberColumn(format="%.4f"), "log P": st.column_config.NumberColumn(format="%.4f")})
    with right:
        a, b, c = st.columns(3)
        a.metric("log likelihood", f"{scored.log_likelihood:.4f}", help="The sum of the log P column: the log of "
                 "the product of the probabilities, the word's likelihood under the model.")
        b.metric("negative log likelihood", f"{scored.nll:.4f}", help="Minus that: 0 is perfect, larger is worse.")
        c.metric(f"mean over {scored.n} bigrams", f"{scored.mean_nll:.4f}",
                 help="The loss: the NLL divided by the number of bigrams.")
        X, Y = build_windows(data.words, data.vocab, 1)
        st.metric("The model's NLL: the same mean over every bigram of every word", f"{counted.mean_nll(X, Y):.4f}")
        st.caption(f"Maximizing the likelihood, a product of probabilities each at most 1, is minimizing the mean "
                   f"negative log likelihood: the log turns the product into a sum and keeps it readable. A pair "
                   f"never counted has P = 0 with smoothing 0 (now {smoothing:g}): log 0 = -∞, and one such pair "
                   "makes the whole word infinitely unlikely.")


def onehot_section(run: LiveRun) -> None:
    """Exercise 4: one-hot(xs) @ W and W[xs] on every training bigram of the neural bigram above."""
    model, data = run.trainer.model, run.trainer.data
    xs = data.windows("train", 1)[0][:, 0]
    race = bigram.onehot_vs_index(model.W, xs)
    st.code(f"F.one_hot(xs, num_classes={model.W.shape[0]}).float() @ W   # ({len(xs):,}, {model.W.shape[0]}) @ "
            f"({model.W.shape[0]}, {model.W.shape[1]})\nW[xs]                                    # row xs[i] of W",
            language="python")
    a, b, c = st.columns(3)
    a.metric("largest difference in the logits", f"{race.maxdiff:g}")
    b.metric("one-hot @ W", f"{race.first_seconds * 1e3:.2f} ms")
    c.metric("W[xs]", f"{race.second_seconds * 1e3:.2f} ms")
    st.caption(f"The neural bigram's W at step {run.trainer.step:,}, on all {len(xs):,} training bigrams (the best of "
               f"{bigram.TIMINGS} timings each). Multiplying by a one-hot row picks one row of W, so the two are the "
               f"same logits; the lookup skips building the one-hot matrix and the products with its zeros: "
               f"{race.first_seconds / race.second_seconds:.0f}x faster here. That is what an embedding table "
               "(part 2's C) does.")


def cross_entropy_section(run: LiveRun, prefix: str) -> None:
    """Exercise 5: F.cross_entropy against the hand-made softmax, log and mean, at a chosen scale of the logits."""
    model, data = run.trainer.model, run.trainer.data
    X, Y = data.windows("train", 1)
    scale = persistent_widget(st.select_slider, f"{prefix}_logit_scale", 1, label="Multiply the logits by",
                              options=[1, 10, 100, 1000],
                              help="Large logits are what a confident network produces. exp() of a float32 "
                                   "above about 88 is infinite.")
    with torch.no_grad():
        logits = model.logits(X)
    race = bigram.cross_entropy_vs_by_hand(logits, Y, scale)
    st.code("counts = logits.exp(); probs = counts / counts.sum(1, keepdims=True)\n"
            "loss = -probs[torch.arange(n), ys].log().mean()   # by hand\n"
            "loss = F.cross_entropy(logits, ys)                  # fused", language="python")
    a, b, c = st.columns(3)
    a.metric("by hand", f"{race.first.item():.4f}", help=f"{race.first_seconds * 1e3:.2f} ms")
    b.metric("F.cross_entropy", f"{race.second.item():.4f}", help=f"{race.second_seconds * 1e3:.2f} ms")
    c.metric("largest logit", f"{logits.abs().max().item() * scale:,.1f}")
    finite = math.isfinite(race.first.item())
    st.caption(f"The neural bigram's logits at step {run.trainer.step:,} times {scale:,}, on all {len(Y):,} training "
               f"bigrams. By hand: {race.first_seconds * 1e3:.2f} ms; F.cross_entropy: "
               f"{race.second_seconds * 1e3:.2f} ms (the best of {bigram.TIMINGS} timings). "
               + ("Both agree to float32 rounding. Multiply the logits by more and watch the hand-made one break."
                  if finite else
                  "exp() overflowed to infinity in the hand-made one, and inf / inf is nan. F.cross_entropy "
                  "subtracts each row's largest logit first (the softmax does not change), so nothing overflows."))


def any_list_section(settings: SharedSettings) -> None:
    """Exercise 6, the open one: make more of anything. The shipped lists and the sidebar's, with the numbers to
    beat."""
    lists = {label: (str(path), None) for label, path in EXAMPLE_LISTS.items()}
    lists.setdefault(settings.data_label, (settings.data_key, settings.data))
    table = pd.DataFrame([list_summary(label, key, data) for label, (key, data) in lists.items()])
    st.markdown("The lecture ends with an open exercise: *make more* of anything that comes as a list. Every page "
                "here takes the list chosen in the sidebar, and **Upload your own list…** takes yours (one item "
                "per line, any characters).")
    st.dataframe(table, hide_index=True, column_config={
        "words": st.column_config.NumberColumn(format="localized"),
        **{c: st.column_config.NumberColumn(format="%.4f") for c in ("uniform guess", "bigram dev NLL")}})
    shipped = table[table["list"].isin(list(EXAMPLE_LISTS))]  # (an upload's name is data: it stays in the table)
    widest = shipped.loc[shipped["characters"].idxmax()]
    st.caption("Where to start: pick the surnames, train the bigram and the MLP on them, and try to beat the "
               "bigram's dev NLL, the number to beat on every list. Then a list with more characters (here: "
               f"{widest['characters']} in {widest['list']}, spaces and accents among them) or one of your own: "
               "place names, chemical compounds, words of another language.")


@st.cache_data(show_spinner=False, max_entries=16)
def list_summary(label: str, key: str, _data: WordData | None) -> dict:
    """A word list's size, characters, and the counting bigram's dev NLL (smoothing 1): `key` is a shipped
    list's path (then `_data` is None) or an upload's content key."""
    data = _data or WordData.from_words(read_words(key), split="lecture", name=key)
    model = bigram.counting_model(bigram.count_table(data.splits["train"], data.vocab, 1), 1, 1.0)
    return {"list": label, "words": len(data.words), "characters": data.vocab.size,
            "uniform guess": math.log(data.vocab.size), "bigram dev NLL": bigram.split_nlls(model, data).get("dev")}
