"""Sampling with a seed and temperature; checkpoints round-trip and refuse bad files."""
import io
import pickle

import pytest
import torch

from makemore import checkpoint
from makemore.lessons.sampling import trace_nth
from makemore.presets import PRESETS
from makemore.sampling import sample_names
from makemore.training import build_trainer


@pytest.fixture(scope="module")
def trained(default_data):
    preset = PRESETS["mlp-bn"]
    t = build_trainer(preset.model, preset.train, default_data, preset.seed)
    t.advance(300)
    return t


def test_same_seed_same_names(trained):
    vocab, words = trained.data.vocab, trained.data.splits["train"]
    a = sample_names(trained.model, vocab, 10, seed=3, known_words=words)
    b = sample_names(trained.model, vocab, 10, seed=3, known_words=words)
    assert [s.name for s in a] == [s.name for s in b]
    assert all(s.in_data == (s.name in set(words)) for s in a)
    assert [s.name for s in sample_names(trained.model, vocab, 10, seed=4)] != [s.name for s in a]


def test_bigram_sampling_is_the_lectures_loop(default_data):
    preset = PRESETS["bigram"]
    t = build_trainer(preset.model, preset.train, default_data, preset.seed)
    P = t.model.P
    g = torch.Generator().manual_seed(2147483647)
    expected = []
    for _ in range(5):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            if ix == 0:
                break
            out.append(default_data.vocab.itos[ix])
        expected.append("".join(out))
    assert [s.name for s in sample_names(t.model, default_data.vocab, 5, seed=2147483647)] == expected


def test_low_temperature_is_more_conservative(trained):
    vocab = trained.data.vocab
    cold = sample_names(trained.model, vocab, 30, seed=1, temperature=0.3)
    hot = sample_names(trained.model, vocab, 30, seed=1, temperature=3.0)
    assert len(set(s.name for s in cold)) < len(set(s.name for s in hot))
    with pytest.raises(ValueError):
        sample_names(trained.model, vocab, 1, temperature=0)


def test_trace_shows_each_step(trained):
    name, steps = trace_nth(trained.model, trained.data.vocab, seed=1, index=0)
    assert len(steps) == len(name) + 1 and steps[-1].chosen == 0
    assert all(abs(s.probs.sum().item() - 1) < 1e-5 for s in steps)


def test_checkpoint_round_trip_gives_the_same_samples(trained):
    raw = checkpoint.to_bytes(trained.model, trained.data.vocab, trained.data.words, {"preset": "mlp-bn"})
    loaded = checkpoint.from_bytes(raw)
    assert loaded.meta["preset"] == "mlp-bn" and loaded.words == trained.data.words
    a = sample_names(trained.model, trained.data.vocab, 8, seed=9)
    b = sample_names(loaded.model, loaded.vocab, 8, seed=9)
    assert [s.name for s in a] == [s.name for s in b]


def test_a_part_4_checkpoint_of_older_versions_loads_and_samples(default_data):
    """Older versions kept part 4's way of training in its model config (`manual_backward: True`); now the
    training config says it (gradients="by_hand"), and a checkpoint with the old key still loads."""
    preset = PRESETS["backprop"]
    trainer = build_trainer(preset.model, preset.train, default_data, preset.seed)
    trainer.advance(20)
    payload = torch.load(io.BytesIO(checkpoint.to_bytes(trainer.model, default_data.vocab, default_data.words)),
                         weights_only=True)
    assert "manual_backward" not in payload["config"]
    payload["config"]["manual_backward"] = True  # what the older versions wrote
    old = io.BytesIO()
    torch.save(payload, old)
    loaded = checkpoint.from_bytes(old.getvalue())
    assert loaded.model.config == trainer.model.config
    assert all(torch.equal(a, b) for a, b in zip(loaded.model.state_dict().values(), trainer.model.state_dict().values()))
    assert [s.name for s in sample_names(loaded.model, loaded.vocab, 5, seed=1)] == \
           [s.name for s in sample_names(trainer.model, default_data.vocab, 5, seed=1)]


def test_an_mlp_checkpoint_from_before_w1_scale_loads(trained, default_data):
    """MLPConfig gained w1_scale (part 3's W1 * 0.2); a checkpoint written before has no such field and loads
    with the default, 1: the init it was saved with."""
    payload = torch.load(io.BytesIO(checkpoint.to_bytes(trained.model, default_data.vocab, default_data.words)),
                         weights_only=True)
    assert payload["config"].pop("w1_scale") == 1.0
    old = io.BytesIO()
    torch.save(payload, old)
    loaded = checkpoint.from_bytes(old.getvalue())
    assert loaded.model.config == trained.model.config and loaded.model.config.w1_scale == 1.0
    assert [s.name for s in sample_names(loaded.model, loaded.vocab, 5, seed=1)] == \
           [s.name for s in sample_names(trained.model, default_data.vocab, 5, seed=1)]


def test_checkpoint_with_code_is_refused():
    class Evil:
        def __reduce__(self):
            return (print, ("owned",))
    buffer = io.BytesIO()
    torch.save({"format": checkpoint.FORMAT, "x": Evil()}, buffer)
    with pytest.raises(checkpoint.CheckpointError, match="refused"):
        checkpoint.from_bytes(buffer.getvalue())


@pytest.mark.parametrize("raw", [b"", b"hello world", pickle.dumps({"a": 1})])
def test_non_checkpoints_are_refused(raw):
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.from_bytes(raw)


def test_a_torch_file_that_is_not_ours_is_refused():
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(3)}, buffer)
    with pytest.raises(checkpoint.CheckpointError, match="not a makemore explorer checkpoint"):
        checkpoint.from_bytes(buffer.getvalue())
