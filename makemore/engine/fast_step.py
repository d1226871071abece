"""The fast training path: the lecture layers' math in fewer, larger operations.

These nets are small, so a training step costs what its number of PyTorch operations costs
(a few microseconds each), not its arithmetic. `FastStep` computes the same loss and the same
gradients as autograd through the lecture layers, with about one operation per layer and direction:

- BatchNorm: one `native_batch_norm` reproduces the lecture's unbiased-variance formula exactly
  (weight gamma * sqrt((n-1)/n), eps * (n-1)/n) and updates the running statistics in place;
  its backward is the fused `native_batch_norm_backward`.
- Linear, embedding, nonlinearities and cross-entropy: their hand-written backward (the formulas
  of part 4), with the ATen kernels autograd itself calls, so that a net without BatchNorm
  trains bit for bit as the lecture's loop does.
- All weights live in one flat buffer, their gradients beside them (`flat.FlatParameters`): the
  SGD update is two operations, rounded as the lecture's `p.data += -lr * p.grad`.

Statistics cost little: a recorded step keeps a copy of the weights and gradients (one operation,
into a ring of RING_BYTES) and its nonlinearities' outputs; `statistics` turns many recorded steps
into update:data ratios and saturation at once; `snapshot` pictures the last one as the same
`diagnostics.Snapshot` the lecture (autograd) path takes.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..layers import ELU, BatchNorm1d, Embedding, FlattenConsecutive, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from ..models import ConcatEmbeddingNet, LanguageModel, WaveNet, layers_of
from ..stats import diagnostics, grouped
from .flat import FlatParameters

aten = torch.ops.aten
RING_BYTES = 4 * 2**20  # at most this much memory for the copies of recorded steps awaiting their statistics

# d loss / d input of each nonlinearity from d loss / d output and the output (autograd's kernels)
NONLINEARITY_BACKWARD = {
    Tanh: aten.tanh_backward.default,
    Sigmoid: aten.sigmoid_backward.default,
    ReLU: lambda dout, out: aten.threshold_backward.default(dout, out, 0),
    LeakyReLU: lambda dout, out: aten.leaky_relu_backward.default(dout, out, 0.01, True),
    ELU: lambda dout, out: aten.elu_backward.default(dout, 1.0, 1, 1, True, out),
}
BATCH_NORM_BACKWARD = aten.native_batch_norm_backward.default
# aten._log_softmax_backward_data's kernel, called directly: through torch.ops it costs twice as long (12 µs)
LOG_SOFTMAX_BACKWARD = torch._log_softmax_backward_data
EMBED_THEN_LAYERS = (ConcatEmbeddingNet,)  # logits = layers(C[idx].view(B, -1)): the MLPs of parts 2-4
LAYERS_ONLY = (WaveNet,)  # logits = layers(idx), the first layer an Embedding


def unsupported_reason(model) -> str | None:
    """Why `model` cannot take the fast path (None when it can)."""
    if not isinstance(model, EMBED_THEN_LAYERS + LAYERS_ONLY):
        return f"{type(model).__name__} is not built from the lecture layers"
    if model.manual_backward:
        return "part 4's model trains with its own hand-written backward pass"
    if type(model).penalty is not LanguageModel.penalty:
        return f"{type(model).__name__} adds a penalty to its loss"
    if not list(model.parameters()):
        return "the model has no parameters"
    for layer in layers_of(model):
        if isinstance(layer, BatchNorm1d) and layer.dim0_only and layer.track_std:
            return "part 5's BatchNorm bug in part 3's std form runs on the lecture path"
        if not isinstance(layer, (Linear, BatchNorm1d, Embedding, FlattenConsecutive, *NONLINEARITY_BACKWARD)):
            return f"no fast backward for {type(layer).__name__}"
    return None


def supports(model) -> bool:
    return unsupported_reason(model) is None


# ------------------------------------------------------------------------------------ stages
# Every stage works on 2-D activations (rows, features): a (B, T, C) tensor is kept as (B*T, C),
# so FlattenConsecutive is a view and BatchNorm over dims (0, 1) is BatchNorm over the rows.
# forward(x) keeps what backward needs; backward(dout, grads) writes the gradients of the
# stage's `params` into `grads` (views of the flat gradient buffer) and returns d loss / d x.
# Stages compute with detached aliases of the parameters, so no autograd graph is built.
class _EmbedStage:
    """A lookup table: the MLPs' C[idx].view(B, -1), or WaveNet's Embedding layer ((B*T, E) rows)."""

    def __init__(self, weight: torch.Tensor, concat: bool, layer=None) -> None:
        self.layer, self.params, self.concat = layer, [weight], concat

    def bind(self, weight: torch.Tensor) -> None:
        self.weight = weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        self.idx = idx
        emb = torch.embedding(self.weight, idx)  # (B, T, E); F.embedding without its Python checks
        return emb.view(idx.shape[0], -1) if self.concat else emb.view(-1, self.weight.shape[1])

    def backward(self, dout: torch.Tensor, grads: list[torch.Tensor]) -> None:
        demb = dout.view(*self.idx.shape, self.weight.shape[1])
        grads[0].zero_().index_put_((self.idx,), demb, accumulate=True)  # what autograd does for C[idx]


class _LinearStage:
    def __init__(self, layer: Linear) -> None:
        self.layer = layer
        self.params = [layer.weight] + ([layer.bias] if layer.bias is not None else [])

    def bind(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        self.weight, self.weight_t, self.bias = weight, weight.t(), bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.x = x
        out = torch.mm(x, self.weight)
        return out if self.bias is None else out + self.bias  # not addmm: it rounds differently

    def backward(self, dout, grads):
        torch.mm(self.x.t(), dout, out=grads[0])
        if self.bias is not None:
            torch.sum(dout, 0, out=grads[1])
        return torch.mm(dout, self.weight_t)


class _BatchNormStage:
    """The lecture's BatchNorm1d (Bessel-corrected batch variance) as torch's fused kernels.

    torch normalizes with the biased variance var_b = var * (n-1)/n; scaling gamma by
    sqrt((n-1)/n) and eps by (n-1)/n gives exactly gamma * (x - mean) / sqrt(var + eps), and
    its running variance is the unbiased one, like the lecture's. Part 3's first form (divide
    by the unbiased std, no eps, keep a running std) is eps 0 and a running std updated here.
    Part 5's bug (statistics over dim 0 alone) normalizes (B, T*C): one channel per position
    and feature, gamma and beta repeated over the positions, running statistics kept (T, C).
    """

    def __init__(self, layer: BatchNorm1d) -> None:
        self.layer, self.params = layer, [layer.gamma, layer.beta]
        self.n, self.factor = 0, None
        self.batch = 0  # examples in the step, set by FastStep for the dim-0 bug (rows / batch = positions)

    def bind(self, gamma: torch.Tensor, beta: torch.Tensor) -> None:
        self.gamma, self.beta = gamma, beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        positions = x.shape[0] // self.batch if self.layer.dim0_only else 1
        self.rows, self.positions = x.shape, positions
        if positions > 1:
            x = x.view(self.batch, -1)  # (B, T*C)
        layer, n = self.layer, x.shape[0]
        buffers = layer._buffers  # looked up each step: the lecture's layer rebinds them when it runs
        if n != self.n:  # a 0-dim tensor multiplies faster than a Python float
            self.n, self.factor = n, torch.tensor(((n - 1) / n) ** 0.5, dtype=x.dtype, device=x.device)
        self.x, self.weight = x, self.gamma * self.factor
        if positions > 1:
            return self._forward_per_position(x, buffers).view(self.rows)
        if layer.track_std:
            self.eps = 0.0
            out, self.mean, self.invstd = torch.native_batch_norm(x, self.weight, self.beta, None, None,
                                                                  True, 0.0, 0.0)
            buffers["running_mean"].lerp_(self.mean, layer.momentum)
            buffers["running_var"].lerp_(self.invstd.reciprocal() / self.factor, layer.momentum)
        else:
            self.eps = layer.eps * (n - 1) / n
            out, self.mean, self.invstd = torch.native_batch_norm(
                x, self.weight, self.beta, buffers["running_mean"], buffers["running_var"], True,
                layer.momentum, self.eps)
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

    def backward(self, dout, grads):
        if self.positions > 1:
            dout = dout.view(self.x.shape)
        dx, dweight, dbeta = BATCH_NORM_BACKWARD(dout, self.x, self.weight, None, None, self.mean, self.invstd,
                                                 True, self.eps, [True, True, True])
        if self.positions > 1:  # gamma and beta were repeated per position: their gradients add up
            dweight, dbeta = dweight.view(self.positions, -1).sum(0), dbeta.view(self.positions, -1).sum(0)
            dx = dx.view(self.rows)
        torch.mul(dweight, self.factor, out=grads[0])
        grads[1].copy_(dbeta)
        return dx


class _NonlinearityStage:
    def __init__(self, layer) -> None:
        self.layer, self.params = layer, []
        self.fn, self.local_backward = layer.fn, NONLINEARITY_BACKWARD[type(layer)]

    def bind(self) -> None:
        pass

    def forward(self, x):
        return self.fn(x)

    def backward(self, dout, grads):
        return self.local_backward(dout, self.out)  # .out: kept by FastStep.gradients


class _FlattenStage:
    """FlattenConsecutive(n) on (B*T, C) rows: a view to (B*T/n, C*n)."""

    def __init__(self, layer: FlattenConsecutive) -> None:
        self.layer, self.n, self.params = layer, layer.n, []

    def bind(self) -> None:
        pass

    def forward(self, x):
        self.width = x.shape[1]
        return x.view(-1, self.width * self.n)

    def backward(self, dout, grads):
        return dout.view(-1, self.width)


def _stage_for(layer):
    if isinstance(layer, Linear):
        return _LinearStage(layer)
    if isinstance(layer, BatchNorm1d):
        return _BatchNormStage(layer)
    if isinstance(layer, FlattenConsecutive):
        return _FlattenStage(layer)
    if isinstance(layer, Embedding):
        return _EmbedStage(layer.weight, concat=False, layer=layer)
    return _NonlinearityStage(layer)


def _stages(model) -> list:
    stages = [_EmbedStage(model.C, concat=True)] if isinstance(model, EMBED_THEN_LAYERS) else []
    return stages + [_stage_for(layer) for layer in layers_of(model)]


# ------------------------------------------------------------------------------------ the step
class FastStep:
    """One SGD step of a lecture-layer model: fused forward, hand-written backward, flat update.

    It takes over the storage of the model's parameters (`flat.FlatParameters`): they become views
    of one buffer, which the step updates in place, so the model always holds the current weights.
    """

    def __init__(self, model, max_pending: int = 32) -> None:
        """max_pending: recorded steps the caller may take before it asks for their `statistics`; fewer
        when their copies would pass RING_BYTES (see `pending_limit`)."""
        reason = unsupported_reason(model)
        if reason:
            raise ValueError(reason)
        self.model = model
        self.stages = _stages(model)
        parameters = list(model.parameters())
        self.flat = FlatParameters(parameters)
        slot = {id(p): i for i, p in enumerate(parameters)}
        self._stage_grads = []
        for stage in self.stages:
            slots = [slot[id(p)] for p in stage.params]
            stage.bind(*(self.flat.params[i] for i in slots))
            self._stage_grads.append([self.flat.grads[i] for i in slots])
        self._layer_stages = [stage for stage in self.stages if stage.layer is not None]
        self._first_layer = len(self.stages) - len(self._layer_stages)  # the MLPs' C lookup is no layer
        layers = layers_of(model)
        self._layer_blocks = diagnostics.layer_blocks(layers)
        self._param_names = [name for name, _ in model.named_parameters()]
        self._param_blocks = diagnostics.parameter_blocks(model)
        self._nonlinearity_stages = [stage for stage in self.stages if isinstance(stage, _NonlinearityStage)]
        self._per_position_stages = [stage for stage in self.stages
                                     if isinstance(stage, _BatchNormStage) and stage.layer.dim0_only]
        self._batch = 0  # the last step's batch size
        # copies of the weights and gradients of the recorded steps whose statistics are pending, in turn
        copy_bytes = self.flat.buffer.numel() * self.flat.buffer.element_size()
        self.pending_limit = max(1, min(max_pending, RING_BYTES // copy_bytes))
        self._ring = torch.empty((self.pending_limit, *self.flat.buffer.shape), dtype=self.flat.buffer.dtype,
                                 device=self.flat.buffer.device)
        self._next_slot = 0
        # the last recorded step: its number, and its stage outputs and their gradients
        self._recorded_step: int | None = None
        self._recorded_slot = 0
        self._recorded_outs: list[torch.Tensor] = []
        self._out_grads: list[torch.Tensor] = []
        self._step_out_grads: list[torch.Tensor] = []  # the last step's, when it was taken with record=True

    @property
    def params(self) -> list[torch.Tensor]:
        return self.flat.params

    def batches(self, Xs: torch.Tensor, Ys: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        """A chunk of minibatches (Xs (n, B, ...), Ys (n, B)) as `step` takes them, with each one's
        d loss / d log-probabilities (-1/B at the targets) made for the whole chunk at once."""
        dlogprobs = torch.zeros((*Ys.shape, self.model.config.vocab_size), device=Ys.device)
        dlogprobs.scatter_(-1, Ys.unsqueeze(-1), -1.0 / Ys.shape[1])
        return list(zip(Xs.unbind(0), Ys.unbind(0), dlogprobs.unbind(0)))

    def gradients(self, Xb: torch.Tensor, Yb: torch.Tensor, record: bool = False
                  ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(loss, gradients in `model.parameters()` order, valid until the next step)."""
        (batch,) = self.batches(Xb[None], Yb[None])
        return self._gradients(*batch, record), self.flat.grads

    def step(self, batch: tuple[torch.Tensor, ...], lr: float, record: bool = False) -> torch.Tensor:
        """One training step on a minibatch from `batches`; returns the loss. `record` keeps what
        `record` and `snapshot` need."""
        loss = self._gradients(*batch, record)
        self.flat.sgd(lr)
        return loss

    def _gradients(self, Xb: torch.Tensor, Yb: torch.Tensor, dlogprobs: torch.Tensor, record: bool) -> torch.Tensor:
        self._batch = Xb.shape[0]
        for stage in self._per_position_stages:
            stage.batch = self._batch
        x = Xb
        for stage in self.stages:
            x = stage.out = stage.forward(x)
        logprobs = torch.log_softmax(x, 1)
        loss = F.nll_loss(logprobs, Yb)
        # cross-entropy's backward with autograd's own kernel (bit-identical to loss.backward())
        dx = LOG_SOFTMAX_BACKWARD(dlogprobs, logprobs, 1, logprobs.dtype)
        out_grads = []
        for stage, grads in zip(reversed(self.stages), reversed(self._stage_grads)):
            if record:
                out_grads.append(dx)
            dx = stage.backward(dx, grads)
        self._step_out_grads = out_grads[::-1]  # for `record` to keep (empty unless recording)
        return loss

    def keep_outputs(self) -> None:
        """Give each layer the last step's output as its `.out`, as the lecture's modules keep it."""
        for stage in self._layer_stages:
            stage.layer.__dict__["out"] = self._lecture_shape(stage.out)

    def _lecture_shape(self, out: torch.Tensor) -> torch.Tensor:
        """(B*T, C) rows back to the lecture layer's (B, T, C), or (B, C) when T is 1."""
        return out if out.shape[0] == self._batch else out.view(self._batch, -1, out.shape[1])

    def record(self, step: int, lr: float) -> "_Recording":
        """Keep what the statistics of the step just taken need: a copy of the weights and gradients
        (one operation, into the next slot of the ring) and the nonlinearities' outputs (that step's
        own tensors). At most `pending_limit` recordings may wait for `statistics`: the ring has as
        many slots, taken in turn."""
        slot, self._next_slot = self._next_slot, (self._next_slot + 1) % self.pending_limit
        self._ring[slot].copy_(self.flat.buffer)
        self._recorded_step, self._recorded_slot = step, slot
        self._recorded_outs, self._out_grads = [stage.out for stage in self.stages], self._step_out_grads
        return _Recording(step, lr, slot, [stage.out for stage in self._nonlinearity_stages])

    def statistics(self, recordings: list["_Recording"]) -> tuple[torch.Tensor, torch.Tensor]:
        """(k, n_params) log10 update:data ratios and (k, n_nonlinearities, 2) saturation % and output
        std of k recorded steps, all computed together (their copies' chunk moments in one go)."""
        slots = [r.slot for r in recordings]
        first = slots[0]
        copies = (self._ring[first:first + len(slots)] if slots == list(range(first, first + len(slots))) else
                  self._ring[torch.tensor(slots, device=self._ring.device)])
        data_std, grad_std = self.flat.stds(self.flat.chunk_moments(copies)).unbind(1)
        lrs = torch.tensor([abs(r.lr) for r in recordings], dtype=grad_std.dtype, device=grad_std.device)
        ratios = (grad_std * lrs[:, None] / data_std).log10().cpu()
        layers = [stage.layer for stage in self._nonlinearity_stages]
        outs = [out for r in recordings for out in r.nonlinearity_outs]
        saturation = grouped.saturation(layers * len(recordings), outs)
        return ratios, saturation.view(len(recordings), len(layers), 2)

    def snapshot(self, recording: "_Recording", update_log10: torch.Tensor) -> diagnostics.Snapshot:
        """The Snapshot `diagnostics.capture` takes on the autograd path, of the last recorded step.

        Layer outputs and their gradients are that step's own tensors (a new step makes new ones);
        its weights and gradients from the copy `record` took (the newest slot of the ring).
        """
        if recording.step != self._recorded_step:
            raise ValueError("only the last recorded step can be pictured")
        layers = layers_of(self.model)
        outs = [self._lecture_shape(out) for out in self._recorded_outs[self._first_layer:]]
        saturated, dead = _nonlinearity_masks(layers, outs)
        grads = self._out_grads[self._first_layer:]
        records = [diagnostics.LayerRecord(i, type(layer).__name__, self._layer_blocks[i], out,
                                           grad if grad.shape == out.shape else grad.view(out.shape),
                                           saturated.get(i), dead.get(i))
                   for i, (layer, out, grad) in enumerate(zip(layers, outs, grads))]
        data, param_grads = self.flat.views(self._ring[self._recorded_slot].clone())
        params = [diagnostics.ParamRecord(name, block, tuple(d.shape), d, g)
                  for name, block, d, g in zip(self._param_names, self._param_blocks, data, param_grads)]
        return diagnostics.Snapshot(recording.step, recording.lr, records, params, update_log10.detach().cpu())


@dataclass
class _Recording:
    step: int
    lr: float
    slot: int  # of the ring, where the copy of the weights and gradients after the step is
    nonlinearity_outs: list[torch.Tensor]


def _nonlinearity_masks(layers: list, outs: list[torch.Tensor]) -> tuple[dict, dict]:
    """{layer index: mask} of saturated and of dead units, one stacked test per kind and shape."""
    saturated, dead = {}, {}
    indices = [i for i, layer in enumerate(layers) if isinstance(layer, diagnostics.Nonlinearity)]
    for group in grouped.groups([(type(layers[i]), outs[i].shape) for i in indices]):
        members = [indices[k] for k in group]
        layer, stacked = layers[members[0]], torch.stack([outs[i] for i in members])
        saturated.update(zip(members, layer.saturated(stacked).unbind(0)))
        dead.update(zip(members, layer.dead(stacked).unbind(0)))
    return saturated, dead
