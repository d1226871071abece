"""What a hidden neuron answers to: its activations on every distinct context, checked against the model run
independently; its top contexts, histogram, deadness, and the units worth a look."""
import pytest
import torch

from makemore.data import WordData
from makemore.lessons import neurons as N
from makemore.models import DeepMLPConfig, MLPConfig, WaveNetConfig, evaluating, layers_of
from makemore.stats import diagnostics
from makemore.training import TrainConfig, build_trainer

SMALL = {"mlp": MLPConfig(n_hidden=48, w1_gain=5 / 3, w2_scale=0.01, batchnorm="std"),
         "deep": DeepMLPConfig(n_hidden=32, n_layers=3),
         "wavenet": WaveNetConfig(n_embd=8, n_hidden=32)}


@pytest.fixture(scope="module")
def words(default_data):
    return WordData.from_words(default_data.words[:1500], name="names-1500")


def trained(config, data, steps=300, lr=0.1):
    trainer = build_trainer(config, TrainConfig(steps=steps, lr=lr, lr_decay_at=None, stats_every=steps), data, 7)
    trainer.advance(steps, snapshot_last=True)
    return trainer


def nonlinearities(model):
    return [i for i, layer in enumerate(layers_of(model)) if type(layer).__name__ == "Tanh"]


def independent_activations(model, data, layer_index, unit):
    """{context text: activation} from every real training window, run whole; a lower WaveNet level's unit
    is read at every position, each reading the characters under it (and must agree wherever they repeat)."""
    X, _ = data.windows("train", model.block_size)
    windows = torch.unique(X, dim=0)
    with evaluating(model):
        model.logits(windows)
    out = layers_of(model)[layer_index].out
    out = out if out.ndim == 3 else out[:, None]
    field = model.block_size // out.shape[1]
    itos = data.vocab.itos
    found = {}
    for w, row in zip(windows.tolist(), out[..., unit].tolist()):
        for t, value in enumerate(row):
            text = "".join(itos[i] for i in w[t * field:(t + 1) * field])
            assert found.setdefault(text, value) == pytest.approx(value, abs=1e-5), text
    return found


@pytest.mark.parametrize("family", list(SMALL))
def test_the_top_contexts_give_the_largest_activations(words, family):
    model = trained(SMALL[family], words).model
    for layer_index in nonlinearities(model):
        ca = N.context_activations(model, words, layer_index)
        unit = 5
        truth = independent_activations(model, words, layer_index, unit)
        assert ca.distinct == len(ca.grams) == len(truth) and ca.field == len(next(iter(truth)))
        ranked = sorted(truth.values())
        table = N.top_contexts(ca, unit, k=10)
        for end, expected in (("highest", ranked[::-1][:10]), ("lowest", ranked[:10])):
            rows = table[table["end"] == end]
            assert list(rows["rank"]) == list(range(1, 11))
            assert rows["activation"].tolist() == pytest.approx(expected, abs=1e-5), (family, layer_index, end)
            assert [truth[c] for c in rows["context"]] == pytest.approx(rows["activation"].tolist(), abs=1e-5)


def test_contexts_are_counted_with_the_character_that_most_often_follows():
    data = WordData.from_words(["ab", "ab", "ac", "b"] * 5, split="none")
    model = trained(MLPConfig(block_size=2, n_hidden=8, n_embd=2), data, steps=5).model
    ca = N.context_activations(model, data, 1)
    found = {ca.context(i): (ca.next_char(i), int(ca.counts[i])) for i in range(len(ca.grams))}
    assert found == {"..": ("a", 20), ".a": ("b", 15), "ab": (".", 10), "ac": (".", 5), ".b": (".", 5)}
    assert [ca.context(i) for i in range(3)] == ["..", ".a", "ab"]  # most frequent first
    histogram = N.unit_histogram(ca, 3)
    assert histogram["windows"].sum() == 55 == len(data.windows("train", 2)[0])
    assert histogram["share"].sum() == pytest.approx(1.0)
    capped = N.context_activations(model, data, 1, max_contexts=2)
    assert capped.distinct == 5 and [capped.context(i) for i in range(2)] == ["..", ".a"]
    assert torch.equal(capped.acts, ca.acts[:2])


def test_a_dead_unit_is_reported_dead_on_the_list_and_on_the_batch(words):
    config = DeepMLPConfig(n_hidden=16, n_layers=2)
    trainer = build_trainer(config, TrainConfig(steps=1, lr=0.0, stats_every=1), words, 3)  # lr 0: nothing moves
    bn = layers_of(trainer.model)[1]
    with torch.no_grad():
        bn.gamma[4], bn.beta[4] = 0.0, 5.0  # tanh(5) = 0.9999 for every input: flat
    trainer.advance(1, snapshot_last=True)
    ca = N.context_activations(trainer.model, words, 2)
    assert ca.dead.nonzero().flatten().tolist() == [4]
    assert N.unit_summary(ca, 4)["dead"] and N.unit_summary(ca, 4)["saturated"] == pytest.approx(1.0)
    assert not N.unit_summary(ca, 5)["dead"]
    assert diagnostics.dead_units(trainer.snapshot, 2).nonzero().flatten().tolist() == [4]
    assert 4 not in set(N.interesting_units(ca, limit=100)["unit"])


def test_a_planted_detector_is_found_with_its_feature(words):
    ca = N.context_activations(trained(SMALL["mlp"], words, steps=50).model, words, 2)
    last = ca.grams[:, -1]
    e = ca.labels.index("e")
    noise = torch.rand(ca.acts.shape, generator=torch.Generator().manual_seed(0)) * 0.2 - 0.1
    ca.acts = noise  # every unit says nothing, but two
    ca.acts[:, 7] += torch.where(ca.vowels[last], 0.9, -0.1)  # fires after any vowel
    ca.acts[:, 11] -= torch.where(last == e, 0.9, 0.0)  # goes low after an e
    found = N.interesting_units(ca, limit=50, per_kind=50).set_index(["unit", "end"])
    assert found.loc[(7, "highest"), "feature"] == "ends in a vowel" and found.loc[(7, "highest"), "hits"] == 10
    assert found.loc[(11, "lowest"), "feature"] == "ends in 'e'" and found.loc[(11, "lowest"), "hits"] == 10
    assert found.loc[(11, "lowest"), "base"] == pytest.approx(float((last == e).float().mean()))
    assert list(found.index[:2]) in ([(11, "lowest"), (7, "highest")], [(7, "highest"), (11, "lowest")])


def test_distinct_rows_match_torch_unique_also_past_the_integer_range():
    grams = torch.randint(0, 5, (500, 3), generator=torch.Generator().manual_seed(0))
    for vocab_size in (5, 3_000_000):  # 3e6 ** 3 passes 2 ** 62: the slow path
        mine = N._distinct(grams, vocab_size)
        for a, b in zip(mine, torch.unique(grams, dim=0, return_inverse=True, return_counts=True)):
            assert torch.equal(a, b)


def test_only_a_nonlinearity_can_be_asked_about(words):
    model = trained(SMALL["mlp"], words, steps=1).model
    with pytest.raises(ValueError, match="not a nonlinearity"):
        N.context_activations(model, words, 0)


@pytest.mark.slow
def test_a_trained_mlp_has_units_for_recognisable_things(lecture_data):
    # part 3's MLP after 3,000 steps on the lectures' names: units whose 10 strongest contexts all end in a vowel,
    # all end in one letter, all hold a word's start
    model = trained(MLPConfig(w1_gain=5 / 3, b1_scale=None, w2_scale=0.01, b2_scale=0.0, batchnorm="std"),
                    lecture_data, steps=3000).model
    found = N.interesting_units(N.context_activations(model, lecture_data, 2))
    perfect = set(found.loc[found["hits"] == 10, "feature"])
    assert {"ends in a vowel", "contains the word's start"} <= perfect
    assert any(feature.startswith("ends in '") for feature in perfect)
