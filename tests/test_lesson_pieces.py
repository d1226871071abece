"""The lectures' pieces beside the live runs (makemore.lessons): each against the lecture's own computation."""
import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from makemore.data import load_data
from makemore.lessons import activations, bigram, mlp, wavenet
from makemore.models import MLPConfig, WaveNetConfig
from makemore.presets import LECTURE_SEED, PRESETS
from makemore.training import TrainConfig, build_trainer


# ------------------------------------------------------------------------------ part 1
@pytest.fixture(scope="module")
def lecture_counts(lecture_names_path):
    data = load_data(lecture_names_path, split="none")
    return data, bigram.count_table(data.words, data.vocab, 1)


def test_keepdim_normalizes_rows_and_its_absence_columns(default_data):
    N = bigram.count_table(default_data.words, default_data.vocab, 1)
    right, wrong = bigram.normalized_both_ways(N, 1.0)
    assert torch.allclose(right.sum(1), torch.ones(N.shape[0]))
    assert torch.allclose(wrong.sum(0), torch.ones(N.shape[0])) and not torch.allclose(wrong.sum(1), right.sum(1))
    P = (N + 1).float()
    assert torch.equal(wrong, P / P.sum(1)[None, :])  # the broadcast: column j over row j's sum


def test_one_words_likelihood_is_the_lectures(lecture_counts):
    """The lecture's loop on 'emma' (unsmoothed counts) and on 'andrejq' (N + 1), as its notebook printed them."""
    data, N = lecture_counts
    emma = bigram.word_likelihood(bigram.counting_model(N, 1, 0.0), "emma", data.vocab)
    assert emma.pairs["bigram"].tolist() == [".e", "em", "mm", "ma", "a."]
    assert [round(p, 4) for p in emma.pairs["P"]] == [0.0478, 0.0377, 0.0253, 0.3899, 0.1960]
    assert emma.nll == pytest.approx(-emma.pairs["log P"].sum()) and emma.mean_nll == pytest.approx(emma.nll / 5)
    andrejq = bigram.word_likelihood(bigram.counting_model(N, 1, 1.0), "andrejq", data.vocab)
    assert (round(andrejq.nll, 4), round(andrejq.mean_nll, 4)) == (27.8672, 3.4834)
    assert math.isinf(bigram.word_likelihood(bigram.counting_model(N, 1, 0.0), "andrejq", data.vocab).nll)


def test_onehot_times_w_is_the_row_lookup():
    W = torch.randn((27, 27), generator=torch.Generator().manual_seed(LECTURE_SEED))
    xs = torch.randint(0, 27, (1000,), generator=torch.Generator().manual_seed(1))
    race = bigram.onehot_vs_index(W, xs, repeats=1)
    assert race.maxdiff == 0 and race.first.shape == (1000, 27) and race.first_seconds > 0


def test_cross_entropy_matches_by_hand_until_the_logits_overflow():
    logits = torch.tensor([[-2.0, -3.0, 0.0, 5.0]])  # the lecture's example
    ys = torch.tensor([3])
    race = bigram.cross_entropy_vs_by_hand(logits, ys, 1.0, repeats=1)
    assert race.first.item() == pytest.approx(race.second.item(), abs=1e-6)
    big = bigram.cross_entropy_vs_by_hand(logits, ys, 100.0, repeats=1)
    assert math.isnan(big.first.item())  # exp(500) = inf, inf / inf = nan
    assert big.second.item() == pytest.approx(F.cross_entropy(logits * 100, ys).item()) and big.second.item() == 0


# ------------------------------------------------------------------------------ part 2
def test_the_loss_floor_is_each_contexts_entropy():
    X = torch.tensor([[0, 0], [0, 0], [1, 2]])
    Y = torch.tensor([1, 2, 3])  # the context (0, 0) is followed by 1 and by 2: half each at best
    assert mlp.loss_floor(X, Y) == pytest.approx(2 * math.log(2) / 3)


def test_overfitting_one_batch_is_the_lectures(lecture_names_path):
    """Part 2's first run: the first five names (32 examples), emb 2, 100 hidden units (3,481 parameters)."""
    data = load_data(lecture_names_path)
    result = mlp.overfit_one_batch(MLPConfig(n_embd=2, n_hidden=100), data, LECTURE_SEED)
    assert result.params == 3481 and len(result.examples) == 32
    assert round(float(result.losses["loss"].iloc[0]), 4) == 17.7697
    assert result.floor < result.final_loss < result.floor + 0.01 and result.correct == 28


# ------------------------------------------------------------------------------ part 3
@pytest.fixture(scope="module")
def bn_run(default_data):
    trainer = build_trainer(PRESETS["mlp-bn"].model, TrainConfig(stats_every=0), default_data, LECTURE_SEED)
    trainer.advance(300)
    return trainer


def test_the_first_batch_is_the_first_step(default_data):
    for config in (PRESETS["mlp"].model, PRESETS["mlp-bn"].model):
        trainer = build_trainer(config, TrainConfig(), default_data, LECTURE_SEED)
        trainer.advance(1)
        assert activations.first_batch(config, default_data, LECTURE_SEED).loss == pytest.approx(trainer.first_loss,
                                                                                                 rel=1e-5)


def test_calibration_is_the_lectures_pass(bn_run, default_data):
    """bnmean = hpreact.mean(0), bnstd = hpreact.std(0) over the whole training split, after training."""
    model = bn_run.model
    X, _ = model.examples(default_data, "train")
    with torch.no_grad():
        hpreact = model.C[X].view(len(X), -1) @ model.layers[0].weight
    calibrated = activations.calibrated(model, default_data)
    bn = calibrated.layers[1]
    assert torch.allclose(bn.running_mean, hpreact.mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, hpreact.std(0), rtol=1e-4)
    assert not torch.allclose(model.layers[1].running_mean, bn.running_mean, atol=1e-3)  # the run is untouched


def test_inference_three_ways(bn_run, default_data):
    before = {k: v.clone() for k, v in bn_run.model.state_dict().items()}
    result = activations.batchnorm_inference(bn_run.model, default_data, LECTURE_SEED)
    running, calibrated, own = result.losses.values()
    X, Y = bn_run.model.examples(default_data, "dev")
    assert running == pytest.approx(bn_run.model.mean_nll(X, Y))
    assert calibrated < running  # 300 steps at momentum 0.001: the running statistics lag far behind
    assert abs(own - calibrated) < abs(running - calibrated)
    assert all(torch.equal(v, bn_run.model.state_dict()[k]) for k, v in before.items())  # measured on copies
    assert result.spread_name == "std" and set(result.stats["statistic"]) == {"mean", "std"}


def test_one_example_jitters_with_its_batch_mates(bn_run, default_data):
    frame = activations.batch_jitter(bn_run.model, default_data, 0, LECTURE_SEED, batches=20)
    X, Y = bn_run.model.examples(default_data, "dev")
    assert frame.attrs["eval_loss"] == pytest.approx(bn_run.model.mean_nll(X[:1], Y[:1]))
    assert frame["loss"].std() > 0.01 and len(frame) == 20
    assert (frame["loss"] - (-frame["p_target"].apply(math.log))).abs().max() < 1e-9


# ------------------------------------------------------------------------------ part 5
def test_a_linear_multiplies_every_group_at_once():
    config = WaveNetConfig()
    first = wavenet.grouped_matmul(config, 0)
    assert (first.input_shape, first.weight_shape, first.output_shape, first.flat_input_shape) == (
        (4, 4, 48), (48, 128), (4, 4, 128), (16, 48))
    assert first.maxdiff < 1e-6 and not first.bias  # BatchNorm follows: no bias
    last = wavenet.grouped_matmul(config, 2, batch_size=8)
    assert (last.input_shape, last.output_shape) == ((8, 256), (8, 128))


def test_the_model_is_one_sequential_of_its_layers():
    layers = wavenet.layer_table(replace(WaveNetConfig(), vocab_size=27))
    table = wavenet.sequential_table(layers)
    assert table.iloc[0][["name", "input shape", "output shape", "params"]].tolist() == [
        "Sequential", "(4, 8)", "(4, 27)", 76_579]
    assert len(table) == len(layers) + 1  # every layer beneath it
