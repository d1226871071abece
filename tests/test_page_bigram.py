"""The Bigram page (part 1): NLL tables against the package, the live neural bigram, samples."""
import math

import pytest
import torch

from makemore.data import build_windows, load_data
from makemore.lessons import bigram
from makemore.models import NGramConfig
from makemore.presets import LECTURE_SEED
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import chart_with_columns, open_page, press_step, with_word_list

PAGE = "pages/1_Bigram.py"


def nll_table(at):
    return at.dataframe[0].value


def counted_nll(data, block_size, smoothing, split):
    """The counting model fitted on the training words, evaluated directly."""
    trainer = build_trainer(NGramConfig(block_size=block_size, smoothing=smoothing), TrainConfig(steps=0), data, 1)
    return trainer.evaluate(split)


def lecture_samples(data, smoothing, n, seed):
    """The lecture's sampling loop on P = (N + smoothing) counted over all words."""
    P = (bigram.count_table(data.words, data.vocab, 1) + smoothing).float()
    return sampling_loop(P / P.sum(1, keepdim=True), data.vocab.itos, n, seed)


def sampling_loop(P, itos, n, seed):
    """The lecture's loop: from the boundary, draw the next character from its row of P until the boundary
    (torch.multinomial divides a row by its sum: a table whose rows do not sum to 1 samples too)."""
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(n):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append("".join(out))
    return names


def step(at, n):
    return press_step(at, f"bigram_step{n}")


@pytest.mark.slow
def test_nll_table_is_the_counting_models(default_data):
    at = open_page(PAGE)
    assert not at.exception
    table = nll_table(at)
    assert list(table.index) == ["bigram", "trigram"] and list(table.columns) == ["train", "dev", "test", "all words"]
    for model, block_size in [("bigram", 1), ("trigram", 2)]:
        for split in ("train", "dev", "test"):
            assert table.loc[model, split] == pytest.approx(counted_nll(default_data, block_size, 1.0, split), abs=1e-6)
    assert table.loc["trigram", "dev"] < table.loc["bigram", "dev"]  # exercise 1: the trigram is better


@pytest.mark.slow
def test_smoothing_slider_updates_the_table_at_once(default_data):
    at = open_page(PAGE)
    at.select_slider(key="bigram_smoothing__w").set_value(10.0).run()
    table = nll_table(at)
    assert table.loc["bigram", "dev"] == pytest.approx(counted_nll(default_data, 1, 10.0, "dev"), abs=1e-6)
    at.select_slider(key="bigram_smoothing__w").set_value(0.0).run()
    assert not at.exception
    table = nll_table(at)
    assert math.isinf(table.loc["trigram", "dev"])  # a dev trigram never counted: probability 0
    assert math.isfinite(table.loc["trigram", "train"])


@pytest.mark.slow
def test_smoothing_chart_has_both_models_and_marks_the_slider():
    at = open_page(PAGE)
    chart = chart_with_columns(at, "model", "smoothing", "split", "nll")[0]
    assert chart["spec"]["title"] == "Mean NLL against smoothing (counted on train)"
    sweep = chart["data"][0]
    assert set(sweep["model"]) == {"bigram", "trigram"} and set(sweep["split"]) == {"train", "dev"}
    assert sweep["smoothing"].min() == pytest.approx(0.01) and sweep["smoothing"].max() == pytest.approx(100)
    assert any("smoothing" in f.columns and "label" in f.columns and f["label"].tolist() == ["slider: 1"]
               for f in chart["data"])


def test_samples_are_the_lectures_loop(default_data):
    at = open_page(PAGE)
    shown = at.main.code[0].value.split("\n")
    assert shown == lecture_samples(default_data, 1.0, 10, LECTURE_SEED)
    at.number_input(key="bigram_sample_seed__w").set_value(42).run()
    assert at.main.code[0].value.split("\n") == lecture_samples(default_data, 1.0, 10, 42)
    assert any("torch 2.0 changed" in c.value for c in at.caption)


def test_neural_bigram_steps_and_heatmaps(default_data):
    at = step(open_page(PAGE), 1)
    assert not at.exception
    run = at.session_state["bigram_nn_run"]
    assert run.trainer.step == 1 and run.trainer.config.batch_size is None and run.trainer.base_lr == 50.0
    comparison = at.dataframe[1].value
    model = run.trainer.model
    assert comparison.loc["neural, step 1", "dev"] == pytest.approx(model.mean_nll(*model.examples(default_data, "dev")))
    heatmaps = chart_with_columns(at, "pair", "value")
    titles = [h["spec"]["title"] for h in heatmaps]
    assert titles == ["Learned: exp(W), row-normalized", "Counted: (N + 1), row-normalized"]
    learned = heatmaps[0]["data"][0]
    assert learned.groupby("first")["value"].sum().to_numpy() == pytest.approx(1.0)
    assert len(at.main.code) == 3  # the neural bigram now samples too


def test_changing_the_regularization_starts_a_new_network():
    at = step(open_page(PAGE), 1)
    at.select_slider(key="bigram_reg__w").set_value(0.1).run()
    run = at.session_state["bigram_nn_run"]
    assert run.trainer.step == 0 and run.trainer.model.config.regularization == 0.1
    assert any("new network" in i.value for i in at.info)


@pytest.mark.slow
def test_lecture_numbers(lecture_names_path):
    at = open_page(PAGE, **with_word_list(lecture_names_path))
    table = nll_table(at)
    assert round(table.loc["bigram", "all words"], 4) == 2.4544
    assert any("2.4544" in c.value and "2.45458" in c.value for c in at.caption)
    data = load_data(lecture_names_path)
    assert round(counted_nll(load_data(lecture_names_path, split="none"), 1, 1.0, "train"), 4) == 2.4544
    for _ in range(3):
        at = step(at, 100)
    comparison = at.dataframe[1].value
    counts, neural = comparison.iloc[0], comparison.loc["neural, step 300"]
    assert counts["train"] < neural["train"] < counts["train"] + 0.02
    X, Y = build_windows(data.splits["train"], data.vocab, 1)
    assert neural["train"] == pytest.approx(at.session_state["bigram_nn_run"].trainer.model.mean_nll(X, Y))
