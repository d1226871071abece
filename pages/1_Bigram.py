"""Lecture 1: bigram counts with smoothing, a trigram beside them, the neural bigram trained live, samples."""
import math

import pandas as pd
import streamlit as st
import torch

from makemore.charts.bigram import MATRIX_TOKENS, pair_heatmap, smoothing_chart
from makemore.charts.training import loss_chart
from makemore.data import build_windows
from makemore.lessons import bigram
from makemore.models import ConfigError, NeuralBigramConfig
from makemore.presets import LECTURE_SEED, PRESETS
from makemore.sampling import sample_names
from makemore.training import TrainConfig
from ui import runs
from ui.cached import count_table, smoothing_sweep
from ui.export import export_menu, show_chart
from ui.lesson import Choice, choice_row, choice_slider, dev_points
from ui.live import LiveRun, control_buttons, live_area, live_run, status_line
from ui.presentation import chart_height, side_by_side
from ui.settings import shared_sidebar
from ui.state import persistent_widget, sidebar_share_link
from ui.tours import bigram_tour
from ui.walkthrough import walkthrough

P = "bigram"
NN_STATE = "bigram_nn_run"
NN_PRESET = PRESETS["bigram-nn"]
SMOOTHING = Choice(
    "smoothing", 1.0, "Smoothing: fake counts added to every cell", bigram.SMOOTHINGS,
    "P = (N + smoothing) / row sum. 0 makes every pair never seen in training impossible: one such pair in the dev "
    "set makes its NLL infinite. 1 is the lecture's choice. Large values flatten every row towards a uniform "
    "guess. The scale is logarithmic.")
NN_CHOICES = [
    Choice("lr", NN_PRESET.train.lr, "Learning rate", (0.1, 0.5, 1.0, 5.0, 10.0, 20.0, 50.0, 100.0),
           "Each step moves W by -lr x gradient. The lecture uses 50: full-batch gradients over every pair are "
           "smooth, so a large step is safe. Try 1 to watch it crawl, 100 to see it overshoot."),
    Choice("reg", NN_PRESET.model.regularization, "Regularization strength", (0.0, 0.001, 0.01, 0.1, 1.0),
           "Adds strength x mean(W²) to the loss, pulling W towards 0, i.e. towards equal probabilities: the neural "
           "counterpart of smoothing. 0.01 is the lecture's; 1 flattens the table a lot. Changing it starts a new "
           "network."),
    Choice("steps", NN_PRESET.train.steps, "Steps (full batch)", (100, 300, 1000, 3000),
           "Each step uses every training pair at once (no minibatches), as in the lecture."),
]

st.set_page_config(page_title="Bigram", layout="wide")
settings = shared_sidebar()
data = settings.data
vocab = data.vocab
st.title("Part 1 · The bigram language model")
st.write("Predict the next character from the previous one. First by counting how often each pair occurs, then "
         "with a one-layer neural net trained by gradient descent, which learns the same table.")
walkthrough(P, bigram_tour())


def counting_models(scope: str, smoothing: float) -> dict[str, bigram.NGramCounts]:
    """The bigram and (when its table fits) trigram counting models of a scope, with this smoothing.

    A table too large to count is skipped, and said so once (for the training scope).
    """
    models = {}
    for block_size, name in bigram.MODEL_NAMES.items():
        try:
            N = count_table(settings.data_key, scope, block_size, data)
        except ConfigError as err:
            if scope == "train":
                st.info(f"No {name} model for this list: {err}", icon=":material/info:")
            continue
        models[name] = bigram.counting_model(N, block_size, smoothing)
    return models


def nll_table(trained: dict, everywhere: dict) -> pd.DataFrame:
    """Mean NLL per model: train / dev / test (fitted on train) and all words (the lecture's setup)."""
    rows = {}
    for name, model in trained.items():
        row = bigram.split_nlls(model, data)
        row["all words"] = everywhere[name].mean_nll(*build_windows(data.words, vocab, model.block_size))
        rows[name] = row
    return pd.DataFrame(rows).T


# ------------------------------------------------------------------------------------------ counting
st.header("Counting")
smoothing = choice_slider("bigram_smoothing", SMOOTHING)
trained = counting_models("train", smoothing)
everywhere = counting_models("all", smoothing)
table = nll_table(trained, everywhere)
left, right = side_by_side([2, 3])
with left:
    st.subheader("Mean negative log likelihood")
    st.dataframe(table, column_config={c: st.column_config.NumberColumn(format="%.4f") for c in table.columns})
    st.caption("Lower is better; a uniform guess scores ln(vocabulary) = "
               f"{math.log(vocab.size):.4f}. train / dev / test: counted on the training words and scored on "
               "each split. All words: counted and scored on every word, as the lecture did. **Infinity** means a "
               "pair of that split was never counted: with smoothing 0 its probability is 0.")
    if "bigram" in everywhere:
        bigram_counts = everywhere["bigram"]
        X, Y = build_windows(data.words, vocab, 1)
        st.caption(f"Note: the lecture printed its NLL as a float32 running sum, one log-probability at a time, "
                   f"as the table does ({bigram_counts.mean_nll(X, Y):.4f} here: 2.4544 on the lecture's names.txt at "
                   f"smoothing 1). Summed exactly, the same mean is {bigram.exact_mean_nll(bigram_counts, X, Y):.5f} "
                   "(2.45458 on names.txt).")
with right:
    st.subheader("Exercise 3: tune the smoothing")
    sweep = smoothing_sweep(settings.data_key, tuple(bs for bs, name in bigram.MODEL_NAMES.items() if name in trained),
                            data)
    show_chart(smoothing_chart(sweep, smoothing, chart_height(300)), P, "nll vs smoothing",
               title="Mean NLL against smoothing (counted on train)")
    best = {name: bigram.best_smoothing(sweep, name) for name in trained if "dev" in data.splits}
    summary = "; ".join(
        f"the {name}'s dev NLL is lowest at smoothing {s:.2g} (its test NLL, measured once: "
        f"{bigram.split_nlls(bigram.counting_model(trained[name].N, trained[name].block_size, s), data)['test']:.4f})"
        for name, s in best.items())
    st.caption("Solid: dev, dashed: train. Train NLL only rises with smoothing (it blurs what was counted); dev "
               "NLL falls, then rises: too little smoothing trusts rare pairs, too much ignores the data. "
               f"On this list {summary}. The trigram (exercise 1) reads two characters and beats the bigram.")

# ------------------------------------------------------------------------------------------ neural bigram
st.header("The neural bigram")
st.write("One linear layer: logits = one_hot(previous) @ W, a 27 x 27 matrix for names; softmax turns "
         "exp(logits), the 'counts', into probabilities. Gradient descent on the NLL (plus "
         "regularization x mean(W²)) pulls softmax(W) towards the counted table.")
chosen = choice_row(P, NN_CHOICES)
lr, regularization, steps = chosen["lr"], chosen["reg"], chosen["steps"]
nn_config = NeuralBigramConfig(regularization=regularization)
nn_train = TrainConfig(steps=steps, batch_size=None, lr=lr, lr_decay_at=None, stats_every=0)
run = live_run(NN_STATE, nn_config, nn_train, settings, f"neural bigram · lr {lr:g} · reg {regularization:g}",
               "Bigram", NN_PRESET.sample_seed)
if run.notice:
    st.info(run.notice, icon=":material/autorenew:")
control_buttons(NN_STATE, P)
counted = trained["bigram"]


def draw_neural_bigram(current: LiveRun) -> None:
    """Loss, the comparison with the counts, and softmax(W) beside the counted probabilities."""
    trainer = current.trainer
    status_line(current)
    model = trainer.model
    learned = torch.softmax(model.W.detach().cpu().double(), 1)
    target = counted.P.double()
    left, right = side_by_side([3, 2])
    with left:
        show_chart(loss_chart(runs.loss_curve(trainer), dev_points(trainer), math.log(vocab.size), log_scale=False,
                              height=chart_height()),
                   P, "neural bigram loss", title="Training loss (NLL + regularization)")
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
                                labelled=False, value_max=top), P, "learned table",
                   title="Learned: exp(W), row-normalized")
    with b:
        show_chart(pair_heatmap(bigram.matrix_frame(target, vocab.itos, tokens), "probability", ".3f",
                                labelled=False, value_max=top), P, "counted table",
                   title=f"Counted: (N + {smoothing:g}), row-normalized")
    st.caption("Same colour scale on both. At step 0, W is random noise; as it trains, the left matrix takes "
               "on the pattern of the right one (hover a cell to read it).")


live_area(NN_STATE, draw_neural_bigram)

# ------------------------------------------------------------------------------------------ samples
st.header("Samples")
cols = st.columns([1, 1, 3])
with cols[0]:
    seed = int(persistent_widget(
        st.number_input, "bigram_sample_seed", LECTURE_SEED, param="sample_seed", label="Sampling seed", min_value=0,
        max_value=2**53 - 1, step=1,
        help="Seeds the generator g that draws every character. The same seed always gives the same names; "
             f"the lecture used {LECTURE_SEED}."))
with cols[1]:
    count = int(persistent_widget(st.number_input, "bigram_sample_count", 10, param="count", label="Names per model",
                                  min_value=1, max_value=50, step=1, help="How many names each model draws."))
sources = {f"{name} counts (all words, smoothing {smoothing:g})": model for name, model in everywhere.items()}
if run.trainer.step:
    sources[f"neural bigram (step {run.trainer.step:,})"] = run.trainer.model
for col, (label, model) in zip(st.columns(3), sources.items()):
    with col:
        st.markdown(f"**{label}**")
        st.code("\n".join(s.name + vocab.boundary for s in sample_names(model, vocab, count, seed)), language=None)
if not run.trainer.step:
    st.caption("Train the neural bigram above to sample from it too.")
st.caption("Each character is drawn as in the lecture: p = the model's row for the previous character(s), then "
           "`torch.multinomial(p, num_samples=1, replacement=True, generator=g)`, until the boundary token comes "
           "up. Why not the video's `mor.`, `axx.`, `minaymoryles.`? torch 2.0 changed how `torch.multinomial` "
           "uses the generator, so the lecture's code prints other names today, still the same ones for a seed.")
export_menu(P)
sidebar_share_link()
