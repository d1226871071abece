"""Presets build the lectures' models: parameter counts, first-step losses, RNG order."""
from dataclasses import replace

import pytest
import torch

from makemore.models import ConfigError, DeepMLPConfig, WaveNetConfig, build_model, config_from_dict, config_to_dict
from makemore.presets import PRESETS, SAMPLE_SEED
from makemore.training import build_trainer

LECTURE_PARAMS = {"bigram": 729, "bigram-nn": 729, "mlp": 11897, "mlp-bn": 12097, "deep": 47024,
                  "backprop": 12297, "wavenet": 76579,
                  # makemore.py's models at its defaults on names.txt (block size 16), counted from makemore.py
                  "rnn": 11803, "gru": 28315, "bow": 12827, "transformer": 204544, "transformer-2022": 204544}


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_parameter_counts(name):
    model = build_model(replace(PRESETS[name].model, vocab_size=27))
    assert model.num_params() == LECTURE_PARAMS[name]
    assert PRESETS[name].lecture.params == LECTURE_PARAMS[name]


@pytest.mark.parametrize("name, first_loss", [("mlp-bn", 3.3239), ("deep", 3.2870), ("wavenet", 3.3167)])
def test_first_step_loss_matches_the_lecture(lecture_data, name, first_loss):
    preset = PRESETS[name]
    trainer = build_trainer(preset.model, preset.train, lecture_data, preset.seed)
    trainer.advance(1)
    assert round(trainer.first_loss, 4) == first_loss


def test_mlp_init_follows_the_lecture_rng_order():
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 200), generator=g) * (5 / 3) / (30**0.5)
    W2 = torch.randn((200, 27), generator=g) * 0.01
    model = build_model(replace(PRESETS["mlp-bn"].model, vocab_size=27), torch.Generator().manual_seed(2147483647))
    assert torch.equal(model.C.data, C)
    assert torch.equal(model.layers[0].weight.data, W1)
    assert torch.equal(model.layers[3].weight.data, W2)
    assert model.layers[0].bias is None


def test_wavenet_seed_42_generator_is_the_global_stream():
    torch.manual_seed(42)
    emb = torch.randn((27, 24))
    model = build_model(replace(PRESETS["wavenet"].model, vocab_size=27), torch.Generator().manual_seed(42))
    assert torch.equal(model.layers[0].weight.data, emb)


def test_deep_config_variants_build():
    for nl in ["tanh", "sigmoid", "relu", "leaky_relu", "elu"]:
        model = build_model(DeepMLPConfig(n_layers=2, n_hidden=16, nonlinearity=nl, batchnorm=False))
        logits, loss = model(torch.randint(0, 27, (4, 3)), torch.randint(0, 27, (4,)))
        assert logits.shape == (4, 27) and torch.isfinite(loss)


def test_impossible_configs_say_why():
    with pytest.raises(ConfigError, match="product must equal the block size"):
        build_model(WaveNetConfig(block_size=8, groups=(2, 2)))
    with pytest.raises(ConfigError, match="unknown nonlinearity"):
        build_model(DeepMLPConfig(nonlinearity="swish"))


def test_config_round_trips_through_a_dict():
    cfg = WaveNetConfig(vocab_size=30, groups=(4, 2))
    assert config_from_dict(config_to_dict(cfg)) == cfg


def test_sample_seed_is_the_lectures():
    assert SAMPLE_SEED == 2147483647 + 10
