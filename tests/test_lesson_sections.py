"""The lectures' pieces on their pages (issue 16, section 3), rendered with AppTest: each section opened as a
reader opens it (its expander, its tab), a value it shows checked against the computation it stands for."""
import math

import pytest
import torch
import torch.nn.functional as F

from makemore.data import build_windows
from makemore.lessons import activations, bigram
from makemore.presets import LECTURE_SEED
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import chart_with_columns, open_page, press_step
from tests.test_page_bigram import sampling_loop
from ui.panels.deep_net_controls import OUTPUT_FIXED, RAW, setup_controls

BIGRAM, MLP, DIAG, WAVENET = ("pages/1_Bigram.py", "pages/2_MLP.py", "pages/3_Activations_and_BatchNorm.py",
                              "pages/5_WaveNet.py")


def opened(at, expander: str, tab: str | None = None):
    """The page with a lesson expander (and one of its tabs) opened, as a click on each would."""
    at.session_state[expander] = True
    if tab is not None:
        at.session_state[f"{expander}_tab"] = tab
    at = at.run()
    assert not at.exception
    return at


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def counted_P(data, smoothing=1.0) -> torch.Tensor:
    """The lecture's P over every word: (N + smoothing) with each row divided by its sum."""
    P = (bigram.count_table(data.words, data.vocab, 1) + smoothing).float()
    return P / P.sum(1, keepdim=True)


# ------------------------------------------------------------------------------ part 1
def test_broadcasting_shows_the_wrong_axis_and_its_garbage(default_data):
    at = opened(open_page(BIGRAM), "bigram_lessons", "Broadcasting")
    table = next(d.value for d in at.dataframe if "without keepdim: row sum" in d.value.columns)
    P = (bigram.count_table(default_data.words, default_data.vocab, 1) + 1).float()
    wrong = P / P.sum(1)  # the lecture's bug: a (V,) row stretched down the columns
    rows = [default_data.vocab.stoi[c if c != "·" else default_data.vocab.boundary] for c in table["previous"]]
    assert table["keepdim=True: row sum"].to_numpy() == pytest.approx(1.0, abs=1e-5)
    assert table["without keepdim: row sum"].to_numpy() == pytest.approx(wrong.sum(1)[rows].numpy(), rel=1e-5)
    assert table["without keepdim: column sum"].to_numpy() == pytest.approx(1.0, abs=1e-5)
    assert (table["without keepdim: row sum"] - 1).abs().max() > 0.5  # visibly not a probability table
    codes = [c.value for c in at.code]
    start = next(i for i, c in enumerate(codes) if "keepdim=True" in c)
    assert codes[start + 1:start + 3] == ["\n".join(sampling_loop(table, default_data.vocab.itos, 5, LECTURE_SEED))
                                          for table in (P / P.sum(1, keepdim=True), wrong)]
    assert codes[start + 1] != codes[start + 2]


def test_one_words_likelihood_is_the_sum_of_its_bigrams_logs(default_data):
    at = open_page(BIGRAM)
    at.session_state["bigram_word"] = "emma"
    at = opened(at, "bigram_lessons", "From likelihood to NLL")
    P, stoi = counted_P(default_data), default_data.vocab.stoi
    chars = [0, *[stoi[c] for c in "emma"], 0]
    logs = [math.log(P[a, b].item()) for a, b in zip(chars, chars[1:])]
    assert float(metric(at, "log likelihood")) == pytest.approx(sum(logs), abs=1e-3)
    assert float(metric(at, "negative log likelihood")) == pytest.approx(-sum(logs), abs=1e-3)
    assert float(metric(at, "mean over 5 bigrams")) == pytest.approx(-sum(logs) / 5, abs=1e-4)
    X, Y = build_windows(default_data.words, default_data.vocab, 1)
    everything = -P[X[:, 0], Y].double().log().mean().item()
    assert float(metric(at, "The model's NLL: the same mean over every bigram of every word")) == pytest.approx(
        everything, abs=2e-4)  # the model sums in float32, as the lecture did


def test_onehot_and_lookup_give_the_same_logits():
    at = opened(open_page(BIGRAM), "bigram_lessons", "E04: one-hot or indexing")
    assert metric(at, "largest difference in the logits") == "0"
    assert metric(at, "one-hot @ W").endswith(" ms") and metric(at, "W[xs]").endswith(" ms")


def test_cross_entropy_stays_finite_where_the_hand_made_one_overflows():
    at = opened(open_page(BIGRAM), "bigram_lessons", "E05: F.cross_entropy")
    assert float(metric(at, "by hand")) == pytest.approx(float(metric(at, "F.cross_entropy")), abs=1e-4)
    at.select_slider(key="bigram_logit_scale__w").set_value(1000).run()
    trainer = at.session_state["bigram_nn_run"].trainer
    X, Y = trainer.data.windows("train", 1)
    with torch.no_grad():
        expected = F.cross_entropy(trainer.model.logits(X) * 1000, Y).item()
    assert metric(at, "by hand") == "nan"
    assert float(metric(at, "F.cross_entropy")) == pytest.approx(expected, rel=1e-4) and math.isfinite(expected)


def test_make_more_of_any_list_offers_every_shipped_list(default_data):
    at = opened(open_page(BIGRAM), "bigram_lessons", "E06: make more of anything")
    table = next(d.value for d in at.dataframe if "bigram dev NLL" in d.value.columns)
    assert len(table) >= 3 and "surname" in " ".join(table["list"]).lower()
    names = table.iloc[0]
    assert names["words"] == len(default_data.words) and names["characters"] == default_data.vocab.size
    assert names["uniform guess"] == pytest.approx(math.log(default_data.vocab.size))
    counted = bigram.counting_model(bigram.count_table(default_data.splits["train"], default_data.vocab, 1), 1, 1.0)
    assert names["bigram dev NLL"] == pytest.approx(bigram.split_nlls(counted, default_data)["dev"], abs=1e-4)
    assert any("open exercise" in m.value for m in at.markdown)


# ------------------------------------------------------------------------------ part 2
@pytest.mark.slow
def test_overfitting_one_batch_reaches_the_floor(default_data):
    at = opened(open_page(MLP), "mlp_overfit")
    at = at.button(key="mlp_overfit_run").click().run()
    examples = next(d.value for d in at.dataframe if "p(target)" in d.value.columns)
    assert len(examples) > 0
    losses = chart_with_columns(at, "step", "loss")[-1]["data"]
    final = float(next(f for f in losses if "loss" in f.columns)["loss"].iloc[-1])
    caption = next(c.value for c in at.caption if "predicted right" in c.value)
    floor = float(caption.split("the dashed line, ")[1].split(",")[0])
    assert final < floor + 0.05 and f"to {final:.4f} after" in caption  # near the floor: it can learn
    assert f"{int((examples['p(target)'] == examples['p(target)']).sum())} examples" in caption


# ------------------------------------------------------------------------------ part 3
def first_loss(name: str, data) -> float:
    controls = setup_controls(name)
    trainer = build_trainer(controls.model_config(), TrainConfig(batch_size=controls.batch_size), data, LECTURE_SEED)
    trainer.advance(1)
    return trainer.first_loss


def test_the_softmax_at_init_is_confident_then_near_uniform(default_data):
    at = opened(open_page(DIAG), "diag_lessons", "The softmax at init")
    summary = next(d.value for d in at.dataframe if "top probability" in d.value.columns)
    assert summary.loc[RAW, "batch loss"] == pytest.approx(first_loss(RAW, default_data), rel=1e-5)
    assert summary.loc[OUTPUT_FIXED, "batch loss"] == pytest.approx(first_loss(OUTPUT_FIXED, default_data), rel=1e-5)
    assert summary.loc[RAW, "top probability"] > 0.5 and summary.loc[RAW, "p(target)"] < 0.01  # confidently wrong
    assert abs(summary.loc[OUTPUT_FIXED, "top probability"] - 1 / 27) < 0.03  # near uniform
    bars = chart_with_columns(at, "init", "prob")[0]["data"][0]
    assert len(bars) == 2 * 27


@pytest.mark.slow
def test_batchnorm_at_inference_three_ways(default_data):
    at = open_page(DIAG)
    at = at.button(key="diag_preset_BatchNorm").click().run()
    at = press_step(at, "diag_step1000")
    at = opened(at, "diag_lessons", "BatchNorm at inference")
    at = at.button(key="diag_bn_measure").click().run()
    losses = next(d.value for d in at.dataframe if "dev loss" in d.value.columns)["dev loss"]
    model = at.session_state["diag_run"].trainer.model
    X, Y = model.examples(default_data, "dev")
    assert losses.iloc[0] == pytest.approx(model.mean_nll(X, Y), rel=1e-5)  # eval mode: the running statistics
    assert losses.iloc[1] == pytest.approx(activations.calibrated(model, default_data).mean_nll(X, Y), rel=1e-5)
    assert any("0.999 × old + 0.001 × batch" in c.value for c in at.caption)


def test_one_example_jitters_with_its_batch_mates(default_data):
    at = open_page(DIAG)
    at = at.button(key="diag_preset_BatchNorm").click().run()
    at = opened(at, "diag_lessons", "BatchNorm couples a batch")
    model = at.session_state["diag_run"].trainer.model
    X, Y = model.examples(default_data, "dev")
    caption = next(c.value for c in at.caption if "in eval mode it is always" in c.value)
    assert f"in eval mode it is always {model.mean_nll(X[:1], Y[:1]):.3f}" in caption
    frame = next(f for c in chart_with_columns(at, "loss") for f in c["data"] if "p_target" in f.columns)
    assert frame["loss"].std() > 0  # train mode: the same example, another loss with other mates
    assert f"{frame['loss'].mean():.3f} ± {frame['loss'].std():.3f}" in caption


# ------------------------------------------------------------------------------ part 5
def test_matmul_over_a_batch_of_groups_is_the_models_own():
    at = opened(open_page(WAVENET), "wavenet_matmul")
    model = at.session_state["wavenet_run"].trainer.model
    shapes, x = [], torch.zeros((4, model.config.block_size), dtype=torch.long)
    for layer in model.layers:  # the page's model, a batch of 4: the first Linear's input, weight and output
        if type(layer).__name__ == "Linear":
            shapes = [tuple(x.shape), tuple(layer.weight.shape)]
            with torch.no_grad():
                shapes.append(tuple(layer(x).shape))
            break
        with torch.no_grad():
            x = layer(x)
    code = next(c.value for c in at.code if "@ W" in c.value)
    assert f"{shapes[0]} @ {shapes[1]}" in code and f"= {shapes[2]}" in code and len(shapes[0]) == 3
    assert any("differ by at most" in c.value for c in at.caption)
