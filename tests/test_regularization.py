"""makemore.py's June 2022 recipe: dropout, GPT-2 init, weight decay on matmul weights only, gradient clipping."""
import json
from dataclasses import replace

import pytest
import torch

from makemore.data import DEFAULT_WORDS_PATH, WordData, read_words
from makemore.models import ConfigError, TransformerConfig, build_model
from makemore.models.sequence import SeededDropout
from makemore.presets import PRESETS
from makemore.training import TrainConfig, build_trainer
from tests.cli_helpers import last_json, run

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia", "harper", "evelyn"] * 3
SMALL = TransformerConfig(n_layer=2, n_head=2, n_embd=32, block_size=10)
ADAMW = TrainConfig(steps=100, batch_size=8, lr=5e-4, lr_decay_at=None, optimizer="adamw", stats_every=0)


def transformer(seed: int = 0, **settings):
    return build_model(replace(SMALL, **settings), torch.Generator().manual_seed(seed))


def test_dropout_zeroes_while_training_and_is_off_in_eval_mode():
    layer = SeededDropout(0.25)
    x = torch.ones(10_000)
    out = layer(x)
    dropped = (out == 0).float().mean().item()
    assert dropped == pytest.approx(0.25, abs=0.02)
    assert torch.allclose(out[out != 0], torch.full_like(out[out != 0], 1 / 0.75))  # the rest scaled up
    layer.eval()
    assert torch.equal(layer(x), x)


def test_a_model_with_dropout_is_reproducible_and_leaves_the_global_rng_alone():
    x = torch.randint(1, 27, (4, 10), generator=torch.Generator().manual_seed(1))
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    a, b = transformer(seed=3, dropout=0.2), transformer(seed=3, dropout=0.2)
    first, second = a.logits(x), a.logits(x)
    assert not torch.allclose(first, second)  # fresh masks at every pass
    assert torch.equal(b.logits(x), first)  # ... drawn from the model's own seeded generator
    assert torch.equal(torch.rand(3), expected)
    with torch.no_grad():
        a.eval()
        assert torch.equal(a.logits(x), a.logits(x))


def test_without_dropout_the_transformer_is_unchanged():
    a, b = transformer(seed=3), transformer(seed=3, dropout=0.0)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not any(isinstance(m, SeededDropout) and m.p > 0 for m in a.modules())


def test_dropout_out_of_range_says_why():
    with pytest.raises(ConfigError, match="dropout must be at least 0 and below 1"):
        transformer(dropout=1.0)


def test_gpt2_init_is_normal_with_std_0_02_and_zero_biases():
    model = build_model(TransformerConfig(init_std=0.02), torch.Generator().manual_seed(0))
    weights = [m.weight for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Embedding))]
    assert torch.cat([w.flatten() for w in weights]).std().item() == pytest.approx(0.02, rel=0.01)
    assert all(not m.bias.any() for m in model.modules() if isinstance(m, torch.nn.Linear) and m.bias is not None)
    default = build_model(TransformerConfig(), torch.Generator().manual_seed(0))
    assert default.wte.weight.std().item() == pytest.approx(1.0, rel=0.05)  # PyTorch's N(0, 1) embedding


def test_weight_decay_on_matmul_weights_only():
    data = WordData.from_words(WORDS)
    config = replace(ADAMW, weight_decay=0.1, decay_matmul_only=True)
    trainer = build_trainer(SMALL, config, data, seed=1)
    decayed, kept = trainer.stepper.optimizer.param_groups
    names = {id(p): name for name, p in trainer.model.named_parameters()}
    assert decayed["weight_decay"] == 0.1 and kept["weight_decay"] == 0.0
    assert {names[id(p)] for p in decayed["params"]} == {
        f"{name}.weight" for name, module in trainer.model.named_modules() if isinstance(module, torch.nn.Linear)}
    assert any(name.startswith("ln_f") for name in (names[id(p)] for p in kept["params"]))
    every = build_trainer(SMALL, replace(config, decay_matmul_only=False), data, seed=1)
    assert len(every.stepper.optimizer.param_groups) == 1


@pytest.mark.parametrize("clip, bounded", [(0.01, True), (None, False)])
def test_gradient_clipping_bounds_the_step(clip, bounded):
    data = WordData.from_words(WORDS)
    sgd = TrainConfig(steps=1, batch_size=8, lr=1.0, lr_decay_at=None, stats_every=0, grad_clip=clip)
    trainer = build_trainer(SMALL, sgd, data, seed=1)
    before = torch.cat([p.detach().flatten().clone() for p in trainer.model.parameters()])
    trainer.advance(1)
    after = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
    step = (after - before).norm().item()  # plain SGD with lr 1: the step is the (clipped) gradient
    assert (step <= 0.01 * 1.0001) is bounded


def test_the_2022_preset_is_makemore_py_of_june_2022():
    preset = PRESETS["transformer-2022"]
    assert (preset.model.dropout, preset.model.init_std, preset.seed) == (0.1, 0.02, 1337)
    train = preset.train
    assert (train.optimizer, train.lr, train.batch_size, train.weight_decay, train.decay_matmul_only,
            train.grad_clip) == ("adamw", 5e-4, 32, 0.1, True, 1.0)


@pytest.mark.slow
def test_the_2022_preset_trains_and_its_split_follows_its_seed(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(read_words(DEFAULT_WORDS_PATH)[:300]) + "\n")
    common = ["--input", str(names), "--split", "makemore"]
    summary = last_json(run("train", "--preset", "transformer-2022", *common, "--steps", "30", "--out", str(tmp_path)))
    assert summary["seed"] == 1337 and summary["test_loss"] < summary["first_loss"]
    assert summary["first_loss"] == pytest.approx(3.30, abs=0.05)  # N(0, 0.02) init: about a uniform guess
    evaluated = json.loads(run("evaluate", "--out", str(tmp_path), *common).stdout)
    assert evaluated["test_loss"] == pytest.approx(summary["test_loss"], abs=1e-6)  # the same test words
    split = WordData.from_words(read_words(names), split="makemore", seed=1337).splits["test"]
    assert split != WordData.from_words(read_words(names), split="makemore").splits["test"]  # not seed 3407's
