"""Sweeps: K copies of part 3's deep net that differ in one setting, trained together.

The copies start from the same random draws (one seed) and see the same minibatches, so copy k
is the single run with its setting (to float rounding). They train as one batched network (the
fast path's math, as in `engine`): every Linear is one `bmm` over the copies forward and two
backward, the second of which also takes the SGD step of its weights (`baddbmm_`); every
BatchNorm is one `native_batch_norm` whose channels are the copies' channels side by side; tanh
is 2 * sigmoid(2x) - 1; the embedding and BatchNorm parameters take one flat update. What varies:
the hidden layers' gain, the learning rate (as 10^exponent, one per copy) or the output layer's
scale. `models` holds each copy as a standalone network (its parameters are views of the stacks),
to evaluate or to sample from.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Iterator, Sequence

import pandas as pd
import torch

from ..data import WordData
from ..engine.fast_step import BATCH_NORM_BACKWARD, LOG_SOFTMAX_BACKWARD, NONLINEARITY_BACKWARD
from ..engine.flat import FlatParameters
from ..layers import BatchNorm1d, Linear, Nonlinearity, Tanh
from ..models import ConfigError, DeepMLP, DeepMLPConfig, build_model, layers_of
from ..stats.history import History
from .trainer import DIVERGENCE_FACTOR, TrainConfig, advance_within

SETTINGS = {  # what a sweep can vary: label shown per copy
    "gain": "gain",
    "lr_exponent": "learning rate 10^",
    "output_scale": "output scale",
}
MIN_COPIES, MAX_COPIES = 2, 16
ONE, TWO = torch.tensor(1.0), torch.tensor(2.0)  # 0-dim tensors: cheaper operands than Python floats


class Sweep:
    """K deep nets, one per value of `setting`, trained step for step on the same minibatches."""

    def __init__(self, base: DeepMLPConfig, train: TrainConfig, data: WordData, seed: int, setting: str,
                 values: Sequence[float], device: str = "cpu", threads: int | None = None) -> None:
        """threads: torch's intra-op threads while `advance` trains (None: the caller's setting)."""
        if not isinstance(base, DeepMLPConfig):
            raise ConfigError("a sweep trains copies of part 3's deep MLP")
        if setting not in SETTINGS:
            raise ConfigError(f"a sweep varies one of {', '.join(SETTINGS)}, not {setting!r}")
        if not MIN_COPIES <= len(values) <= MAX_COPIES:
            raise ConfigError(f"a sweep trains {MIN_COPIES} to {MAX_COPIES} copies, not {len(values)}")
        if train.batch_size is None or train.batch_size < 2:
            raise ConfigError("a sweep needs minibatches of at least 2 examples")
        self.setting, self.values, self.config, self.data = setting, list(values), train, data
        self.device, self.threads = device, threads
        base = replace(base, vocab_size=data.vocab.size)
        configs = [replace(base, **{setting: v}) if setting != "lr_exponent" else base for v in self.values]
        self.lrs = [10 ** v if setting == "lr_exponent" else train.lr for v in self.values]
        generators = [torch.Generator().manual_seed(seed) for _ in configs]
        self.models = [build_model(c, g).to(device) for c, g in zip(configs, generators)]
        self.g = generators[0]  # after the init draws: the minibatch stream of a single run
        self.X, self.Y = (t.to(device) for t in data.windows("train", base.block_size))
        self.net = _BatchedDeepNet(self.models)
        self.step = 0
        self.seconds = 0.0
        self.first_loss: list[float | None] = [None] * self.copies
        self.diverged_at: list[int | None] = [None] * self.copies
        self.loss_history = History(self.copies)
        self.saturation_history = History(self.copies, capacity=2048)

    @property
    def copies(self) -> int:
        return len(self.values)

    @property
    def labels(self) -> list[str]:
        return [f"{SETTINGS[self.setting]}{'' if self.setting == 'lr_exponent' else ' '}{v:.4g}" for v in self.values]

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps or all(d is not None for d in self.diverged_at)

    @property
    def steps_per_s(self) -> float:
        return self.step / self.seconds if self.seconds > 0 else math.nan

    def lrs_at(self, step: int) -> list[float]:
        decay_at = self.config.lr_decay_at
        factor = self.config.lr_decay if decay_at is not None and step >= decay_at else 1.0
        return [lr * factor for lr in self.lrs]

    def advance(self, n: int) -> int:
        """Train every copy n more steps (fewer at the end of the schedule); return how many."""
        n = max(0, min(n, self.config.steps - self.step))
        if n == 0 or self.done:
            return 0
        start = time.perf_counter()
        idx = torch.randint(0, self.X.shape[0], (n, self.config.batch_size), generator=self.g).to(self.device)
        Ys = self.Y[idx]
        rows, dlogprobs = self.net.chunk_inputs(self.X[idx], Ys)
        stats_every = self.config.stats_every
        target_logprobs, saturation, stat_steps = [], [], []
        with intra_op_threads(self.threads):
            for i in range(n):
                step = self.step + i
                target_logprobs.append(self.net.step(rows[i], Ys[i], dlogprobs[i], self.lrs_at(step)))
                if stats_every and step % stats_every == 0:
                    saturation.append(self.net.saturation())
                    stat_steps.append(step)
        self._record(-torch.stack(target_logprobs).mean(1).cpu(), stat_steps, saturation)
        self.step += n
        self.seconds += time.perf_counter() - start
        return n

    def advance_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` (or max_steps); see makemore.training.advance_within."""
        return advance_within(self, seconds, max_steps)

    def _record(self, losses: torch.Tensor, stat_steps: list[int], saturation: list[torch.Tensor]) -> None:
        """Append the chunk's losses (n, K) and saturation; mark copies whose loss blew up (NaN after)."""
        if self.step == 0:
            self.first_loss = [float(v) if math.isfinite(v) else None for v in losses[0].tolist()]
        steps = torch.arange(self.step, self.step + len(losses))
        for k in range(self.copies):
            limit = DIVERGENCE_FACTOR * max(self.first_loss[k] or 0.0, math.log(self.data.vocab.size))
            bad = (~torch.isfinite(losses[:, k]) | (losses[:, k] > limit)).nonzero()
            if self.diverged_at[k] is None and len(bad):
                self.diverged_at[k] = self.step + int(bad[0])
            if self.diverged_at[k] is not None:
                losses[steps >= self.diverged_at[k], k] = math.nan
        self.loss_history.append(steps, losses)
        if stat_steps:
            values = torch.stack(saturation).cpu()
            for k, at in enumerate(self.diverged_at):
                if at is not None:
                    values[torch.tensor(stat_steps) >= at, k] = math.nan
            self.saturation_history.append(torch.tensor(stat_steps), values)

    def loss_frame(self) -> pd.DataFrame:
        """Long-form training losses: step, copy (its label), value (of the setting), loss."""
        return self._frame(self.loss_history, "loss")

    def saturation_frame(self) -> pd.DataFrame:
        """Long-form saturation: step, copy, value, saturated_pct (share of hidden units with |h| > 0.97)."""
        return self._frame(self.saturation_history, "saturated_pct")

    def _frame(self, history: History, column: str) -> pd.DataFrame:
        steps, values = history.steps.numpy(), history.values.numpy()
        frame = pd.DataFrame({
            "step": steps.repeat(self.copies),
            "copy": self.labels * len(steps),
            "value": self.values * len(steps),
            column: values.reshape(-1),
        })
        return frame[frame[column].notna()].reset_index(drop=True)

    def evaluate(self, split: str) -> list[float]:
        """Each copy's mean negative log likelihood on a split (eval mode: BatchNorm's running stats)."""
        X, Y = self.data.windows(split, self.models[0].block_size)
        return [m.mean_nll(X, Y) for m in self.models]


@contextmanager
def intra_op_threads(threads: int | None) -> Iterator[None]:
    """torch's intra-op threads set to `threads` for the block (None: left as they are), then restored.

    torch keeps the setting per thread (OpenMP's): threads already at work keep theirs; one that
    starts torch work while the block runs takes the new value.
    """
    before = torch.get_num_threads()
    if threads is None or threads == before:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class _Block:
    """One Linear of the K copies (weights stacked (K, fan_in, fan_out)), with what follows it."""
    weight: torch.Tensor
    bias: torch.Tensor | None
    dbias: torch.Tensor | None
    batchnorm: _StackedBatchNorm | None = None
    nonlinearity: Nonlinearity | None = None


class _BatchedDeepNet:
    """The K copies' parameters stacked and stored flat; one fused forward and backward for all.

    Activations of a hidden layer are (B, K*C), each copy's channels side by side: the layout
    BatchNorm and the nonlinearity want; the batched matmuls read them as strided (K, B, C) views.
    The small parameters (embedding, BatchNorm, biases) come first in the flat buffer and take one
    SGD update over that prefix; each Linear's weights are updated inside their gradient's matmul
    (`baddbmm_`: W - lr * x^T dh), so the weights' gradients are never stored (a sweep keeps no
    gradient statistics). The copies' models keep their weights and running statistics: their
    parameters become views of the stacks.
    """

    def __init__(self, models: list[DeepMLP]) -> None:
        K, layers = len(models), layers_of(models[0])
        if not all(isinstance(layer, (Linear, BatchNorm1d, Nonlinearity)) for layer in layers):
            raise ConfigError("a sweep trains the deep MLP's Linear / BatchNorm1d / nonlinearity blocks")
        self.copies = K
        names = [name for name, _ in models[0].named_parameters()]
        weights = {f"layers.{i}.weight" for i, layer in enumerate(layers) if isinstance(layer, Linear)}
        order = sorted(range(len(names)), key=lambda i: names[i] in weights)  # small ones first, stable
        per_model = [list(m.parameters()) for m in models]
        self.flat = FlatParameters([torch.nn.Parameter(torch.stack([params[i].detach() for params in per_model]))
                                    for i in order])  # (K, ...) each
        for k, params in enumerate(per_model):  # each copy's model looks at its slice of the stacks
            for i, stack in zip(order, self.flat.params):
                params[i].data = stack[k]
        self._small_end = self.flat.offset(len(names) - len(weights))  # the small parameters' prefix
        stack_of = {names[i]: stack for i, stack in zip(order, self.flat.params)}
        grad_of = {names[i]: grad for i, grad in zip(order, self.flat.grads)}
        self.C, dC = stack_of["C"], grad_of["C"]
        self.blocks: list[_Block] = []
        for i, layer in enumerate(layers):
            name = f"layers.{i}"
            if isinstance(layer, Linear):
                self.blocks.append(_Block(stack_of[f"{name}.weight"], stack_of.get(f"{name}.bias"),
                                          grad_of.get(f"{name}.bias")))
            elif isinstance(layer, BatchNorm1d):
                self.blocks[-1].batchnorm = _StackedBatchNorm(
                    [layers_of(m)[i] for m in models], stack_of[f"{name}.gamma"], stack_of[f"{name}.beta"],
                    grad_of[f"{name}.gamma"], grad_of[f"{name}.beta"])
            else:
                self.blocks[-1].nonlinearity = layer
        V, E = self.C.shape[1:]
        self._table, self._dtable = self.C.view(K * V, E), dC.view(K * V, E)  # all copies' rows
        self._row_offsets = (torch.arange(K, device=self.C.device) * V).view(1, K, 1, 1)
        self._lrs: list[float] = []
        self._lr_layout = torch.empty(0)  # per-copy learning rates laid out like the flat parameters
        self._weight_lr = torch.empty(0)  # (K, 1, 1): minus each copy's learning rate
        self._hidden_outs: list[torch.Tensor] = []

    def chunk_inputs(self, Xs: torch.Tensor, Ys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """For n minibatches Xs (n, B, T), Ys (n, B): the embedding rows of every copy (n, K*B*T),
        and d loss / d log-probabilities (n, B, K, V): -1/B at each target."""
        n, B = Ys.shape
        rows = (Xs[:, None] + self._row_offsets).view(n, -1)  # copy k reads rows k*V.. of the table
        V = self.C.shape[1]
        d = torch.zeros((n, B, 1, V), device=Ys.device).scatter_(-1, Ys[:, :, None, None], -1.0 / B)
        return rows, d.expand(n, B, self.copies, V)

    def step(self, rows: torch.Tensor, Yb: torch.Tensor, dlogprobs: torch.Tensor, lrs: list[float]
             ) -> torch.Tensor:
        """One SGD step of every copy; returns (B, K) log-probabilities of the targets.

        Each layer copies its activations once each way: the matmul's (K, B, C) result into
        (B, K*C), and the gradient back.
        """
        K, B = self.copies, Yb.shape[0]
        self._set_lrs(lrs)
        x = torch.index_select(self._table, 0, rows).view(K, B, -1)  # (K, B, T*E)
        inputs, outs = [], []
        for block in self.blocks:
            inputs.append(x)
            h = torch.bmm(x, block.weight)  # (K, B, C)
            if block.bias is not None:
                h += block.bias[:, None, :]
            out = h.transpose(0, 1).reshape(B, -1)  # (B, K*C)
            fast_tanh = isinstance(block.nonlinearity, Tanh)
            if block.batchnorm is not None:
                out = block.batchnorm.forward(out, twice=fast_tanh)
            elif fast_tanh:
                out.mul_(TWO)
            if fast_tanh:
                out = tanh_of_twice_(out)
            elif block.nonlinearity is not None:
                out = block.nonlinearity.fn(out)
            outs.append(out)
            x = out.view(B, K, -1).transpose(0, 1)
        self._hidden_outs = [out for out, block in zip(outs, self.blocks) if block.nonlinearity is not None]
        logprobs = torch.log_softmax(outs[-1].view(B, K, -1), 2)  # (B, K, V)
        target_logprobs = logprobs.gather(2, Yb[:, None, None].expand(B, K, 1))
        d = LOG_SOFTMAX_BACKWARD(dlogprobs, logprobs, 2, logprobs.dtype).view(B, -1)  # (B, K*V)
        for block, x_in, out in zip(reversed(self.blocks), reversed(inputs), reversed(outs)):
            if block.nonlinearity is not None:
                d = NONLINEARITY_BACKWARD[type(block.nonlinearity)](d, out)
            if block.batchnorm is not None:
                d = block.batchnorm.backward(d)
            dh = d.view(B, K, -1).transpose(0, 1)  # (K, B, C), strided
            if block.dbias is not None:
                torch.sum(dh, 1, out=block.dbias)
            d = torch.bmm(dh, block.weight.transpose(1, 2))  # (K, B, fan_in), with the weights before the step
            self._update_weight(block.weight, x_in, dh)
            if block is not self.blocks[0]:
                d = d.transpose(0, 1).reshape(B, -1)  # (B, K*fan_in), like the previous block's output
        self._dtable.zero_().index_put_((rows,), d.view(-1, self._table.shape[1]), accumulate=True)  # as autograd
        self.flat.sgd(self._lr_layout if self._lr_layout.numel() else self._lrs[0], stop=self._small_end)
        return target_logprobs.view(B, K)

    def _set_lrs(self, lrs: list[float]) -> None:
        """Remember the copies' learning rates; one tensor of them per layout when they differ."""
        if lrs == self._lrs:
            return
        self._lrs = lrs
        if len(set(lrs)) == 1:  # one learning rate: a scalar, not a tensor of one per weight
            self._lr_layout, self._weight_lr = torch.empty(0), torch.empty(0)
            return
        per_copy = torch.tensor(lrs, dtype=self.flat.data.dtype, device=self.flat.data.device)
        self._lr_layout = self.flat.layout([per_copy.view(-1, *[1] * (p.dim() - 1)) for p in self.flat.params])
        self._weight_lr = -per_copy.view(-1, 1, 1)

    def _update_weight(self, weight: torch.Tensor, x_in: torch.Tensor, dh: torch.Tensor) -> None:
        """weight -= lr * (x_in^T @ dh), each copy with its learning rate, in one batched matmul."""
        if self._weight_lr.numel():
            weight.baddbmm_(x_in.transpose(1, 2), dh * self._weight_lr)
        else:
            weight.baddbmm_(x_in.transpose(1, 2), dh, alpha=-self._lrs[0])

    def saturation(self) -> torch.Tensor:
        """(K,): each copy's share (%) of saturated hidden units, over all its hidden nonlinearities."""
        B, K = self._hidden_outs[0].shape[0], self.copies
        nonlinearity = next(b.nonlinearity for b in self.blocks if b.nonlinearity is not None)
        saturated = sum(nonlinearity.saturated(out.view(B, K, -1)).sum((0, 2)) for out in self._hidden_outs)
        units = sum(out.numel() for out in self._hidden_outs) // K
        return saturated.float() * (100 / units)


def tanh_of_twice_(z: torch.Tensor) -> torch.Tensor:
    """tanh(z / 2) as 2 * sigmoid(z) - 1, in place.

    torch's CPU tanh is not vectorized here (about 2.6 ns an element against 0.5 for sigmoid),
    and the sweep's (B, K*C) activations make it a tenth of a step. The identity agrees with
    tanh to about 1e-7 (absolute); the factor 2 is folded into the BatchNorm before it, where
    scaling by a power of 2 is exact.
    """
    return z.sigmoid_().mul_(TWO).sub_(ONE)


class _StackedBatchNorm:
    """The lecture's BatchNorm1d of K copies at once: their channels side by side, (B, K*C)."""

    def __init__(self, layers: list[BatchNorm1d], gamma: torch.Tensor, beta: torch.Tensor,
                 dgamma: torch.Tensor, dbeta: torch.Tensor) -> None:
        self.first = layers[0]
        self.gamma, self.beta = gamma.view(-1), beta.view(-1)
        self.dgamma, self.dbeta = dgamma.view(-1), dbeta.view(-1)
        self.running_mean = torch.stack([layer.running_mean for layer in layers])
        self.running_var = torch.stack([layer.running_var for layer in layers])
        for k, layer in enumerate(layers):  # each copy's layer sees its row of the running statistics
            layer.running_mean, layer.running_var = self.running_mean[k], self.running_var[k]
        self.n, self.factor = 0, None

    def forward(self, x: torch.Tensor, twice: bool = False) -> torch.Tensor:
        """The normalized output, or twice it (exactly: see `tanh_of_twice_`)."""
        n = x.shape[0]
        if n != self.n:
            self.n, self.factor = n, torch.tensor(((n - 1) / n) ** 0.5, dtype=x.dtype, device=x.device)
            self.eps = self.first.eps * (n - 1) / n
        self.x, self.weight = x, self.gamma * self.factor
        weight, bias = (self.weight * TWO, self.beta * TWO) if twice else (self.weight, self.beta)
        out, self.mean, self.invstd = torch.native_batch_norm(
            x, weight, bias, self.running_mean.view(-1), self.running_var.view(-1), True,
            self.first.momentum, self.eps)
        return out

    def backward(self, dout: torch.Tensor) -> torch.Tensor:
        dx, dweight, dbeta = BATCH_NORM_BACKWARD(dout, self.x, self.weight, None, None, self.mean, self.invstd,
                                                 True, self.eps, [True, True, True])
        torch.mul(dweight, self.factor, out=self.dgamma)
        self.dbeta.copy_(dbeta)
        return dx
