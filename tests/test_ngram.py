"""makemore/lessons/bigram.py and lessons/data.py: counts, smoothing, NLL, the matrix the pages draw."""
import math
from dataclasses import replace

import pytest
import torch

from makemore.data import WordData, build_windows
from makemore.lessons import bigram
from makemore.lessons.data import char_counts, is_vowel, length_counts, visible
from makemore.models import NGramConfig
from makemore.training import TrainConfig, build_trainer

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail", "emily"]


@pytest.fixture
def small():
    return WordData.from_words(WORDS)


def lecture_counts(words, stoi):
    """The lecture's loop over '.' + word + '.' pairs."""
    N = torch.zeros((len(stoi), len(stoi)), dtype=torch.int64)
    for word in words:
        chars = ["."] + list(word) + ["."]
        for a, b in zip(chars, chars[1:]):
            N[stoi[a], stoi[b]] += 1
    return N


def test_count_table_is_the_lectures_loop(small):
    assert torch.equal(bigram.count_table(WORDS, small.vocab, 1), lecture_counts(WORDS, small.vocab.stoi))


def test_counting_model_equals_a_trained_one(small):
    N = bigram.count_table(small.splits["train"], small.vocab, 2)
    ours = bigram.counting_model(N, 2, 0.5)
    trained = build_trainer(NGramConfig(block_size=2, smoothing=0.5), TrainConfig(steps=0), small, 1).model
    assert torch.equal(ours.P, trained.P)
    assert bigram.split_nlls(ours, small) == {s: trained.mean_nll(*small.windows(s, 2)) for s in ("train", "dev", "test")}


def test_exact_mean_is_close_to_the_lectures_running_sum(small):
    model = bigram.counting_model(bigram.count_table(WORDS, small.vocab, 1), 1, 1.0)
    X, Y = build_windows(WORDS, small.vocab, 1)
    exact = -torch.log(model.P[X[:, 0], Y].double()).mean().item()
    assert bigram.exact_mean_nll(model, X, Y) == pytest.approx(exact, abs=1e-12)
    assert model.mean_nll(X, Y) == pytest.approx(exact, abs=1e-5)


def test_no_smoothing_makes_an_unseen_pair_infinitely_unlikely(small):
    model = bigram.counting_model(bigram.count_table(["ab"], small.vocab, 1), 1, 0.0)
    X, Y = build_windows(["ba"], small.vocab, 1)
    assert math.isinf(model.mean_nll(X, Y))


def test_smoothing_sweep_and_its_best(small):
    tables = {1: bigram.count_table(small.splits["train"], small.vocab, 1)}
    sweep = bigram.smoothing_sweep(tables, small, smoothings=(0.1, 1.0, 10.0))
    assert set(sweep["model"]) == {"bigram"} and set(sweep["split"]) == {"train", "dev"} and len(sweep) == 6
    train = sweep[sweep["split"] == "train"].sort_values("smoothing")["nll"].tolist()
    assert train == sorted(train)  # smoothing only blurs what was counted
    dev = sweep[sweep["split"] == "dev"]
    assert bigram.best_smoothing(sweep, "bigram") == dev.loc[dev["nll"].idxmin(), "smoothing"]


def test_the_sweep_scores_each_smoothing_as_its_model_does(default_data):
    tables = {bs: bigram.count_table(default_data.splits["train"], default_data.vocab, bs) for bs in (1, 2)}
    sweep = bigram.smoothing_sweep(tables, default_data, smoothings=(0.01, 1.0, 37.0))
    for row in sweep.itertuples():
        block_size = 1 if row.model == "bigram" else 2
        model = bigram.counting_model(tables[block_size], block_size, row.smoothing)
        assert row.nll == pytest.approx(model.mean_nll(*default_data.windows(row.split, block_size)), abs=2e-5)


def test_the_probability_table_is_made_once_and_follows_the_counts_and_the_smoothing(small):
    model = bigram.counting_model(bigram.count_table(small.words, small.vocab, 1), 1, 1.0)
    first = model.P
    assert model.P is first
    model.fit(*build_windows(["ab"], small.vocab, 1))
    refit = model.P
    assert not torch.equal(refit, first) and torch.equal(refit, bigram.counting_model(model.N, 1, 1.0).P)
    model.config = replace(model.config, smoothing=0.5)
    assert not torch.equal(model.P, refit) and torch.equal(model.P, bigram.counting_model(model.N, 1, 0.5).P)


def test_frequent_tokens_keep_the_boundary_and_the_most_used():
    N = torch.zeros((5, 5), dtype=torch.int64)
    N[3, 4] = 10
    N[1, 3] = 5
    assert bigram.frequent_tokens(N, 3) == [0, 3, 4]
    assert bigram.frequent_tokens(N, 9) == [0, 1, 2, 3, 4]


def test_matrix_frame_and_row_normalized(small):
    N = bigram.count_table(WORDS, small.vocab, 1)
    e, m = small.vocab.stoi["e"], small.vocab.stoi["m"]
    frame = bigram.matrix_frame(N, small.vocab.itos, [0, 1, e])
    assert len(frame) == 9 and frame["pair"].tolist()[:3] == ["..", ".a", ".e"]
    row = bigram.matrix_frame(N, small.vocab.itos, [e, m])
    assert row.set_index("pair").loc["em", "value"] == N[e, m]
    P = bigram.row_normalized(N)
    used = N.sum(1) > 0
    assert torch.allclose(P[used].sum(1), torch.ones(int(used.sum()), dtype=torch.float64))


def test_word_stats():
    assert length_counts(["ab", "cd", "efg"]).values.tolist() == [[2, 2], [3, 1]]
    chars = char_counts(["aab", "a b"])
    assert chars["char"].tolist()[0] == "a" and chars["count"].tolist()[0] == 3
    assert chars.set_index("char").loc[" ", "label"] == "␣"
    assert chars["share"].sum() == pytest.approx(1.0)
    assert visible("\u0301").startswith("U+") and visible("é") == "é"
    assert is_vowel("É") and is_vowel("u") and not is_vowel("y")


def test_a_context_never_counted_is_impossible_without_smoothing(small):
    model = bigram.counting_model(bigram.count_table(["ab"], small.vocab, 2), 2, 0.0)
    assert all(math.isinf(nll) for nll in bigram.split_nlls(model, small).values())
