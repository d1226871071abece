"""makemore.py's sequence models: RNN, GRU, bag of words and Transformer, behind the lecture interface.

They read a whole word at once, as makemore.py does: a row is [0] + word (0-padded) and the
model predicts every next character in one pass, (B, T) -> (B, T, vocab) logits, with -1
targets ignored. Each model names the modules worth inspecting; forward hooks keep their
outputs in `.out` (see models/hooks.py), so part 3's diagnostics work on them unchanged.
Parameters get PyTorch's default initialization, drawn from the generator passed in (the
Transformer can take GPT-2's N(0, 0.02) instead, as makemore.py did until August 2022).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..layers import Tanh
from . import hooks
from .base import ConfigError, LanguageModel, evaluating

EVAL_ROWS = 512  # words per forward pass when evaluating a split (bounds the kept outputs)
NAMES_BLOCK_SIZE = 16  # names.txt's longest name (15) + 1: makemore.py's block size there


class SequenceModel(LanguageModel):
    """A model over whole rows: logits for every position, the last one used for sampling.

    Subclasses create their modules in `build` and list what to inspect in `inspect_plan`:
    (module path, block) pairs in forward order, the block naming the part of the network a
    chart colours it by ("embedding", "layer 1", ..., "output").
    """

    def __init__(self, config, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.config = config
        with torch.random.fork_rng(devices=[]):  # torch modules draw a default init from the global RNG
            self.build(config)
        self._draw_init(generator)
        self._seed_dropout(generator)
        self.inspected = self.inspect_plan()
        self.__dict__["_layers"] = [self.get_submodule(path) for path, _ in self.inspected]
        hooks.watch(self._layers)

    def build(self, config) -> None:
        raise NotImplementedError

    def inspect_plan(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    @property
    def layers(self) -> list[nn.Module]:
        """The inspected modules, in forward order; each keeps its last output in `.out`."""
        return self._layers

    @property
    def layer_names(self) -> list[str]:
        return [path for path, _ in self.inspected]

    @property
    def layer_blocks(self) -> list[str]:
        return [block for _, block in self.inspected]

    def parameter_block(self, name: str) -> str:
        """The block of a parameter: that of the inspected module it belongs to."""
        owners = [(path, block) for path, block in self.inspected if name.startswith(path + ".")]
        return max(owners, key=lambda owner: len(owner[0]))[1] if owners else name.split(".")[0]

    def examples(self, data, split):
        return data.sequences(split, self.block_size)

    def context_for(self, generated: list[int]) -> torch.Tensor:
        """[0] + what was generated, cropped to the last block_size tokens."""
        return torch.tensor([([0] + generated)[-self.block_size:]], device=self.device)

    def next_token_probs(self, context, temperature=1.0):
        logits = self.logits(context)[:, -1, :]  # (1, vocab): the prediction after the last token
        return F.softmax(logits / temperature, dim=-1)

    def mean_nll(self, X, Y) -> float:
        """Mean negative log likelihood per predicted character (the -1 padding excluded)."""
        total, count = 0.0, 0
        with evaluating(self):
            for start in range(0, X.shape[0], EVAL_ROWS):
                xb = X[start:start + EVAL_ROWS].to(self.device)
                yb = Y[start:start + EVAL_ROWS].to(self.device)
                logits = self.logits(xb)
                total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1),
                                         ignore_index=-1, reduction="sum").double().item()
                count += int((yb != -1).sum())
        hooks.forget(self.layers)
        return total / count

    def _draw_init(self, generator: torch.Generator | None) -> None:
        """PyTorch's default init (Linear: U(±1/sqrt(fan_in)); Embedding: N(0, 1)) drawn from `generator`,
        or, where the config sets `init_std`, GPT-2's: N(0, init_std) weights and zero biases."""
        if generator is None:
            return
        std = getattr(self.config, "init_std", None)
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear) and std is None:
                    bound = 1 / math.sqrt(module.in_features)
                    nn.init.uniform_(module.weight, -bound, bound, generator=generator)
                    if module.bias is not None:
                        nn.init.uniform_(module.bias, -bound, bound, generator=generator)
                elif isinstance(module, nn.Linear):
                    nn.init.normal_(module.weight, 0.0, std, generator=generator)
                    if module.bias is not None:
                        module.bias.zero_()
                elif isinstance(module, nn.Embedding):
                    nn.init.normal_(module.weight, 0.0, 1.0 if std is None else std, generator=generator)

    def _seed_dropout(self, generator: torch.Generator | None) -> None:
        """Give the model's dropout layers one generator of their own, seeded by a draw from `generator`
        (after the init): a run is reproducible and never touches the global RNG the server's sessions share."""
        layers = [m for m in self.modules() if isinstance(m, SeededDropout) and m.p > 0]
        if not layers:
            return
        seed = int(torch.randint(0, 2**62, (1,), generator=generator)) if generator is not None else 0
        shared = torch.Generator().manual_seed(seed)
        for layer in layers:
            layer.generator = shared


class SeededDropout(nn.Module):
    """nn.Dropout with the masks drawn from `generator` (set by the model): while training, each value is
    zeroed with probability p and the rest scaled by 1/(1-p); in eval mode it passes x through."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ConfigError(f"dropout must be at least 0 and below 1, not {p:g}")
        self.p = p
        self.generator = torch.Generator()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        if self.generator.device != x.device:  # a GPU run draws its masks on the GPU, seeded from ours
            seed = int(torch.randint(0, 2**62, (1,), generator=self.generator))
            self.generator = torch.Generator(x.device).manual_seed(seed)
        mask = torch.empty_like(x).bernoulli_(keep, generator=self.generator)
        return x * mask.mul_(1.0 / keep)

    def extra_repr(self) -> str:
        return f"p={self.p:g}"


# ---------------------------------------------------------------------------------------------
@dataclass
class RNNConfig:
    """A vanilla recurrent net (Mikolov et al. 2010): h_t = tanh(W [x_t, h_t-1] + b), makemore.py's sizes."""
    family: ClassVar[str] = "rnn"
    vocab_size: int = 27
    block_size: int = NAMES_BLOCK_SIZE  # tokens read: longest word + 1 (a longer word gets extra rows)
    n_embd: int = 64  # character embedding size
    n_embd2: int = 64  # hidden state size


@dataclass
class GRUConfig(RNNConfig):
    """A gated recurrent unit (Cho et al. 2014): gates decide what to keep of the previous state."""
    family: ClassVar[str] = "gru"


class RNNCell(nn.Module):
    """h_t = tanh(xh_to_h([x_t, h_t-1]))."""

    def __init__(self, n_embd: int, n_embd2: int) -> None:
        super().__init__()
        self.xh_to_h = nn.Linear(n_embd + n_embd2, n_embd2)

    def forward(self, xt: torch.Tensor, hprev: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.xh_to_h(torch.cat([xt, hprev], dim=1)))


class GRUCell(nn.Module):
    """r resets part of h_t-1 for the candidate hbar; z blends: h_t = (1 - z) * h_t-1 + z * hbar."""

    def __init__(self, n_embd: int, n_embd2: int) -> None:
        super().__init__()
        self.xh_to_z = nn.Linear(n_embd + n_embd2, n_embd2)
        self.xh_to_r = nn.Linear(n_embd + n_embd2, n_embd2)
        self.xh_to_hbar = nn.Linear(n_embd + n_embd2, n_embd2)

    def forward(self, xt: torch.Tensor, hprev: torch.Tensor) -> torch.Tensor:
        xh = torch.cat([xt, hprev], dim=1)
        r = torch.sigmoid(self.xh_to_r(xh))  # reset gate
        hbar = torch.tanh(self.xh_to_hbar(torch.cat([xt, r * hprev], dim=1)))  # candidate state
        z = torch.sigmoid(self.xh_to_z(xh))  # update gate
        return (1 - z) * hprev + z * hbar


class Recurrence(nn.Module):
    """Run a cell along the sequence from a learned start state: (B, T, n_embd) -> (B, T, n_embd2).

    One module for the whole loop, so its kept output is every hidden state of the batch.
    """

    def __init__(self, cell: nn.Module, n_embd2: int) -> None:
        super().__init__()
        self.start = nn.Parameter(torch.zeros(1, n_embd2))  # h_0, learned
        self.cell = cell

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        h = self.start.expand(emb.shape[0], -1)
        states = []
        for t in range(emb.shape[1]):
            h = self.cell(emb[:, t], h)  # (B, n_embd2)
            states.append(h)
        return torch.stack(states, 1)  # (B, T, n_embd2)


class RecurrentNet(SequenceModel):
    """Embed each character, run the recurrence, read the next character off each hidden state."""

    def build(self, config: RNNConfig) -> None:
        cell = (GRUCell if config.family == "gru" else RNNCell)(config.n_embd, config.n_embd2)
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.rnn = Recurrence(cell, config.n_embd2)
        self.lm_head = nn.Linear(config.n_embd2, config.vocab_size)

    def inspect_plan(self):
        return [("wte", "embedding"), ("rnn", "layer 1"), ("lm_head", "output")]

    def logits(self, idx):
        return self.lm_head(self.rnn(self.wte(idx)))  # (B, T, vocab)


# ---------------------------------------------------------------------------------------------
@dataclass
class BoWConfig:
    """Bag of words: each position averages the embeddings up to it, then a tanh MLP (makemore.py's sizes)."""
    family: ClassVar[str] = "bow"
    vocab_size: int = 27
    block_size: int = NAMES_BLOCK_SIZE  # tokens read: longest word + 1
    n_embd: int = 64  # embedding size (characters and positions)
    n_embd2: int = 64  # hidden units of the MLP


class CausalAverage(nn.Module):
    """Position t's output is the mean of the inputs at positions 0..t: attention with equal weights."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        counts = torch.arange(1, x.shape[1] + 1, device=x.device, dtype=x.dtype)
        return x.cumsum(1) / counts[:, None]  # (B, T, C)


class FeedForward(nn.Module):
    """c_proj(act(c_fc(x))): the per-position MLP of a block."""

    def __init__(self, n_embd: int, n_hidden: int, act: nn.Module) -> None:
        super().__init__()
        self.c_fc = nn.Linear(n_embd, n_hidden)
        self.act = act
        self.c_proj = nn.Linear(n_hidden, n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(self.act(self.c_fc(x)))


class BoWBlock(nn.Module):
    """x + average of the past, then x + MLP(x)."""

    def __init__(self, config: BoWConfig) -> None:
        super().__init__()
        self.cbow = CausalAverage()
        self.mlp = FeedForward(config.n_embd, config.n_embd2, Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.cbow(x)
        return x + self.mlp(x)


class BoW(SequenceModel):
    """Character + position embeddings, one bag-of-words block, then the output layer."""

    def build(self, config: BoWConfig) -> None:
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.context_block = BoWBlock(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)

    def inspect_plan(self):
        return [("wte", "embedding"), ("wpe", "embedding"), ("context_block.cbow", "layer 1"),
                ("context_block.mlp.c_fc", "layer 1"), ("context_block.mlp.act", "layer 1"),
                ("context_block.mlp.c_proj", "layer 1"), ("lm_head", "output")]

    def logits(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device))  # (B, T, n_embd)
        return self.lm_head(self.context_block(x))


# ---------------------------------------------------------------------------------------------
@dataclass
class TransformerConfig:
    """A GPT-style decoder (Vaswani et al. 2017), makemore.py's default: 4 layers, 4 heads, 64 channels."""
    family: ClassVar[str] = "transformer"
    vocab_size: int = 27
    block_size: int = NAMES_BLOCK_SIZE  # tokens read: longest word + 1 (the position table's length)
    n_layer: int = 4  # Transformer blocks
    n_head: int = 4  # attention heads per block (n_embd is split between them)
    n_embd: int = 64  # channels of the residual stream
    dropout: float = 0.0  # while training, share of the embeddings, attention weights and residual-branch
    #                       outputs zeroed (makemore.py: 0.1 until August 2022, then none)
    init_std: float | None = None  # None: PyTorch's default init (makemore.py today); 0.02: GPT-2's
    #                                N(0, 0.02) weights, zero biases (makemore.py until August 2022)


class CausalSelfAttention(nn.Module):
    """Multi-head attention where each position reads only itself and the positions before it.

    Keeps the attention weights of its last forward pass in `.att`: (B, n_head, T, T), each row
    a probability distribution over the keys, zero above the diagonal.
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)  # queries, keys and values of all heads at once
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout, self.resid_dropout = SeededDropout(dropout), SeededDropout(dropout)
        self.register_buffer("causal", torch.tril(torch.ones(block_size, block_size, dtype=torch.bool)),
                             persistent=False)
        self.att: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        heads = [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
                 for t in self.c_attn(x).split(C, dim=2)]
        q, k, v = heads
        scores = q @ k.transpose(-2, -1) / math.sqrt(k.shape[-1])  # (B, nh, T, T)
        att = F.softmax(scores.masked_fill(~self.causal[:T, :T], float("-inf")), dim=-1)
        self.__dict__["att"] = att.detach()
        y = (self.attn_dropout(att) @ v).transpose(1, 2).reshape(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))


class Block(nn.Module):
    """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)): pre-norm, as in GPT-2."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config.n_embd, config.n_head, config.block_size, config.dropout)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = FeedForward(config.n_embd, 4 * config.n_embd, nn.GELU(approximate="tanh"))
        self.mlp_dropout = SeededDropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_dropout(self.mlp(self.ln_2(x)))


class Transformer(SequenceModel):
    """Character + position embeddings, n_layer blocks, a final LayerNorm and the output layer."""

    def build(self, config: TransformerConfig) -> None:
        if config.n_embd % config.n_head:
            raise ConfigError(f"{config.n_embd} channels cannot be split evenly between {config.n_head} heads; "
                              "pick a head count that divides the embedding size.")
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = SeededDropout(config.dropout)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def inspect_plan(self):
        plan = [("wte", "embedding"), ("wpe", "embedding")]
        for i in range(self.config.n_layer):
            plan += [(f"h.{i}.{part}", f"layer {i + 1}")
                     for part in ("ln_1", "attn", "ln_2", "mlp.c_fc", "mlp.act", "mlp.c_proj")]
        return plan + [("ln_f", "output"), ("lm_head", "output")]

    def logits(self, idx):
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device)))  # (B, T, n_embd)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))  # (B, T, vocab)

    def attention(self) -> list[torch.Tensor]:
        """Each block's attention weights from the last forward pass: n_layer x (B, n_head, T, T)."""
        return [block.attn.att for block in self.h]
