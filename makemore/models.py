"""The lectures' models, one config dataclass per family, all behind one interface.

Every model answers `forward(idx, targets=None) -> (logits, loss)`, knows its `block_size`
(how many previous tokens it reads) and lists its inspectable `layers`, so that training,
evaluation, diagnostics and sampling never ask which model they hold. Parameters are drawn
from the generator in the order the lecture creates them, so a lecture seed gives the
lecture's numbers.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import NONLINEARITIES, BatchNorm1d, Embedding, FlattenConsecutive, Linear, Tanh

EVAL_CHUNK = 16384  # examples per forward pass when evaluating a whole split
MAX_COUNT_TABLE = 20_000_000  # entries of an n-gram count table before we refuse to build it


class ConfigError(ValueError):
    """A model configuration that cannot be built, with a message meant for people."""


def layers_of(model: nn.Module) -> list[nn.Module]:
    """A model's lecture layer list (numbered as in the notebooks); empty when it has none."""
    return list(getattr(model, "layers", []))


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean negative log likelihood; works for (B, V) logits and (B, T, V) with -1 = ignore."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)


@contextmanager
def evaluating(model: nn.Module):
    """Eval mode (BatchNorm uses its running statistics) and no grad, restoring the mode after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


class LanguageModel(nn.Module):
    """What every model shares: the interface the trainer, diagnostics and sampler use."""

    config: object
    fits_by_counting: ClassVar[bool] = False  # True: trained by counting, not by gradient steps
    manual_backward: bool = False  # True: trained with a hand-written backward pass (part 4)

    @property
    def block_size(self) -> int:
        return self.config.block_size

    def examples(self, data, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(X, Y) of a split in the form this model trains on: context windows by default."""
        return data.windows(split, self.block_size)

    def penalty(self) -> torch.Tensor | float:
        """A regularization term added to the training loss (0 unless the family has one)."""
        return 0.0

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = self.logits(idx)
        if targets is None:
            return logits, None
        return logits, cross_entropy(logits, targets) + self.penalty()

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def context_for(self, generated: list[int]) -> torch.Tensor:
        """The model's input after `generated` tokens: the last block_size tokens, boundary-padded."""
        window = ([0] * self.block_size + generated)[-self.block_size:]
        return torch.tensor([window], device=self.device)

    @property
    def device(self) -> torch.device:
        buffers = list(self.parameters()) + list(self.buffers())
        return buffers[0].device if buffers else torch.device("cpu")

    def next_token_probs(self, context: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """(1, block_size) context -> (1, vocab) probabilities of the next token."""
        logits = self.logits(context)
        return F.softmax(logits / temperature, dim=-1)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def mean_nll(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        """Mean negative log likelihood over (X, Y) in eval mode, chunked to bound memory."""
        total = 0.0
        with evaluating(self):
            for start in range(0, X.shape[0], EVAL_CHUNK):
                xb = X[start:start + EVAL_CHUNK].to(self.device)
                yb = Y[start:start + EVAL_CHUNK].to(self.device)
                total += cross_entropy(self.logits(xb), yb).double().item() * xb.shape[0]
        return total / X.shape[0]


# ---------------------------------------------------------------------------------------------
@dataclass
class NGramConfig:
    """Part 1's counting model: P(next | previous block_size tokens) from smoothed counts."""
    family: ClassVar[str] = "ngram"
    vocab_size: int = 27
    block_size: int = 1  # context length: 1 = bigram, 2 = trigram
    smoothing: float = 1.0  # fake counts added to every cell ("model smoothing")


def context_rows(idx: torch.Tensor, vocab_size: int, block_size: int) -> torch.Tensor:
    """The count-table row of each context (the last block_size tokens read as a base-vocab number)."""
    weights = vocab_size ** torch.arange(block_size - 1, -1, -1, device=idx.device)
    return (idx[:, -block_size:] * weights).sum(1)


def lecture_mean_nll(logprobs: torch.Tensor) -> float:
    """-mean of float32 log-probabilities summed one by one, like the lecture's `+=` loop."""
    running = np.add.accumulate(logprobs.float().cpu().numpy(), dtype=np.float32)
    return float(-running[-1] / len(running))


class NGramCounts(LanguageModel):
    """Counts of (context, next) pairs; P = (N + smoothing) row-normalized."""
    fits_by_counting = True

    def __init__(self, config: NGramConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        rows = config.vocab_size ** config.block_size
        if rows * config.vocab_size > MAX_COUNT_TABLE:
            raise ConfigError(
                f"a {config.block_size + 1}-gram table over {config.vocab_size} characters would have "
                f"{rows * config.vocab_size:,} cells; use a shorter context or a smaller vocabulary."
            )
        self.register_buffer("N", torch.zeros((rows, config.vocab_size), dtype=torch.int64))
        self._P_for, self._P = None, None  # P and the (counts version, storage, smoothing) it was made from

    def row_index(self, idx: torch.Tensor) -> torch.Tensor:
        """The count-table row of each context: the context read as a base-vocab number."""
        return context_rows(idx, self.config.vocab_size, self.block_size)

    def fit(self, X: torch.Tensor, Y: torch.Tensor) -> None:
        self.N.zero_()
        self.N.index_put_((self.row_index(X), Y), torch.ones_like(Y), accumulate=True)

    @property
    def P(self) -> torch.Tensor:
        """Row-normalized smoothed counts; a context never seen (a zero row, smoothing 0) is uniform.

        Made once per state of the counts (a trigram's table can have millions of cells, and
        sampling asks for it at every character); any change to N or the smoothing makes it anew.
        """
        made_from = (self.N._version, self.N.data_ptr(), self.config.smoothing)
        if made_from != self._P_for:
            P = (self.N + self.config.smoothing).float()
            totals = P.sum(1, keepdim=True)
            self._P = torch.where(totals > 0, P / totals.clamp_min(1e-30), 1.0 / P.shape[1])
            self._P_for = made_from
        return self._P

    def logits(self, idx):
        return self.P[self.row_index(idx)].log()

    def num_params(self) -> int:
        return self.N.numel()  # the counts are this model's parameters

    def mean_nll(self, X, Y) -> float:
        """The lecture's loop: log-probabilities summed one by one in float32, then / n.

        This running float32 sum is how the lecture printed 2.4544 for names.txt; summed
        exactly, the same log-probabilities average 2.45458.
        """
        return lecture_mean_nll(self.P[self.row_index(X.to(self.device)), Y.to(self.device)].log())

    def next_token_probs(self, context, temperature=1.0):
        p = self.P[self.row_index(context)]
        if temperature != 1.0:
            p = p ** (1.0 / temperature)
            p = p / p.sum(-1, keepdim=True)
        return p


# ---------------------------------------------------------------------------------------------
@dataclass
class NeuralBigramConfig:
    """Part 1's neural bigram: one-hot(previous char) @ W, trained by gradient descent."""
    family: ClassVar[str] = "bigram_nn"
    vocab_size: int = 27
    block_size: int = 1  # always 1: a bigram model reads one previous token
    regularization: float = 0.01  # weight of (W**2).mean() in the loss: smoothing's counterpart


class NeuralBigram(LanguageModel):
    def __init__(self, config: NeuralBigramConfig, generator=None) -> None:
        super().__init__()
        self.config = config
        self.W = nn.Parameter(torch.randn((config.vocab_size, config.vocab_size), generator=generator))

    def logits(self, idx):
        # one_hot(idx) @ W picks row idx of W: indexing gives the same numbers without the
        # (B, V) one-hot matrix, which matters for full-batch steps over 228K bigrams
        return self.W[idx[:, -1]]  # log-counts

    def penalty(self):
        return self.config.regularization * (self.W**2).mean()


# ---------------------------------------------------------------------------------------------
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
    part 2 leaves everything unscaled; part 3 uses gain 5/3, W2*0.01, b2*0 and BatchNorm;
    part 4 adds b1*0.1, W2*0.1, b2*0.1 and a noisy BatchNorm init.
    """
    family: ClassVar[str] = "mlp"
    vocab_size: int = 27
    block_size: int = 3  # context length: characters read to predict the next
    n_embd: int = 10  # size of each character's embedding vector
    n_hidden: int = 200  # neurons in the hidden layer
    w1_gain: float | None = None  # W1 *= gain / sqrt(fan_in) (5/3 = Kaiming for tanh); None: unscaled
    b1_scale: float | None = 1.0  # b1 = randn * scale; None: no b1 (BatchNorm makes it useless)
    w2_scale: float = 1.0  # W2 = randn * scale (0.01 fixes the hockey stick)
    b2_scale: float = 1.0  # b2 = randn * scale
    batchnorm: str = "none"  # "none"; "std": part 3's form (std, no eps); "var": var + eps (part 4)
    bn_momentum: float = 0.001  # running statistics: 0.999 * old + 0.001 * batch
    bn_init_noise: float = 0.0  # part 4: gain = 1 + noise*randn, bias = noise*randn (drawn last)
    manual_backward: bool = False  # part 4: train with the hand-written backward pass


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
        self.manual_backward = config.manual_backward


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


# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
FAMILIES: dict[str, tuple[type, type[LanguageModel]]] = {
    NGramConfig.family: (NGramConfig, NGramCounts),
    NeuralBigramConfig.family: (NeuralBigramConfig, NeuralBigram),
    MLPConfig.family: (MLPConfig, MLP),
    DeepMLPConfig.family: (DeepMLPConfig, DeepMLP),
    WaveNetConfig.family: (WaveNetConfig, WaveNet),
}


def families() -> dict[str, tuple[type, type[LanguageModel]]]:
    """Every model family by name: the lectures' and makemore.py's sequence models."""
    from .sequence_models import SEQUENCE_FAMILIES  # imports this module: resolved at call time
    return {**FAMILIES, **SEQUENCE_FAMILIES}


def build_model(config, generator: torch.Generator | None = None) -> LanguageModel:
    """Instantiate the model a config describes, drawing its init from `generator`."""
    _, model_cls = families()[config.family]
    return model_cls(config, generator)


def config_to_dict(config) -> dict:
    return {"family": config.family, **asdict(config)}


def config_from_dict(data: dict):
    data = dict(data)
    config_cls, _ = families()[data.pop("family")]
    known = {f.name for f in fields(config_cls)}
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known}
    return config_cls(**values)
