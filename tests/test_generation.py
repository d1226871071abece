"""makemore/lessons/sampling.py and lessons/mlp.py: tracing any sample, the names file, quick presets, the C plot."""
import pytest
import torch

from makemore.lessons.mlp import embedding_frame, plane_coordinates
from makemore.lessons.sampling import names_text, quick_schedule, step_frame, trace_nth
from makemore.presets import PRESETS
from makemore.sampling import Sample, sample_names
from makemore.training import build_trainer


@pytest.fixture(scope="module")
def bigram(default_data):
    return build_trainer(PRESETS["bigram"].model, PRESETS["bigram"].train, default_data, 1).model


def test_trace_nth_replays_the_nth_sample(bigram, default_data):
    vocab = default_data.vocab
    names = [s.name for s in sample_names(bigram, vocab, 6, seed=11, temperature=0.8)]
    for index in (0, 3, 5):
        name, steps = trace_nth(bigram, vocab, 11, index, temperature=0.8)
        assert name == names[index]
        assert vocab.decode([s.chosen for s in steps[:-1]]) == name and steps[-1].chosen == 0


def test_step_frame_keeps_the_top_and_the_drawn(bigram, default_data):
    vocab = default_data.vocab
    _, steps = trace_nth(bigram, vocab, 5, 0)
    step = steps[0]
    full = step_frame(step, vocab)
    assert len(full) == vocab.size and full["prob"].sum() == pytest.approx(1.0)
    assert full.loc[full["chosen"], "token"].tolist() == [step.chosen]
    probs = torch.zeros(vocab.size, dtype=torch.float64)
    probs[1:6] = torch.tensor([0.5, 0.2, 0.15, 0.1, 0.05])
    few = step_frame(type(step)("...", probs, 9), vocab, top=3)
    assert few["token"].tolist() == [1, 2, 9] and few["chosen"].tolist() == [False, False, True]


def test_names_text_is_one_name_per_line():
    assert names_text([Sample("ava", True), Sample("zed", False)]) == "ava\nzed\n"


def test_quick_schedule_shortens_only_minibatch_presets():
    mlp = quick_schedule(PRESETS["mlp"], 5000)
    assert (mlp.steps, mlp.lr_decay_at, mlp.lr, mlp.batch_size) == (5000, 2500, 0.1, 32)
    assert quick_schedule(PRESETS["bigram"], 5000) is PRESETS["bigram"].train
    assert quick_schedule(PRESETS["bigram-nn"], 5000) is PRESETS["bigram-nn"].train


def test_embedding_plane_is_c_itself_in_2d_and_pca_otherwise():
    g = torch.Generator().manual_seed(0)
    C = torch.randn((27, 2), generator=g)
    xy, axis = plane_coordinates(C)
    assert torch.equal(xy, C) and axis == "embedding dimension"
    C = torch.randn((27, 10), generator=g)
    xy, axis = plane_coordinates(C)
    assert axis == "principal component" and xy.shape == (27, 2)
    centered = C - C.mean(0)
    assert xy.var(0).sum() == pytest.approx(torch.linalg.svdvals(centered)[:2].pow(2).sum().item() / 26, rel=1e-4)
    nudged, _ = plane_coordinates(C + 1e-4 * torch.randn((27, 10), generator=g))
    assert torch.allclose(nudged, xy, atol=1e-2)  # a training step does not flip the picture


def test_embedding_frame_labels_every_token(default_data):
    itos = default_data.vocab.itos
    frame, _ = embedding_frame(torch.randn(len(itos), 3), itos)
    assert frame["char"].tolist() == list(itos)
    assert frame.set_index("char").loc[".", "kind"] == "boundary" and frame.set_index("char").loc["e", "kind"] == "vowel"

