"""makemore.py's sequence models: data format, training, hooks, attention, hidden states, CLI."""
import json
import subprocess
import sys
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from makemore import checkpoint
from makemore.data import Vocabulary, WordData, build_sequences, makemore_split
from makemore.lessons import models as inspect
from makemore.models import SEQUENCE_FAMILIES, ConfigError, TransformerConfig, build_model, fitted_to
from makemore.presets import PRESETS
from makemore.sampling import sample_names
from makemore.stats import diagnostics
from makemore.training import build_trainer
from tests.conftest import ROOT

FAMILIES = list(SEQUENCE_FAMILIES)
WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia", "harper", "evelyn"] * 3


def small(family: str, **sizes):
    """A small config of the family (fast to train in tests)."""
    config_cls, _ = SEQUENCE_FAMILIES[family]
    extra = {"n_layer": 2, "n_head": 2} if family == "transformer" else {"n_embd2": 32}
    return config_cls(n_embd=32, **{**extra, **sizes})


def model_of(family: str, vocab_size: int = 27, block_size: int = 16, seed: int = 0):
    return build_model(replace(small(family), vocab_size=vocab_size, block_size=block_size),
                       torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------------ data
def test_sequences_are_makemore_rows():
    vocab = Vocabulary.from_words(["emma", "ab"])
    X, Y = build_sequences(["emma", "ab"], vocab, block_size=6)
    e, m, a, b = (vocab.stoi[c] for c in "emab")
    assert X.tolist() == [[0, e, m, m, a, 0], [0, a, b, 0, 0, 0]]
    assert Y.tolist() == [[e, m, m, a, 0, -1], [a, b, 0, -1, -1, -1]]


def test_a_word_longer_than_the_block_gets_one_row_per_extra_target_with_the_sampling_context():
    vocab = Vocabulary.from_words(["abcdef"])
    X, Y = build_sequences(["abcdef"], vocab, block_size=4)
    stream = [0, 1, 2, 3, 4, 5, 6, 0]
    assert X.tolist() == [stream[0:4], stream[1:5], stream[2:6], stream[3:7]]
    assert Y.tolist() == [stream[1:5], [-1, -1, -1, 5], [-1, -1, -1, 6], [-1, -1, -1, 0]]
    # every target is predicted exactly once, from the window sampling would give the model
    assert (Y != -1).sum() == len("abcdef") + 1


def test_makemore_split_is_torch_randperm_after_seed_3407():
    words = [f"w{i}" for i in range(50)]
    split = makemore_split(words)
    torch.manual_seed(3407)
    order = torch.randperm(50).tolist()
    assert split["test"] == [words[i] for i in order[-5:]] and len(split["train"]) == 45
    data = WordData.from_words(words, split="makemore")
    assert data.split_names == ("train", "test")


def test_block_size_is_the_longest_word_plus_one():
    data = WordData.from_words(WORDS)
    assert fitted_to(TransformerConfig(), data).block_size == len("charlotte") + 1
    assert fitted_to(PRESETS["mlp"].model, data) is PRESETS["mlp"].model


# ------------------------------------------------------------------------------------ models
@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_each_model_trains_200_steps_and_its_loss_falls(default_data, family):
    preset = PRESETS[family]
    trainer = build_trainer(preset.model, replace(preset.train, steps=200, stats_every=0), default_data, preset.seed)
    before = trainer.evaluate("dev")
    trainer.advance(200)
    assert trainer.step == 200 and not trainer.diverged
    assert trainer.evaluate("dev") < before - 0.4


@pytest.mark.parametrize("family", FAMILIES)
def test_no_position_sees_the_future(family):
    """Changing a later character leaves every earlier position's logits as they were."""
    model = model_of(family)
    x = torch.randint(1, 27, (2, 10), generator=torch.Generator().manual_seed(1))
    changed = x.clone()
    changed[:, 6:] = (changed[:, 6:] % 26) + 1
    with torch.no_grad():
        before, after = model.logits(x), model.logits(changed)
    assert torch.allclose(before[:, :6], after[:, :6], atol=1e-6)
    assert not torch.allclose(before[:, 6:], after[:, 6:])


@pytest.mark.parametrize("family", FAMILIES)
def test_mean_nll_is_the_mean_over_predicted_characters(family):
    data = WordData.from_words(WORDS)
    model = model_of(family, data.vocab.size)
    X, Y = model.examples(data, "train")
    with torch.no_grad():
        logits = model.logits(X)
    expected = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1), ignore_index=-1).item()
    assert model.mean_nll(X, Y) == pytest.approx(expected, rel=1e-5)
    assert all(layer.out is None for layer in model.layers)  # evaluation does not keep its outputs


def test_init_is_drawn_from_the_generator_and_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    a, b = model_of("transformer", seed=7), model_of("transformer", seed=7)
    assert torch.equal(torch.rand(3), expected)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.wte.weight, model_of("transformer", seed=8).wte.weight)


def test_heads_must_divide_the_embedding():
    with pytest.raises(ConfigError, match="cannot be split evenly"):
        build_model(TransformerConfig(n_embd=30, n_head=4))


@pytest.mark.parametrize("family", FAMILIES)
def test_checkpoint_round_trip_and_sampling(family):
    data = WordData.from_words(WORDS)
    model = model_of(family, data.vocab.size, block_size=6)  # shorter than most names: sampling crops
    restored = checkpoint.from_bytes(checkpoint.to_bytes(model, data.vocab, WORDS)).model
    x = torch.randint(0, data.vocab.size, (3, 6))
    with torch.no_grad():
        assert torch.equal(model.logits(x), restored.logits(x))
    names = [s.name for s in sample_names(restored, data.vocab, n=5, seed=3, max_length=20)]
    assert names == [s.name for s in sample_names(model, data.vocab, n=5, seed=3, max_length=20)]


# ------------------------------------------------------------------------------------ hooks and diagnostics
@pytest.mark.parametrize("family", FAMILIES)
def test_hooks_give_one_row_per_module(family):
    data = WordData.from_words(WORDS)
    preset = PRESETS[family]
    trainer = build_trainer(small(family), replace(preset.train, steps=3, stats_every=1), data, seed=0)
    trainer.advance(3)
    model, snap = trainer.model, trainer.snapshot
    table = inspect.module_table(snap, model)
    assert table["module"].tolist() == model.layer_names
    assert len(model.layer_names) == len(set(model.layer_names)) == len(model.layers)
    assert table["grad_std"].notna().all()  # every module's output gradient was kept (retain_grad)
    assert len(diagnostics.activation_table(snap)) == len(model.layers) - 1  # part 3's table, unchanged
    params = inspect.parameter_frame(snap, model)
    assert set(params["block"]) <= set(model.layer_blocks)
    assert params["grad_data_ratio"].notna().all() and params["update_data_log10"].notna().all()
    histograms = inspect.module_histograms(snap, model, model.layer_names[:2], of="grad")
    assert set(histograms["label"]) == set(model.layer_names[:2])


def test_attention_rows_sum_to_one_and_never_look_ahead():
    data = WordData.from_words(WORDS)
    model = build_model(replace(TransformerConfig(n_layer=2, n_head=4, n_embd=32), vocab_size=data.vocab.size),
                        torch.Generator().manual_seed(0))
    frame = inspect.attention_frame(model, data.vocab, "isabella")
    assert len(frame) == 2 * 4 * 9 * 9  # layers x heads x (boundary + 8 characters)^2
    sums = frame.groupby(["layer", "head", "query_pos"])["weight"].sum()
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-6)
    future = frame[frame["key_pos"] > frame["query_pos"]]
    assert (future["weight"] == 0).all()
    assert (frame[frame["key_pos"] <= frame["query_pos"]]["weight"] > 0).all()
    assert frame.loc[frame["query_pos"] == 0, "query"].iloc[0] == "0 ."


@pytest.mark.parametrize("family", ["rnn", "gru"])
def test_hidden_states_follow_the_name(family):
    data = WordData.from_words(WORDS)
    model = model_of(family, data.vocab.size)
    frame = inspect.hidden_state_frame(model, data.vocab, "mia")
    assert frame["token"].unique().tolist() == ["0 .", "1 m", "2 i", "3 a"]
    assert len(frame) == 4 * 32 and frame["value"].abs().max() <= 1.0
    with torch.no_grad():
        states = model.rnn(model.wte(torch.tensor([[0, *data.vocab.encode("mia")]])))[0]
    assert frame["value"].to_numpy() == pytest.approx(states.flatten().numpy(), abs=1e-6)


# ------------------------------------------------------------------------------------ command line
def run_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "makemore", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_cli_trains_samples_and_diagnoses_a_sequence_preset(tmp_path):
    summary = json.loads(run_cli("train", "--preset", "bow", "--steps", "50", "--out", str(tmp_path))
                         .strip().splitlines()[-1])
    assert summary["params"] == 12827 and summary["steps"] == 50 and summary["test_loss"] < summary["first_loss"]
    assert len(run_cli("sample", "--out", str(tmp_path), "-n", "4").split()) == 4
    report = json.loads(run_cli("diagnose", "--preset", "rnn", "--steps", "20", "--json"))
    assert [row["kind"] for row in report["activations"]] == ["Embedding", "Recurrence"]
    assert [row["name"] for row in report["parameters"]] == [
        "wte.weight", "rnn.start", "rnn.cell.xh_to_h.weight", "rnn.cell.xh_to_h.bias", "lm_head.weight",
        "lm_head.bias"]
