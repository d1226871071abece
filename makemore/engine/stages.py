"""The fast engine's stages: each lecture layer's forward and hand-written backward, for K copies at once.

K copies of one network (a sweep; one run is K = 1) keep their activations as (rows, K*C): each
copy's channels side by side, the layout BatchNorm (one `native_batch_norm` over every copy's
channels) and the nonlinearities want. A Linear reads them as a strided (K, rows, C) view for one
batched product (`bmm`); for K = 1 they are plain (rows, C) and it uses `mm`, so that a net without
BatchNorm trains bit for bit as the lecture's loop does. A (B, T, C) tensor is kept as (B*T, C)
rows, so FlattenConsecutive is a view and BatchNorm over dims (0, 1) is BatchNorm over the rows.

Parameters come stacked, (K, ...) views of the flat buffer (`flat.FlatParameters`), their gradients
beside them. forward(x) keeps what backward needs; backward(dout) writes the stage's gradients and
returns d loss / d x. Stages compute with detached aliases, so no autograd graph is built.
"""
from __future__ import annotations

import torch

from ..layers import ELU, BatchNorm1d, LeakyReLU, ReLU, Sigmoid, Tanh

aten = torch.ops.aten
ONE, TWO = torch.tensor(1.0), torch.tensor(2.0)  # 0-dim tensors: cheaper operands than Python floats

# d loss / d input of each nonlinearity from d loss / d output and the output (autograd's kernels)
NONLINEARITY_BACKWARD = {
    Tanh: aten.tanh_backward.default,
    Sigmoid: aten.sigmoid_backward.default,
    ReLU: lambda dout, out: aten.threshold_backward.default(dout, out, 0),
    LeakyReLU: lambda dout, out: aten.leaky_relu_backward.default(dout, out, 0.01, True),
    ELU: lambda dout, out: aten.elu_backward.default(dout, 1.0, 1, 1, True, out),
}
BATCH_NORM_BACKWARD = aten.native_batch_norm_backward.default


def copies_major(x: torch.Tensor, copies: int) -> torch.Tensor:
    """(rows, K*C) side by side -> a (K, rows, C) view; a (K, rows, C) tensor as it is."""
    return x if x.dim() == 3 else x.view(x.shape[0], copies, -1).transpose(0, 1)


def side_by_side(x: torch.Tensor) -> torch.Tensor:
    """(K, rows, C) -> (rows, K*C), a copy."""
    return x.transpose(0, 1).reshape(x.shape[1], -1)


class Rates:
    """Each copy's learning rate for the step: the schedule's `lr` times the copy's scale.

    `flat` is what the flat SGD update takes (a number, or one per weight laid out like the flat
    buffer) and `weight` what a fused Linear update multiplies its gradient by (minus the rate: a
    number, or (K, 1, 1)). Both are remade only when the schedule's lr changes.
    """

    def __init__(self, parameters, scales: list[float] | None) -> None:
        """parameters: the flat.FlatParameters of the copies' stacks."""
        self._parameters, self.scales = parameters, (scales if scales and set(scales) != {1.0} else None)
        self.lr: float | None = None
        self.flat: float | torch.Tensor = 0.0
        self.weight: float | torch.Tensor = 0.0

    def set(self, lr: float) -> None:
        if lr == self.lr:
            return
        self.lr = lr
        if self.scales is None:
            self.flat, self.weight = lr, -lr
            return
        parameters = self._parameters
        per_copy = torch.tensor([lr * s for s in self.scales], dtype=parameters.data.dtype,
                                device=parameters.data.device)
        self.flat = parameters.layout([per_copy.view(-1, *[1] * (p.dim() - 1)) for p in parameters.params])
        self.weight = -per_copy.view(-1, 1, 1)


class EmbedStage:
    """A lookup table: the MLPs' C[idx].view(B, -1) (concat), or WaveNet's Embedding layer ((B*T, E) rows).

    The copies' tables are stacked into one (K*V, E), and K copies read idx (K, B, T) with copy k's
    indices offset by k*V (see `FastStep.batches`); one copy reads (B, T). For K > 1 the lookup is
    (K, B, T*E), copy-major: what the first Linear's batched product reads.
    """

    def __init__(self, table: torch.Tensor, dtable: torch.Tensor, concat: bool, layer=None) -> None:
        self.layer, self.concat = layer, concat
        self.table, self.dtable = table.view(-1, table.shape[-1]), dtable.view(-1, table.shape[-1])

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        self.idx = idx
        emb = torch.embedding(self.table, idx)  # (..., T, E); F.embedding without its Python checks
        return emb.view(*idx.shape[:-1], -1) if self.concat else emb.view(-1, self.table.shape[1])

    def backward(self, dout: torch.Tensor) -> None:
        demb = dout.view(*self.idx.shape, self.table.shape[1])
        self.dtable.zero_().index_put_((self.idx,), demb, accumulate=True)  # what autograd does for C[idx]


class LinearStage:
    """x @ W (+ b) of K copies: `mm` for one, one `bmm` over the copies' (K, rows, C) views for more.

    With `rates` (a fused update) the weights take their SGD step inside the backward, in the product
    that would have made their gradient (`baddbmm_`: W -= lr * x^T dh), which is then never stored;
    without, the gradient goes to the flat buffer for the flat update and the statistics.
    """

    def __init__(self, layer, weight: torch.Tensor, dweight: torch.Tensor, bias: torch.Tensor | None,
                 dbias: torch.Tensor | None, rates: Rates | None = None) -> None:
        self.layer, self.copies, self.rates = layer, weight.shape[0], rates
        self.stacked = weight  # (K, fan_in, fan_out)
        one = self.copies == 1
        self.matmul = torch.mm if one else torch.bmm
        self.weight, self.dweight = (weight[0], dweight[0]) if one else (weight, dweight)
        self.weight_t = self.weight.transpose(-2, -1)
        self.bias = None if bias is None else (bias[0] if one else bias[:, None, :])
        self.dbias = None if dbias is None else (dbias[0] if one else dbias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.x = x
        self.xk = x if self.copies == 1 else copies_major(x, self.copies)
        out = self.matmul(self.xk, self.weight)
        if self.bias is not None:
            out += self.bias  # not addmm: it rounds differently from the lecture's x @ W + b
        return out if self.copies == 1 else side_by_side(out)

    def backward(self, dout: torch.Tensor) -> torch.Tensor:
        dh = dout if self.copies == 1 else copies_major(dout, self.copies)
        if self.dbias is not None:
            torch.sum(dh, -2, out=self.dbias)
        dx = self.matmul(dh, self.weight_t)  # with the weights before the step
        if self.rates is None:
            self.matmul(self.xk.transpose(-2, -1), dh, out=self.dweight)
        else:
            self._update_weight(dh)
        return dx if self.x.dim() == dx.dim() else side_by_side(dx)

    def _update_weight(self, dh: torch.Tensor) -> None:
        """W -= lr * (x^T @ dh), each copy with its own rate, in one batched product."""
        xk, dh = (self.xk[None], dh[None]) if self.copies == 1 else (self.xk, dh)
        rate = self.rates.weight
        if isinstance(rate, torch.Tensor):
            self.stacked.baddbmm_(xk.transpose(1, 2), dh * rate)
        else:
            self.stacked.baddbmm_(xk.transpose(1, 2), dh, alpha=rate)


class BatchNormStage:
    """The lecture's BatchNorm1d (Bessel-corrected batch variance) of K copies as torch's fused kernels.

    torch normalizes with the biased variance var_b = var * (n-1)/n; scaling gamma by sqrt((n-1)/n)
    and eps by (n-1)/n gives exactly gamma * (x - mean) / sqrt(var + eps), and its running variance
    is the unbiased one, like the lecture's. The copies' channels lie side by side, so one kernel
    normalizes them all; their running statistics are stacked (K, C) and each copy's layer sees its
    row. Part 3's first form (divide by the unbiased std, no eps, keep a running std) is eps 0 and a
    running std updated here. Part 5's bug (statistics over dim 0 alone, one run only) normalizes
    (B, T*C): one channel per position and feature, gamma and beta repeated over the positions,
    running statistics kept (T, C).

    `twice`: give twice the output (exact: a power of 2), for a tanh computed as `tanh_of_twice_`.
    """

    def __init__(self, layers: list[BatchNorm1d], gamma: torch.Tensor, dgamma: torch.Tensor,
                 beta: torch.Tensor, dbeta: torch.Tensor) -> None:
        self.layers, self.layer, self.copies = layers, layers[0], len(layers)
        self.gamma, self.beta = gamma.view(-1), beta.view(-1)  # (K*C)
        self.dgamma, self.dbeta = dgamma.view(-1), dbeta.view(-1)
        self.n, self.factor = 0, None
        self.batch = 0  # examples in the step, set by FastStep for the dim-0 bug (rows / batch = positions)
        self.twice = False
        if self.copies > 1:  # (K*C): one row of (K, C) for each copy's layer
            self.running = {name: torch.stack([layer._buffers[name] for layer in layers])
                            for name in ("running_mean", "running_var")}
            for k, layer in enumerate(layers):
                for name, stack in self.running.items():
                    layer._buffers[name] = stack[k]
            self.running = {name: stack.view(-1) for name, stack in self.running.items()}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layer = self.layer
        positions = x.shape[0] // self.batch if layer.dim0_only else 1
        self.rows, self.positions = x.shape, positions
        if positions > 1:
            x = x.view(self.batch, -1)  # (B, T*C)
        n = x.shape[0]
        if n != self.n:  # a 0-dim tensor multiplies faster than a Python float
            self.n, self.factor = n, torch.tensor(((n - 1) / n) ** 0.5, dtype=x.dtype, device=x.device)
        self.x, self.weight = x, self.gamma * self.factor
        # one copy's are looked up each step: the lecture's layer rebinds its buffers when it runs
        buffers = layer._buffers if self.copies == 1 else self.running
        if positions > 1:
            return self._forward_per_position(x, buffers).view(self.rows)
        weight, bias = (self.weight * TWO, self.beta * TWO) if self.twice else (self.weight, self.beta)
        if layer.track_std:
            self.eps = 0.0
            out, self.mean, self.invstd = torch.native_batch_norm(x, weight, bias, None, None, True, 0.0, 0.0)
            buffers["running_mean"].lerp_(self.mean, layer.momentum)
            buffers["running_var"].lerp_(self.invstd.reciprocal() / self.factor, layer.momentum)
        else:
            self.eps = layer.eps * (n - 1) / n
            out, self.mean, self.invstd = torch.native_batch_norm(
                x, weight, bias, buffers["running_mean"], buffers["running_var"], True, layer.momentum, self.eps)
        return out

    def _forward_per_position(self, x: torch.Tensor, buffers: dict) -> torch.Tensor:
        """The dim-0 bug on (B, T*C): like the lecture's first update, (C,) running statistics
        broadcast to (T, C) and stay so."""
        layer, positions = self.layer, self.positions
        for name in ("running_mean", "running_var"):
            if buffers[name].dim() == 1:
                buffers[name] = buffers[name].expand(positions, -1).contiguous()
        self.eps = layer.eps * (self.n - 1) / self.n
        weight, bias = self.weight.repeat(positions), self.beta.repeat(positions)
        out, self.mean, self.invstd = torch.native_batch_norm(
            x, weight, bias, buffers["running_mean"].view(-1), buffers["running_var"].view(-1), True,
            layer.momentum, self.eps)
        self.weight = weight
        return out

    def backward(self, dout: torch.Tensor) -> torch.Tensor:
        if self.positions > 1:
            dout = dout.view(self.x.shape)
        dx, dweight, dbeta = BATCH_NORM_BACKWARD(dout, self.x, self.weight, None, None, self.mean, self.invstd,
                                                 True, self.eps, [True, True, True])
        if self.positions > 1:  # gamma and beta were repeated per position: their gradients add up
            dweight, dbeta = dweight.view(self.positions, -1).sum(0), dbeta.view(self.positions, -1).sum(0)
            dx = dx.view(self.rows)
        torch.mul(dweight, self.factor, out=self.dgamma)
        self.dbeta.copy_(dbeta)
        return dx


class NonlinearityStage:
    """An elementwise nonlinearity; `fast_tanh` computes tanh as `tanh_of_twice_` of twice its input."""

    def __init__(self, layer, fast_tanh: bool = False, doubled: bool = False) -> None:
        """doubled: the stage before already gives twice the input (a BatchNorm with `twice`)."""
        self.layer, self.fn = layer, layer.fn
        self.local_backward = NONLINEARITY_BACKWARD[type(layer)]
        self.fast_tanh, self.doubled = fast_tanh and isinstance(layer, Tanh), doubled

    def forward(self, x):
        if not self.fast_tanh:
            return self.fn(x)
        return tanh_of_twice_(x if self.doubled else x.mul_(TWO))  # x: the Linear's fresh output

    def backward(self, dout):
        return self.local_backward(dout, self.out)  # .out: kept by FastStep


class FlattenStage:
    """FlattenConsecutive(n) on (B*T, C) rows (one copy): a view to (B*T/n, C*n)."""

    def __init__(self, layer) -> None:
        self.layer, self.n = layer, layer.n

    def forward(self, x):
        self.width = x.shape[1]
        return x.view(-1, self.width * self.n)

    def backward(self, dout):
        return dout.view(-1, self.width)


def tanh_of_twice_(z: torch.Tensor) -> torch.Tensor:
    """tanh(z / 2) as 2 * sigmoid(z) - 1, in place.

    torch's CPU tanh is not vectorized here (a few ns an element against well under one for
    sigmoid), and the (B, K*C) activations of many copies make it a tenth of a step. The identity
    agrees with tanh to about 1e-7 (absolute); the factor 2 is folded into the BatchNorm before
    it, where scaling by a power of 2 is exact.
    """
    return z.sigmoid_().mul_(TWO).sub_(ONE)
