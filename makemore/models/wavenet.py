"""Part 5: the WaveNet-style hierarchy that fuses neighbouring characters level by level."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn as nn

from ..layers import BatchNorm1d, Embedding, FlattenConsecutive, Linear, Tanh
from .base import ConfigError, LanguageModel


@dataclass
class WaveNetConfig:
    """Part 5: embed, then fuse neighbours level by level (FlattenConsecutive) like a dilated CNN.

    `groups` lists how many consecutive positions each level fuses; their product is the block
    size. (2, 2, 2) is the lecture's hierarchy; (8,) is the flat MLP it started from.
    """
    family: ClassVar[str] = "wavenet"
    vocab_size: int = 27
    block_size: int = 8  # context length
    n_embd: int = 24  # embedding size
    n_hidden: int = 128  # neurons per level
    groups: tuple[int, ...] = (2, 2, 2)  # FlattenConsecutive factor per level
    batchnorm: bool = True
    bn_dim0_bug: bool = False  # part 5's bug: BatchNorm reduces over dim 0 only for 3-D input
    output_scale: float = 0.1  # last Linear's weight *= this (less confident at init)


class WaveNet(LanguageModel):
    def __init__(self, config: WaveNetConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        groups = tuple(config.groups)
        if not groups or math.prod(groups) != config.block_size:
            raise ConfigError(
                f"the levels fuse {' x '.join(map(str, groups)) or 'nothing'} = {math.prod(groups)} "
                f"positions but the context has {config.block_size}; their product must equal the block size."
            )
        V, H, g = config.vocab_size, config.n_hidden, generator
        layers: list[nn.Module] = [Embedding(V, config.n_embd, generator=g)]
        width = config.n_embd
        for n in groups:
            layers.append(FlattenConsecutive(n))
            layers.append(Linear.kaiming(width * n, H, bias=not config.batchnorm, generator=g))
            if config.batchnorm:
                layers.append(BatchNorm1d(H, dim0_only=config.bn_dim0_bug))
            layers.append(Tanh())
            width = H
        layers.append(Linear.kaiming(width, V, bias=True, generator=g))
        with torch.no_grad():
            layers[-1].weight.mul_(config.output_scale)
        self.layers = nn.ModuleList(layers)

    def logits(self, idx):
        x = idx  # (B, block_size)
        for layer in self.layers:
            x = layer(x)
        return x  # (B, vocab)
