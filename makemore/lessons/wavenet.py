"""Part 5's views of the WaveNet hierarchy: its layer table, its BatchNorm statistics, the
dilated-convolution tree over one name, the 1000-step loss averages and the lecture's performance log."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from ..layers import BatchNorm1d
from ..models import ConfigError, WaveNetConfig, build_model, evaluating, layers_of
from ..stats.diagnostics import layer_blocks

LOSS_WINDOW = 1000  # the lecture's plot: torch.tensor(lossi).view(-1, 1000).mean(1)
TABLE_BATCH = 4  # contexts the lecture sends through its model to print each layer's shape


def level_groups(block_size: int, levels: int) -> tuple[int, ...]:
    """How many positions each FlattenConsecutive level fuses: 8 in 3 levels is (2, 2, 2), in 2 is (2, 4).

    The block size's prime factors, the smallest merged until there are `levels` of them.
    """
    factors, rest, p = [], block_size, 2
    while rest > 1:
        while rest % p == 0:
            factors.append(p)
            rest //= p
        p += 1
    if levels < 1 or len(factors) < levels:
        shown = " × ".join(map(str, factors)) or str(block_size)
        raise ConfigError(f"a context of {block_size} = {shown} can be fused in at most {max(len(factors), 1)} "
                          f"level{'s' if len(factors) > 1 else ''}, not {levels}: choose fewer levels or a "
                          "context like 8 or 16.")
    while len(factors) > levels:
        factors = sorted([factors[0] * factors[1], *factors[2:]])
    return tuple(factors)


def describe_groups(groups: tuple[int, ...]) -> str:
    """'flat' for one level, else '2 × 2 × 2'."""
    return "flat" if len(groups) == 1 else " × ".join(map(str, groups))


# ------------------------------------------------------------------------------------ layer table
def traced(config: WaveNetConfig, batch_size: int, seed: int) -> tuple[torch.Tensor, list]:
    """A random batch of contexts through a fresh network (eval mode): the batch and the layers, each holding
    its output."""
    generator = torch.Generator().manual_seed(seed)
    model = build_model(config, generator)
    idx = torch.randint(0, config.vocab_size, (batch_size, config.block_size), generator=generator)
    with evaluating(model):
        model.logits(idx)
    return idx, layers_of(model)


def layer_table(config: WaveNetConfig, batch_size: int = TABLE_BATCH, seed: int = 42) -> pd.DataFrame:
    """Each layer's input and output shape for a batch of `batch_size` and its parameter count, as the lecture
    prints them.

    Columns: layer (index), name (class), input shape, output shape, params, block (for the app's layer colours).
    """
    idx, layers = traced(config, batch_size, seed)
    outputs = [str(tuple(layer.out.shape)) for layer in layers]
    return pd.DataFrame({
        "layer": range(len(layers)),
        "name": [type(layer).__name__ for layer in layers],
        "input shape": [str(tuple(idx.shape)), *outputs[:-1]],
        "output shape": outputs,
        "params": [sum(p.numel() for p in layer.parameters()) for layer in layers],
        "block": layer_blocks(layers),
    })


def sequential_table(layers: pd.DataFrame) -> pd.DataFrame:
    """The layer table as the lecture's model: one `Sequential` holding every layer, its shapes the first
    layer's input and the last one's output, its parameters all of theirs; the layers indented beneath it."""
    model = pd.DataFrame({"layer": [""], "name": ["Sequential"], "input shape": [layers["input shape"].iloc[0]],
                          "output shape": [layers["output shape"].iloc[-1]], "params": [int(layers["params"].sum())]})
    inside = layers.drop(columns="block").assign(layer=layers["layer"].astype(str), name="  └ " + layers["name"])
    return pd.concat([model, inside], ignore_index=True)


@dataclass(frozen=True)
class GroupedMatmul:
    """A Linear applied to 3-D input: (batch, groups, n) @ (n, m) + (m), against the same rows flattened."""
    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    flat_input_shape: tuple[int, int]
    bias: bool  # the Linear has one (not before a BatchNorm)
    maxdiff: float  # between the 3-D product and the 2-D one reshaped


def grouped_matmul(config: WaveNetConfig, level: int, batch_size: int = TABLE_BATCH, seed: int = 42) -> GroupedMatmul:
    """The Linear of one level (0 the first) on a batch: torch.matmul treats every leading dimension as a batch,
    so (B, G, n) @ (n, m) is the (B * G, n) @ (n, m) product of all groups at once, reshaped."""
    _, layers = traced(config, batch_size, seed)
    linears = [i for i, layer in enumerate(layers) if type(layer).__name__ == "Linear"][:-1]  # not the output
    index = linears[level]
    x, linear, grouped = layers[index - 1].out, layers[index], layers[index].out.clone()
    flat_input = x.reshape(-1, x.shape[-1])
    with torch.no_grad():
        flat = linear(flat_input)
    return GroupedMatmul(tuple(x.shape), tuple(linear.weight.shape), tuple(grouped.shape), tuple(flat_input.shape),
                         linear.bias is not None, (grouped - flat.view(grouped.shape)).abs().max().item())


def batchnorm_table(config: WaveNetConfig, batch_size: int = 32) -> pd.DataFrame:
    """What each BatchNorm averages over in a training batch, and the shape of its running mean after it."""
    model = build_model(config, torch.Generator().manual_seed(0))  # its own generator: the global RNG stays as it was
    layers = layers_of(model)
    idx = torch.zeros((batch_size, config.block_size), dtype=torch.long)
    with torch.no_grad():  # one training-mode step of a throwaway model: BatchNorm uses the batch
        model.logits(idx)
    rows = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, BatchNorm1d):
            continue
        x = layers[i - 1].out
        dims = layer.reduce_dims(x)
        rows.append({
            "layer": i, "input shape": str(tuple(x.shape)),
            "averages over": "batch only" if dims == (0,) else "batch + positions",
            "numbers averaged": math.prod(x.shape[d] for d in dims),
            "running mean": str(tuple(layer.running_mean.shape)),
        })
    return pd.DataFrame(rows)


def running_mean_frame(model, channels: int = 16) -> pd.DataFrame:
    """The first BatchNorm's running mean over its first channels: channel, position, value.

    With part 5's bug the statistics of 3-D input are kept per position (one line each), otherwise
    one line for all positions.
    """
    bn = next((layer for layer in layers_of(model) if isinstance(layer, BatchNorm1d)), None)
    if bn is None:
        return pd.DataFrame(columns=["channel", "position", "value"])
    mean = bn.running_mean.detach().cpu()
    rows = mean[None] if mean.ndim == 1 else mean
    names = ["all positions"] if mean.ndim == 1 else [f"position {i}" for i in range(len(rows))]
    return pd.concat([pd.DataFrame({"channel": range(min(channels, row.numel())), "position": name,
                                    "value": row[:channels].numpy()}) for name, row in zip(names, rows)],
                     ignore_index=True)


# ------------------------------------------------------------------------------------ loss averages
def block_means(losses: pd.DataFrame, window: int = LOSS_WINDOW) -> pd.DataFrame:
    """Mean loss of each complete block of `window` consecutive steps: step (where the block ends), loss."""
    if losses.empty:
        return pd.DataFrame(columns=["step", "loss"])
    block = losses["step"] // window
    complete = block < (losses["step"].max() + 1) // window
    means = losses[complete].groupby(block[complete])["loss"].mean()
    return pd.DataFrame({"step": (means.index + 1) * window, "loss": means.to_numpy()})


# ------------------------------------------------------------------------------------ dilated convolution
def context_windows(word: str, block_size: int, boundary: str = ".") -> pd.DataFrame:
    """The word's training examples: window, context, target (len(word) + 1 rows, like the lecture's 8 for diondre)."""
    padded = boundary * block_size + word
    targets = word + boundary
    return pd.DataFrame({"window": range(len(targets)),
                         "context": [padded[i:i + block_size] for i in range(len(targets))],
                         "target": list(targets)})


def dilated_tree(groups: tuple[int, ...], word: str, window: int,
                 boundary: str = ".") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hierarchy run over every window of `word` at once, as a dilated convolution.

    Level 0 holds the input characters at their positions in the padded word; a level-k unit at
    position p fuses groups[k-1] units of level k-1 spaced span(k-1) apart and sees the characters
    p - span(k) + 1 .. p. Only units some window uses are kept. Returns (nodes, edges):
    nodes: level, position, sees (the characters it reads), selected (in `window`'s tree);
    edges: position, level, parent_position, parent_level, selected.
    """
    block_size = math.prod(groups)
    padded = boundary * block_size + word
    spans = [math.prod(groups[:k]) for k in range(len(groups) + 1)]  # inputs one unit of level k sees
    windows = range(len(word) + 1)
    used: dict[tuple[int, int], set[int]] = {}  # (level, position) -> windows using the unit
    for w in windows:
        last = w + block_size - 1
        for level, span in enumerate(spans):
            for j in range(block_size // span):
                used.setdefault((level, last - j * span), set()).add(w)
    nodes = pd.DataFrame([{"level": level, "position": p, "sees": padded[p - spans[level] + 1:p + 1],
                           "selected": window in ws} for (level, p), ws in sorted(used.items())])
    edges = pd.DataFrame([
        {"position": p - j * spans[level - 1], "level": level - 1, "parent_position": p, "parent_level": level,
         "selected": window in ws}
        for (level, p), ws in sorted(used.items()) if level > 0 for j in range(groups[level - 1])])
    return nodes, edges


def shared_units(nodes: pd.DataFrame, windows: int) -> tuple[int, int]:
    """(hidden units a convolution computes once for all windows, units if each window ran alone)."""
    hidden = nodes[nodes["level"] > 0]
    return len(hidden), int(hidden["selected"].sum()) * windows


# ------------------------------------------------------------------------------------ performance log
@dataclass(frozen=True)
class LogStep:
    """One line of the lecture's performance log: the change, its network, and what it printed."""
    change: str
    config: WaveNetConfig
    train: float
    dev: float


LECTURE_LOG = [
    LogStep("original: context 3", WaveNetConfig(block_size=3, n_embd=10, n_hidden=200, groups=(3,)), 2.058, 2.105),
    LogStep("context 3 → 8", WaveNetConfig(block_size=8, n_embd=10, n_hidden=200, groups=(8,)), 1.918, 2.027),
    LogStep("flat → hierarchical", WaveNetConfig(n_embd=10, n_hidden=68, bn_dim0_bug=True), 1.941, 2.029),
    LogStep("BatchNorm bug fixed", WaveNetConfig(n_embd=10, n_hidden=68), 1.912, 2.022),
    LogStep("scaled up", WaveNetConfig(n_embd=24, n_hidden=128), 1.769, 1.993),
]


def bug_matters(config: WaveNetConfig) -> bool:
    """The dim-0 bug only changes a BatchNorm that sees 3-D input: a hierarchy with BatchNorm."""
    return config.batchnorm and len(config.groups) > 1


def lecture_step(config: WaveNetConfig) -> LogStep | None:
    """The log line whose network this is (vocabulary size aside), if any."""
    def key(c: WaveNetConfig) -> tuple:
        return (c.block_size, c.n_embd, c.n_hidden, tuple(c.groups), c.batchnorm, c.bn_dim0_bug and bug_matters(c),
                c.output_scale)
    return next((step for step in LECTURE_LOG if key(step.config) == key(config)), None)


def performance_row(config: WaveNetConfig, params: int, steps: int, losses: dict) -> dict:
    """One row of the page's performance log, with the lecture's figures where it logged this network."""
    step = lecture_step(config)
    if not bug_matters(config):
        batchnorm = "2-D input: bug has no effect" if config.batchnorm else "off"
    else:
        batchnorm = "dim-0 bug" if config.bn_dim0_bug else "fixed"
    return {"change": step.change if step else "your own", "context": config.block_size,
            "levels": describe_groups(tuple(config.groups)), "n_embd": config.n_embd, "n_hidden": config.n_hidden,
            "BatchNorm": batchnorm, "params": params, "steps": steps,
            "train": losses.get("train_loss"), "dev": losses.get("dev_loss"),
            "lecture train": step.train if step else None, "lecture dev": step.dev if step else None}
