"""Parts 2-4: the Bengio-style MLP and part 3's deep network, both built from the lecture layers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn as nn

from ..layers import NONLINEARITIES, BatchNorm1d, Linear, Tanh
from .base import ConfigError, LanguageModel


class ConcatEmbeddingNet(LanguageModel):
    """Embed each context character with C, concatenate the vectors, run the layer list."""

    def logits(self, idx):
        emb = self.C[idx]  # (B, block_size, n_embd)
        x = emb.view(emb.shape[0], -1)  # (B, block_size * n_embd)
        for layer in self.layers:
            x = layer(x)
        return x


@dataclass
class MLPConfig:
    """Parts 2-4: embed block_size chars, one tanh hidden layer, an output layer.

    The scale fields reproduce each lecture's hand-tuned init exactly:
    part 2 leaves everything unscaled; part 3 fixes it stop by stop (W2*0.01 and b2*0, then
    W1*0.2 and b1*0.01, then gain 5/3 instead of 0.2, then BatchNorm without b1);
    part 4 adds b1*0.1, W2*0.1, b2*0.1 and a noisy BatchNorm init.
    """
    family: ClassVar[str] = "mlp"
    vocab_size: int = 27
    block_size: int = 3  # context length: characters read to predict the next
    n_embd: int = 10  # size of each character's embedding vector
    n_hidden: int = 200  # neurons in the hidden layer
    w1_gain: float | None = None  # W1 *= gain / sqrt(fan_in) (5/3 = Kaiming for tanh); None: unscaled
    w1_scale: float = 1.0  # W1 *= scale, by hand (part 3's "tanh fixed" stop: 0.2)
    b1_scale: float | None = 1.0  # b1 = randn * scale; None: no b1 (BatchNorm makes it useless)
    w2_scale: float = 1.0  # W2 = randn * scale (0.01 fixes the hockey stick)
    b2_scale: float = 1.0  # b2 = randn * scale
    batchnorm: str = "none"  # "none"; "std": part 3's form (std, no eps); "var": var + eps (part 4)
    bn_momentum: float = 0.001  # running statistics: 0.999 * old + 0.001 * batch
    bn_init_noise: float = 0.0  # part 4: gain = 1 + noise*randn, bias = noise*randn (drawn last)
    # (how part 4 trains, by its hand-written backward pass, is the training config's: gradients="by_hand")


class MLP(ConcatEmbeddingNet):
    def __init__(self, config: MLPConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        V, H, fan_in = config.vocab_size, config.n_hidden, config.n_embd * config.block_size
        g = generator
        self.C = nn.Parameter(torch.randn((V, config.n_embd), generator=g))
        W1 = torch.randn((fan_in, H), generator=g)
        if config.w1_gain is not None:
            W1 = W1 * config.w1_gain / fan_in**0.5
        W1 = _scaled(W1, config.w1_scale)
        b1 = _scaled(torch.randn(H, generator=g), config.b1_scale) if config.b1_scale is not None else None
        W2 = _scaled(torch.randn((H, V), generator=g), config.w2_scale)
        b2 = _scaled(torch.randn(V, generator=g), config.b2_scale)
        layers: list[nn.Module] = [Linear(W1, b1)]
        if config.batchnorm != "none":
            if config.batchnorm not in ("std", "var"):
                raise ConfigError(f"unknown batchnorm form {config.batchnorm!r}")
            bn = BatchNorm1d(H, momentum=config.bn_momentum, track_std=config.batchnorm == "std")
            if config.bn_init_noise:
                with torch.no_grad():
                    bn.gamma.copy_(torch.randn((1, H), generator=g)[0] * config.bn_init_noise + 1.0)
                    bn.beta.copy_(torch.randn((1, H), generator=g)[0] * config.bn_init_noise)
            layers.append(bn)
        layers += [Tanh(), Linear(W2, b2)]
        self.layers = nn.ModuleList(layers)


def _scaled(t: torch.Tensor, scale: float) -> torch.Tensor:
    return t if scale == 1.0 else t * scale


# ---------------------------------------------------------------------------------------------
@dataclass
class DeepMLPConfig:
    """Part 3's deep network: n_layers x [Linear, (BatchNorm1d), nonlinearity], then the output.

    The lecture's setup is 5 hidden layers of 100 with BatchNorm, gain 1 and the last
    BatchNorm's gamma * 0.1. Without BatchNorm, gain 5/3 keeps tanh layers healthy.
    """
    family: ClassVar[str] = "deep_mlp"
    vocab_size: int = 27
    block_size: int = 3  # context length
    n_embd: int = 10  # embedding size
    n_hidden: int = 100  # neurons per hidden layer
    n_layers: int = 5  # hidden layers
    batchnorm: bool = True  # a BatchNorm1d after every Linear
    nonlinearity: str = "tanh"  # tanh, sigmoid, relu, leaky_relu or elu
    gain: float = 1.0  # hidden weights *= gain (5/3 is Kaiming for tanh)
    output_scale: float = 0.1  # last BatchNorm's gamma (or last weight, without BN) *= this
    scale_by_fan_in: bool = True  # weights = randn / sqrt(fan_in); False: part 2's raw randn
    bias: bool | None = None  # Linear biases; default: only without BatchNorm
    bn_momentum: float = 0.1  # running statistics momentum


class DeepMLP(ConcatEmbeddingNet):
    def __init__(self, config: DeepMLPConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        if config.nonlinearity not in NONLINEARITIES:
            raise ConfigError(f"unknown nonlinearity {config.nonlinearity!r}; choose from {', '.join(NONLINEARITIES)}")
        if config.n_layers < 1:
            raise ConfigError("the deep MLP needs at least one hidden layer")
        V, H, g = config.vocab_size, config.n_hidden, generator
        bias = (not config.batchnorm) if config.bias is None else config.bias
        self.C = nn.Parameter(torch.randn((V, config.n_embd), generator=g))
        layers: list[nn.Module] = []
        fan_in = config.n_embd * config.block_size
        for _ in range(config.n_layers):
            layers.append(Linear.kaiming(fan_in, H, bias, g, config.scale_by_fan_in))
            if config.batchnorm:
                layers.append(BatchNorm1d(H, momentum=config.bn_momentum))
            layers.append(NONLINEARITIES[config.nonlinearity]())
            fan_in = H
        layers.append(Linear.kaiming(fan_in, V, bias, g, config.scale_by_fan_in))
        if config.batchnorm:
            layers.append(BatchNorm1d(V, momentum=config.bn_momentum))
        with torch.no_grad():
            last = layers[-1]
            (last.gamma if config.batchnorm else last.weight).mul_(config.output_scale)
            for layer in layers[:-1]:
                if isinstance(layer, Linear):
                    layer.weight.mul_(config.gain)
        self.layers = nn.ModuleList(layers)
