"""The model families, one config dataclass each, and the registry that builds a model from its config.

Part 1: `counting` (n-gram counts, the neural bigram); parts 2-4: `mlp`; part 5: `wavenet`;
makemore.py's sequence models: `sequence`. Each family module imports only `base` (the shared
interface); this registry imports them all, so nothing imports in a circle.
"""
from __future__ import annotations

from dataclasses import asdict, fields, replace

import torch

from .base import ConfigError, LanguageModel, cross_entropy, evaluating, layers_of
from .counting import NeuralBigram, NeuralBigramConfig, NGramConfig, NGramCounts, context_rows, lecture_mean_nll
from .mlp import MLP, ConcatEmbeddingNet, DeepMLP, DeepMLPConfig, MLPConfig
from .sequence import BoW, BoWConfig, GRUConfig, RecurrentNet, RNNConfig, Transformer, TransformerConfig
from .wavenet import WaveNet, WaveNetConfig

__all__ = [  # the package's names: the interface, every family's config and model, the registry
    "ConfigError", "LanguageModel", "cross_entropy", "evaluating", "layers_of",
    "NGramConfig", "NGramCounts", "NeuralBigramConfig", "NeuralBigram", "context_rows", "lecture_mean_nll",
    "ConcatEmbeddingNet", "MLPConfig", "MLP", "DeepMLPConfig", "DeepMLP", "WaveNetConfig", "WaveNet",
    "RNNConfig", "GRUConfig", "RecurrentNet", "BoWConfig", "BoW", "TransformerConfig", "Transformer",
    "LECTURE_FAMILIES", "SEQUENCE_FAMILIES", "FAMILIES", "build_model", "config_to_dict", "config_from_dict",
    "fitted_to",
]

LECTURE_FAMILIES: dict[str, tuple[type, type[LanguageModel]]] = {
    NGramConfig.family: (NGramConfig, NGramCounts),
    NeuralBigramConfig.family: (NeuralBigramConfig, NeuralBigram),
    MLPConfig.family: (MLPConfig, MLP),
    DeepMLPConfig.family: (DeepMLPConfig, DeepMLP),
    WaveNetConfig.family: (WaveNetConfig, WaveNet),
}
SEQUENCE_FAMILIES: dict[str, tuple[type, type[LanguageModel]]] = {  # makemore.py's: read whole words
    RNNConfig.family: (RNNConfig, RecurrentNet),
    GRUConfig.family: (GRUConfig, RecurrentNet),
    BoWConfig.family: (BoWConfig, BoW),
    TransformerConfig.family: (TransformerConfig, Transformer),
}
FAMILIES = {**LECTURE_FAMILIES, **SEQUENCE_FAMILIES}  # every family by name


def build_model(config, generator: torch.Generator | None = None) -> LanguageModel:
    """Instantiate the model a config describes, drawing its init from `generator`."""
    _, model_cls = FAMILIES[config.family]
    return model_cls(config, generator)


def config_to_dict(config) -> dict:
    return {"family": config.family, **asdict(config)}


def config_from_dict(data: dict):
    data = dict(data)
    config_cls, _ = FAMILIES[data.pop("family")]
    known = {f.name for f in fields(config_cls)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    return config_cls(**values)


def fitted_to(config, data):
    """A sequence model's config with makemore.py's block size for `data` (longest word + 1);
    any other config unchanged."""
    if config.family not in SEQUENCE_FAMILIES:
        return config
    return replace(config, block_size=data.max_word_length + 1)
