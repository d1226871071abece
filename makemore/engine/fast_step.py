"""The fast training path: the lecture layers' math in fewer, larger operations, for one run or K copies.

These nets are small, so a training step costs what its number of PyTorch operations costs
(a few microseconds each), not its arithmetic. `FastStep` computes the same loss and the same
gradients as autograd through the lecture layers, with about one operation per layer and direction
(the stages in stages.py):

- BatchNorm: one `native_batch_norm` reproduces the lecture's unbiased-variance formula exactly
  (weight gamma * sqrt((n-1)/n), eps * (n-1)/n) and updates the running statistics in place;
  its backward is the fused `native_batch_norm_backward`.
- Linear, embedding, nonlinearities and cross-entropy: their hand-written backward (the formulas
  of part 4), with the ATen kernels autograd itself calls, so that a net without BatchNorm
  trains bit for bit as the lecture's loop does.
- All weights live in one flat buffer, their gradients beside them (`flat.FlatParameters`): the
  SGD update is two operations, rounded as the lecture's `p.data += -lr * p.grad`.

One run is K = 1 copy. A sweep trains K copies of one network together (same shapes, their own
weights and learning rates): every stage runs over all of them at once, and with `fused_update`
each Linear's weights take their step inside the backward (so they keep no gradients: a sweep
keeps no update statistics) and tanh is `tanh_of_twice_` (faster for the copies' wide activations).

Statistics cost little: a recorded step keeps a copy of the weights and gradients (one operation,
into a ring of RING_BYTES) and its nonlinearities' outputs; `statistics` turns many recorded steps
into update:data ratios and saturation at once; `snapshot` pictures the last one (of one run) as the
same `diagnostics.Snapshot` the lecture (autograd) path takes.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..layers import BatchNorm1d, Embedding, FlattenConsecutive, Linear, Tanh
from ..models import ConcatEmbeddingNet, LanguageModel, WaveNet, layers_of
from ..stats import diagnostics, grouped
from .flat import FlatParameters
from .stages import (
    NONLINEARITY_BACKWARD,
    BatchNormStage,
    EmbedStage,
    FlattenStage,
    LinearStage,
    NonlinearityStage,
    Rates,
)

RING_BYTES = 4 * 2**20  # at most this much memory for the copies of recorded steps awaiting their statistics
# aten._log_softmax_backward_data's kernel, called directly: through torch.ops it costs twice as long (12 µs)
LOG_SOFTMAX_BACKWARD = torch._log_softmax_backward_data
EMBED_THEN_LAYERS = (ConcatEmbeddingNet,)  # logits = layers(C[idx].view(B, -1)): the MLPs of parts 2-4
LAYERS_ONLY = (WaveNet,)  # logits = layers(idx), the first layer an Embedding


def unsupported_reason(model) -> str | None:
    """Why `model` cannot take the fast path (None when it can)."""
    if not isinstance(model, EMBED_THEN_LAYERS + LAYERS_ONLY):
        return f"{type(model).__name__} is not built from the lecture layers"
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


def _copies_reason(model) -> str | None:
    """Why copies of `model` cannot train together (None when they can): the stages that see one copy only."""
    if not isinstance(model, EMBED_THEN_LAYERS):
        return f"copies of {type(model).__name__} do not train together"
    if any(isinstance(layer, BatchNorm1d) and layer.dim0_only for layer in layers_of(model)):
        return "part 5's BatchNorm bug trains one copy at a time"
    return None


class FastStep:
    """One SGD step of a lecture-layer model, or of K copies of one: fused forward, hand-written backward,
    flat update.

    It takes over the storage of the models' parameters: each becomes its copy's slice of a stack
    in one flat buffer (`flat.FlatParameters`), which the step updates in place, so the models always
    hold the current weights.
    """

    def __init__(self, models: LanguageModel | list[LanguageModel], max_pending: int = 32,
                 lr_scales: list[float] | None = None, fused_update: bool = False) -> None:
        """max_pending: recorded steps the caller may take before it asks for their `statistics`; fewer
        when their copies would pass RING_BYTES (see `pending_limit`).
        lr_scales: each copy's learning rate is the step's lr times its scale (None: all the step's).
        fused_update: the Linear weights step inside the backward (no weight gradients are kept)."""
        models = list(models) if isinstance(models, (list, tuple)) else [models]
        for reason in [unsupported_reason(models[0])] + ([_copies_reason(models[0])] if len(models) > 1 else []):
            if reason:
                raise ValueError(reason)
        self.models, self.model, self.copies = models, models[0], len(models)
        self.fused_update = fused_update
        per_model = [list(m.parameters()) for m in models]
        weights = {id(layer.weight) for layer in layers_of(self.model) if isinstance(layer, Linear)}
        order = list(range(len(per_model[0])))
        if fused_update:  # the parameters with a flat update first (one update over their prefix), weights last
            order.sort(key=lambda i: id(per_model[0][i]) in weights)
        self.flat = FlatParameters([torch.nn.Parameter(torch.stack([params[i].detach() for params in per_model]))
                                    for i in order])  # (K, ...) each
        for k, params in enumerate(per_model):  # each copy's model looks at its slice of the stacks
            for i, stack in zip(order, self.flat.params):
                params[i].data = stack[k]
        # what the flat update covers: the whole buffer, or (fused) the prefix before the first weight
        self._update_end = self.flat.offset(len(order) - len(weights)) if fused_update else None
        self.rates = Rates(self.flat, lr_scales)
        self.stages = self._build_stages([per_model[0][i] for i in order])
        self._layer_stages = [stage for stage in self.stages if stage.layer is not None]
        self._first_layer = len(self.stages) - len(self._layer_stages)  # the MLPs' C lookup is no layer
        layers = layers_of(self.model)
        self._layer_blocks = diagnostics.layer_blocks(layers)
        self._param_names = [name for name, _ in self.model.named_parameters()]
        self._param_shapes = [p.shape for p in per_model[0]]
        self._param_blocks = diagnostics.parameter_blocks(self.model)
        self._nonlinearity_stages = [stage for stage in self.stages if isinstance(stage, NonlinearityStage)]
        self._per_position_stages = [stage for stage in self.stages
                                     if isinstance(stage, BatchNormStage) and stage.layer.dim0_only]
        # copy k's rows of the stacked embedding tables start at k * V
        self._row_offsets = torch.arange(self.copies, device=self.flat.data.device) * self.model.config.vocab_size
        self._batch = 0  # the last step's batch size
        # copies of the weights and gradients of the recorded steps whose statistics are pending, in turn
        # (a fused update keeps no weight gradients: nothing to copy)
        copy_bytes = 0 if fused_update else self.flat.buffer.numel() * self.flat.buffer.element_size()
        self.pending_limit = max(1, min(max_pending, RING_BYTES // copy_bytes)) if copy_bytes else max_pending
        self._ring = torch.empty((self.pending_limit if copy_bytes else 0, *self.flat.buffer.shape),
                                 dtype=self.flat.buffer.dtype, device=self.flat.buffer.device)
        self._next_slot = 0
        # the last recorded step: its number, and its stage outputs and their gradients
        self._recorded_step: int | None = None
        self._recorded_slot = 0
        self._recorded_outs: list[torch.Tensor] = []
        self._out_grads: list[torch.Tensor] = []
        self._step_out_grads: list[torch.Tensor] = []  # the last step's, when it was taken with record=True

    def _build_stages(self, flat_order: list[torch.nn.Parameter]) -> list:
        """One stage per layer (and the MLPs' C lookup first), bound to its parameters' stacks."""
        slot = {id(p): j for j, p in enumerate(flat_order)}
        stacks, grads = self.flat.params, self.flat.grads

        def bound(*params):  # each parameter's stack and its gradient, in turn (None for a missing bias)
            return [t for p in params for t in ((None, None) if p is None else
                                                (stacks[slot[id(p)]], grads[slot[id(p)]]))]

        fast_tanh = self.fused_update and self.copies > 1  # the sweep's tanh: see stages.tanh_of_twice_
        rates = self.rates if self.fused_update else None
        stages: list = []
        if isinstance(self.model, EMBED_THEN_LAYERS):
            stages.append(EmbedStage(*bound(self.model.C), concat=True))
        per_copy_layers = list(zip(*(layers_of(m) for m in self.models)))
        for layers in per_copy_layers:
            layer = layers[0]
            if isinstance(layer, Linear):
                stages.append(LinearStage(layer, *bound(layer.weight, layer.bias), rates=rates))
            elif isinstance(layer, BatchNorm1d):
                stages.append(BatchNormStage(list(layers), *bound(layer.gamma, layer.beta)))
            elif isinstance(layer, FlattenConsecutive):
                stages.append(FlattenStage(layer))
            elif isinstance(layer, Embedding):
                stages.append(EmbedStage(*bound(layer.weight), concat=False, layer=layer))
            else:
                doubled = fast_tanh and isinstance(layer, Tanh) and isinstance(stages[-1], BatchNormStage)
                if doubled:  # the BatchNorm before gives twice its output, exactly
                    stages[-1].twice = True
                stages.append(NonlinearityStage(layer, fast_tanh, doubled))
        return stages

    def batches(self, Xs: torch.Tensor, Ys: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        """A chunk of minibatches (Xs (n, B, ...), Ys (n, B)) as `step` takes them, with d loss / d
        log-probabilities (-1/B at the targets) made for the whole chunk at once. K copies get their
        rows of the stacked tables (n, K, B, ...), their targets as gather indices (n, B, K, 1) and
        d log-probabilities (n, B, K, V)."""
        n, B = Ys.shape
        shape = (n, B, self.model.config.vocab_size) if self.copies == 1 else (n, B, 1, self.model.config.vocab_size)
        dlogprobs = torch.zeros(shape, device=Ys.device)
        dlogprobs.scatter_(-1, Ys.view(*Ys.shape, *[1] * (len(shape) - 2)), -1.0 / B)
        if self.copies > 1:
            Xs = Xs[:, None] + self._row_offsets.view(-1, *[1] * (Xs.dim() - 1))
            Ys = Ys[:, :, None, None].expand(-1, -1, self.copies, 1)
            dlogprobs = dlogprobs.expand(-1, -1, self.copies, -1)
        return list(zip(Xs.unbind(0), Ys.unbind(0), dlogprobs.unbind(0)))

    def gradients(self, Xb: torch.Tensor, Yb: torch.Tensor, record: bool = False
                  ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(loss, gradients in `model.parameters()` order, valid until the next step) of one run."""
        (batch,) = self.batches(Xb[None], Yb[None])
        loss = self._gradients(*batch, record)
        return loss, [grad.view(shape) for grad, shape in zip(self.flat.grads, self._param_shapes)]

    def step(self, batch: tuple[torch.Tensor, ...], lr: float, record: bool = False) -> torch.Tensor:
        """One training step on a minibatch from `batches`; returns the loss (one per copy when K > 1).
        `record` keeps what `record` and `snapshot` need."""
        self.rates.set(lr)
        loss = self._gradients(*batch, record)
        self.flat.sgd(self.rates.flat, stop=self._update_end)
        return loss

    def _gradients(self, Xb: torch.Tensor, Yb: torch.Tensor, dlogprobs: torch.Tensor, record: bool) -> torch.Tensor:
        B = Yb.shape[0]
        self._batch = B
        for stage in self._per_position_stages:
            stage.batch = B
        x = Xb
        for stage in self.stages:
            x = stage.out = stage.forward(x)
        loss, dx = self._cross_entropy(x, Yb, dlogprobs)
        out_grads = []
        for stage in reversed(self.stages):
            if record:
                out_grads.append(dx)
            dx = stage.backward(dx)
        self._step_out_grads = out_grads[::-1]  # for `record` to keep (empty unless recording)
        return loss

    def _cross_entropy(self, logits: torch.Tensor, Yb: torch.Tensor, dlogprobs: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss (one run's as F.cross_entropy computes it; K copies' (K,)) and d loss / d logits, with
        cross-entropy's backward as autograd's own kernel computes it (bit-identical to loss.backward()).
        Yb: the targets (B,), or K copies' gather indices (B, K, 1)."""
        B, K = Yb.shape[0], self.copies
        if K == 1:
            logprobs = torch.log_softmax(logits, 1)
            return F.nll_loss(logprobs, Yb), LOG_SOFTMAX_BACKWARD(dlogprobs, logprobs, 1, logprobs.dtype)
        logprobs = torch.log_softmax(logits.view(B, K, -1), 2)  # (B, K, V)
        loss = logprobs.gather(2, Yb).mean((0, 2)).neg_()
        return loss, LOG_SOFTMAX_BACKWARD(dlogprobs, logprobs, 2, logprobs.dtype).view(B, -1)

    def keep_outputs(self) -> None:
        """Give each layer the last step's output as its `.out`, as the lecture's modules keep it (one run:
        the activations of K copies side by side are no one copy's)."""
        if self.copies == 1:
            for stage in self._layer_stages:
                stage.layer.__dict__["out"] = self._lecture_shape(stage.out)

    def _lecture_shape(self, out: torch.Tensor) -> torch.Tensor:
        """(B*T, C) rows back to the lecture layer's (B, T, C), or (B, C) when T is 1."""
        return out if out.shape[0] == self._batch else out.view(self._batch, -1, out.shape[1])

    def record(self, step: int, lr: float) -> "_Recording":
        """Keep what the statistics of the step just taken need: a copy of the weights and gradients
        (one operation, into the next slot of the ring; none with a fused update) and the
        nonlinearities' outputs (that step's own tensors). At most `pending_limit` recordings may wait
        for `statistics`: the ring has as many slots, taken in turn."""
        slot = self._next_slot
        outs = [stage.out for stage in self._nonlinearity_stages]
        if len(self._ring):
            self._next_slot = (slot + 1) % self.pending_limit
            self._ring[slot].copy_(self.flat.buffer)
        elif self._recorded_step is None and outs:  # the outputs of K copies may be large: keep them in bounds
            out_bytes = sum(out.numel() * out.element_size() for out in outs)
            self.pending_limit = max(1, min(self.pending_limit, RING_BYTES // out_bytes))
        self._recorded_step, self._recorded_slot = step, slot
        self._recorded_outs, self._out_grads = [stage.out for stage in self.stages], self._step_out_grads
        return _Recording(step, lr, slot, outs)

    def statistics(self, recordings: list["_Recording"]) -> tuple[torch.Tensor, torch.Tensor]:
        """(k, n_params) log10 update:data ratios (none with a fused update) and (k, K, n_nonlinearities, 2)
        saturation % and output std of k recorded steps, all computed together (their copies' chunk
        moments in one go)."""
        k = len(recordings)
        layers = [stage.layer for stage in self._nonlinearity_stages]
        outs = [out for r in recordings for out in r.nonlinearity_outs]
        saturation = grouped.saturation(layers * k, outs, self.copies)  # (K, k * n_nonlinearities, 2)
        saturation = saturation.view(self.copies, k, len(layers), 2).transpose(0, 1)
        if not len(self._ring):
            return torch.zeros((k, 0)), saturation
        slots = [r.slot for r in recordings]
        first = slots[0]
        copies = (self._ring[first:first + k] if slots == list(range(first, first + k)) else
                  self._ring[torch.tensor(slots, device=self._ring.device)])
        data_std, grad_std = self.flat.stds(self.flat.chunk_moments(copies)).unbind(1)
        lrs = torch.tensor([abs(r.lr) for r in recordings], dtype=grad_std.dtype, device=grad_std.device)
        ratios = (grad_std * lrs[:, None] / data_std).log10().cpu()
        return ratios, saturation

    def snapshot(self, recording: "_Recording", update_log10: torch.Tensor) -> diagnostics.Snapshot:
        """The Snapshot `diagnostics.capture` takes on the autograd path, of the last recorded step of one run.

        Layer outputs and their gradients are that step's own tensors (a new step makes new ones);
        its weights and gradients from the copy `record` took (the newest slot of the ring).
        """
        if recording.step != self._recorded_step:
            raise ValueError("only the last recorded step can be pictured")
        if not len(self._ring) or self.copies > 1:
            raise ValueError("a step of several copies, or without weight gradients, has no one picture")
        layers = layers_of(self.model)
        outs = [self._lecture_shape(out) for out in self._recorded_outs[self._first_layer:]]
        saturated, dead = _nonlinearity_masks(layers, outs)
        grads = self._out_grads[self._first_layer:]
        records = [diagnostics.LayerRecord(i, type(layer).__name__, self._layer_blocks[i], out,
                                           grad if grad.shape == out.shape else grad.view(out.shape),
                                           saturated.get(i), dead.get(i))
                   for i, (layer, out, grad) in enumerate(zip(layers, outs, grads))]
        data, param_grads = self.flat.views(self._ring[self._recorded_slot].clone())
        params = [diagnostics.ParamRecord(name, block, tuple(shape), d.view(shape), g.view(shape))
                  for name, block, shape, d, g in zip(self._param_names, self._param_blocks, self._param_shapes,
                                                      data, param_grads)]
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
