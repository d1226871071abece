"""The lectures' layers as torch.nn.Modules: same math, and each keeps its last output in `.out`.

Weights are (fan_in, fan_out) and applied as `x @ weight`, as in the lectures, so the numbers
and the shapes a student sees match the notebooks.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    """A lecture layer: forward() stores its result in `self.out` for inspection."""

    def __init__(self) -> None:
        super().__init__()
        self.out: torch.Tensor | None = None

    def keep(self, out: torch.Tensor) -> torch.Tensor:
        self.__dict__["out"] = out  # plain attribute: skips nn.Module.__setattr__ on the hot path
        return out


class Linear(Layer):
    """out = x @ weight (+ bias)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias) if bias is not None else None

    @classmethod
    def kaiming(cls, fan_in: int, fan_out: int, bias: bool = True, generator=None,
                scale_by_fan_in: bool = True) -> "Linear":
        """The lecture's init: randn((fan_in, fan_out)) / sqrt(fan_in), zero bias."""
        weight = torch.randn((fan_in, fan_out), generator=generator)
        if scale_by_fan_in:
            weight = weight / fan_in**0.5
        return cls(weight, torch.zeros(fan_out) if bias else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x @ self.weight
        if self.bias is not None:
            out = out + self.bias
        return self.keep(out)


class BatchNorm1d(Layer):
    """Batch normalization as in part 3: batch mean, Bessel-corrected batch variance.

    Training normalizes with the batch statistics and updates running estimates with momentum;
    eval mode uses the running estimates. For 3-D input (B, T, C) the statistics run over
    dims (0, 1); `dim0_only=True` reproduces part 5's bug of reducing over dim 0 alone.
    `track_std=True` is part 3's first, simpler form: divide by the batch std (no eps) and
    keep a running std.
    """

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1,
                 track_std: bool = False, dim0_only: bool = False) -> None:
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.track_std, self.dim0_only = track_std, dim0_only
        self.gamma = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))
        self.register_buffer("running_mean", torch.zeros(dim))
        self.register_buffer("running_var", torch.ones(dim))  # holds the std when track_std

    def reduce_dims(self, x: torch.Tensor) -> tuple[int, ...]:
        if x.ndim == 2 or self.dim0_only:
            return (0,)
        return tuple(range(x.ndim - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            dims = self.reduce_dims(x)
            mean = x.mean(dims, keepdim=True)
            spread = x.std(dims, keepdim=True) if self.track_std else x.var(dims, keepdim=True)
        else:
            mean, spread = self.running_mean, self.running_var
        if self.track_std:
            out = self.gamma * (x - mean) / spread + self.beta
        else:
            out = self.gamma * ((x - mean) / torch.sqrt(spread + self.eps)) + self.beta
        if self.training:
            with torch.no_grad():
                m = self.momentum
                # drop the reduced leading dims; with the dim-0 bug the stats stay per position
                self.running_mean = (1 - m) * self.running_mean + m * mean.flatten(0, len(dims) - 1).squeeze(0)
                self.running_var = (1 - m) * self.running_var + m * spread.flatten(0, len(dims) - 1).squeeze(0)
        return self.keep(out)


class Embedding(Layer):
    """A lookup table: out = weight[idx]."""

    def __init__(self, num_embeddings: int, embedding_dim: int, generator=None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn((num_embeddings, embedding_dim), generator=generator))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        return self.keep(self.weight[idx])


class FlattenConsecutive(Layer):
    """(B, T, C) -> (B, T/n, C*n): concatenate n consecutive positions; squeeze T when it reaches 1."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        return self.keep(x)

    def extra_repr(self) -> str:
        return f"n={self.n}"


class Sequential(Layer):
    """Layers applied in order; `layers` is the list the diagnostics number (0, 1, 2, ...)."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.keep(x)


class Nonlinearity(Layer):
    """An elementwise squashing function and where it stops passing gradient.

    `saturated` marks where the local gradient has almost vanished (for tanh |t| > 0.97, the
    lecture's measure); `dead` is the stricter mask of the lecture's white-column image.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.keep(self.fn(x))

    def fn(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def saturated(self, t: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def dead(self, t: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class Tanh(Nonlinearity):
    def fn(self, x):
        return torch.tanh(x)

    def saturated(self, t):
        return t.abs() > 0.97

    def dead(self, t):
        return t.abs() > 0.99


class Sigmoid(Nonlinearity):
    def fn(self, x):
        return torch.sigmoid(x)

    def saturated(self, t):
        return (t - 0.5).abs() > 0.485  # below 0.015 or above 0.985

    def dead(self, t):
        return (t - 0.5).abs() > 0.495


class ReLU(Nonlinearity):
    def fn(self, x):
        return torch.relu(x)

    def saturated(self, t):
        return t <= 0

    def dead(self, t):
        return t <= 0


class LeakyReLU(Nonlinearity):
    def fn(self, x):
        return F.leaky_relu(x, 0.01)

    def saturated(self, t):
        return t < 0  # the gradient is only 0.01 there

    def dead(self, t):
        return t < 0


class ELU(Nonlinearity):
    def fn(self, x):
        return F.elu(x)

    def saturated(self, t):
        return t < -0.97

    def dead(self, t):
        return t < -0.99


NONLINEARITIES: dict[str, type[Nonlinearity]] = {
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
}
