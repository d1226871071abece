"""Part 3's diagnostics: what each layer's activations and gradients look like, as tidy DataFrames.

A `Snapshot` is taken on a training step after the backward pass and the update (as the
lecture computes its update:data ratio). It keeps small detached copies (one batch) of every
layer's output and output gradient and of every parameter's gradient; the DataFrame builders
below turn it into the tables and histograms the lecture prints and plots.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..layers import Embedding, FlattenConsecutive, Linear, Nonlinearity
from ..models import layers_of

HISTOGRAM_BINS = 60


@dataclass
class LayerRecord:
    index: int  # position in the model's layer list (the lecture's numbering)
    kind: str  # class name: Linear, BatchNorm1d, Tanh, ...
    block: str  # "embedding", "hidden 1", ..., "output": what a chart colours it by
    out: torch.Tensor  # the layer's output for the batch, detached
    grad: torch.Tensor | None  # d loss / d out, when it was retained
    saturated: torch.Tensor | None  # nonlinearities: mask of near-flat units (|t| > 0.97 for tanh)
    dead: torch.Tensor | None  # nonlinearities: the stricter mask of the white-column image


@dataclass
class ParamRecord:
    name: str
    block: str
    shape: tuple[int, ...]
    data: torch.Tensor
    grad: torch.Tensor | None


@dataclass
class Snapshot:
    step: int
    lr: float
    layers: list[LayerRecord]
    params: list[ParamRecord]
    update_log10: torch.Tensor  # (n_params,) log10(update.std() / data.std()) per parameter


def retain_layer_grads(model) -> None:
    """Ask autograd to keep d loss / d out for every layer (call between forward and backward)."""
    for layer in layers_of(model):
        out = getattr(layer, "out", None)
        if out is not None and out.requires_grad:
            out.retain_grad()


def update_ratios(params: list[torch.Tensor], updates: list[torch.Tensor]) -> torch.Tensor:
    """log10(update.std() / data.std()) per parameter, as one stacked tensor (no .item() calls)."""
    if not params:
        return torch.zeros(0)
    ratios = torch.stack([u.std() / p.std() for p, u in zip(params, updates)])
    return ratios.log10()


def layer_blocks(layers: list) -> list[str]:
    """Group a layer list into blocks: each Linear starts "hidden k" (with the Flatten feeding it
    and the BatchNorm and nonlinearity after it); the last Linear and what follows is "output"."""
    linear_at = [i for i, layer in enumerate(layers) if isinstance(layer, Linear)]
    if not linear_at:
        return [f"layer {i}" for i in range(len(layers))]
    blocks, hidden = [], 0
    for i, layer in enumerate(layers):
        if isinstance(layer, Embedding):
            blocks.append("embedding")
            continue
        starts = isinstance(layer, Linear) and not (i and isinstance(layers[i - 1], FlattenConsecutive))
        starts = starts or (isinstance(layer, FlattenConsecutive) and i + 1 in linear_at)
        if starts:
            hidden += 1
        blocks.append("output" if i >= linear_at[-1] or (i + 1 == linear_at[-1] and starts) else f"hidden {hidden}")
    return blocks


def parameter_blocks(model) -> list[str]:
    """The block of every parameter, in named_parameters() order (C is the embedding)."""
    blocks = layer_blocks(layers_of(model))
    result = []
    for name, _ in model.named_parameters():
        parts = name.split(".")
        if parts[0] == "layers" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(blocks):
            result.append(blocks[int(parts[1])])
        else:
            result.append("embedding" if name == "C" else parts[0])
    return result


def capture(model, step: int, lr: float, update_log10: torch.Tensor) -> Snapshot:
    """Copy the current batch's layer outputs and gradients and the parameters' gradients."""
    records = []
    layers = layers_of(model)
    blocks = layer_blocks(layers)
    for index, layer in enumerate(layers):
        out = getattr(layer, "out", None)
        if out is None:
            continue
        out_d = out.detach().clone()
        grad = out.grad.detach().clone() if out.requires_grad and out.grad is not None else None
        is_nl = isinstance(layer, Nonlinearity)
        records.append(LayerRecord(
            index, type(layer).__name__, blocks[index], out_d, grad,
            layer.saturated(out_d) if is_nl else None,
            layer.dead(out_d) if is_nl else None,
        ))
    params = [
        ParamRecord(name, block, tuple(p.shape), p.detach().clone(),
                    p.grad.detach().clone() if p.grad is not None else None)
        for (name, p), block in zip(model.named_parameters(), parameter_blocks(model))
    ]
    return Snapshot(step, lr, records, params, update_log10.detach().cpu())


def nonlinearity_summary(model) -> torch.Tensor:
    """(n_nonlinearities, 2): saturation % and std of each nonlinearity output, stacked."""
    rows = [torch.stack([layer.saturated(layer.out).float().mean() * 100, layer.out.std()])
            for layer in layers_of(model) if isinstance(layer, Nonlinearity) and layer.out is not None]
    return torch.stack(rows).detach() if rows else torch.zeros((0, 2))


def layer_label(index: int, kind: str) -> str:
    return f"layer {index} ({kind})"


def _hidden(snapshot: Snapshot) -> list[LayerRecord]:
    """All layers but the output one (the lecture's `layers[:-1]`)."""
    return snapshot.layers[:-1] if len(snapshot.layers) > 1 else snapshot.layers


# ---------------------------------------------------------------------------------- tables
def activation_table(snapshot: Snapshot, kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Per hidden layer: mean, std and saturation % of its output (the lecture's first printout)."""
    rows = []
    for rec in _hidden(snapshot):
        if kinds and rec.kind not in kinds:
            continue
        rows.append({
            "layer": rec.index, "kind": rec.kind, "label": layer_label(rec.index, rec.kind), "block": rec.block,
            "mean": rec.out.mean().item(), "std": rec.out.std().item(),
            "saturated_pct": rec.saturated.float().mean().item() * 100 if rec.saturated is not None else math.nan,
        })
    return pd.DataFrame(rows, columns=["layer", "kind", "label", "block", "mean", "std", "saturated_pct"])


def gradient_table(snapshot: Snapshot, kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Per hidden layer output: mean and std of d loss / d out (the lecture's second printout)."""
    rows = []
    for rec in _hidden(snapshot):
        if rec.grad is None or (kinds and rec.kind not in kinds):
            continue
        rows.append({"layer": rec.index, "kind": rec.kind, "label": layer_label(rec.index, rec.kind),
                     "block": rec.block, "mean": rec.grad.mean().item(), "std": rec.grad.std().item()})
    return pd.DataFrame(rows, columns=["layer", "kind", "label", "block", "mean", "std"])


def parameter_table(snapshot: Snapshot) -> pd.DataFrame:
    """Per parameter: grad mean/std, data std, grad:data ratio and log10 update:data ratio."""
    rows = []
    for rec, ud in zip(snapshot.params, snapshot.update_log10.tolist()):
        grad = rec.grad
        rows.append({
            "name": rec.name, "block": rec.block, "shape": str(rec.shape), "ndim": len(rec.shape),
            "grad_mean": grad.mean().item() if grad is not None else math.nan,
            "grad_std": grad.std().item() if grad is not None else math.nan,
            "data_std": rec.data.std().item() if rec.data.numel() > 1 else math.nan,
            "grad_data_ratio": (grad.std() / rec.data.std()).item() if grad is not None and rec.data.numel() > 1 else math.nan,
            "update_data_log10": ud,
        })
    return pd.DataFrame(rows, columns=["name", "block", "shape", "ndim", "grad_mean", "grad_std", "data_std",
                                       "grad_data_ratio", "update_data_log10"])


# ---------------------------------------------------------------------------------- histograms
def histogram(t: torch.Tensor, bins: int = HISTOGRAM_BINS, lo: float | None = None,
              hi: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Density histogram (bin centers, density) of the finite values of t."""
    t = _finite(t)
    if t.numel() == 0:
        return torch.zeros(0), torch.zeros(0)
    if lo is None or hi is None:
        low, high = (v.item() for v in torch.aminmax(t))
        lo, hi = (low if lo is None else lo), (high if hi is None else hi)
    return _density(t, bins, lo, hi)


def _finite(t: torch.Tensor) -> torch.Tensor:
    """t's finite values, flattened (t itself, flattened, when all are: no copy)."""
    t = t.detach().float().flatten()
    finite = torch.isfinite(t)
    return t if bool(finite.all()) else t[finite]


def _density(t: torch.Tensor, bins: int, lo: float, hi: float) -> tuple[torch.Tensor, torch.Tensor]:
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts = torch.histc(t, bins=bins, min=lo, max=hi)
    width = (hi - lo) / bins
    centers = lo + width * (torch.arange(bins) + 0.5)
    return centers, counts / (counts.sum() * width)


def _histogram_frame(items: list[tuple[str, str, int, torch.Tensor]], bins: int, symmetric: bool) -> pd.DataFrame:
    """One long-form frame of every item's histogram (built once: a frame per layer costs more than its bins)."""
    kept, centers, densities = [], [], []
    for label, block, index, t in items:
        finite = _finite(t)
        if finite.numel() == 0:
            continue
        low, high = (v.item() for v in torch.aminmax(finite))
        edge = max(-low, high)
        x, density = _density(finite, bins, *((-edge, edge) if symmetric else (low, high)))
        kept.append((label, block, index))
        centers.append(x)
        densities.append(density)
    if not kept:
        return pd.DataFrame(columns=["label", "block", "layer", "x", "density"])
    labels, blocks, indices = zip(*kept)
    return pd.DataFrame({"label": np.repeat(labels, bins), "block": np.repeat(blocks, bins),
                         "layer": np.repeat(np.array(indices, dtype=np.int64), bins),
                         "x": torch.cat(centers).numpy(), "density": torch.cat(densities).numpy()})


def activation_histograms(snapshot: Snapshot, kinds: tuple[str, ...], bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """Long-form histograms of hidden layer outputs of the given kinds: label, layer, x, density."""
    items = [(layer_label(r.index, r.kind), r.block, r.index, r.out) for r in _hidden(snapshot) if r.kind in kinds]
    return _histogram_frame(items, bins, symmetric=False)


def gradient_histograms(snapshot: Snapshot, kinds: tuple[str, ...], bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """Long-form histograms of d loss / d out for hidden layers of the given kinds."""
    items = [(layer_label(r.index, r.kind), r.block, r.index, r.grad) for r in _hidden(snapshot)
             if r.kind in kinds and r.grad is not None]
    return _histogram_frame(items, bins, symmetric=True)


def weight_gradient_histograms(snapshot: Snapshot, bins: int = HISTOGRAM_BINS) -> pd.DataFrame:
    """Long-form histograms of the gradients of every 2-D parameter (the weight matrices)."""
    items = [(f"{p.name} {p.shape}", p.block, i, p.grad) for i, p in enumerate(snapshot.params)
             if len(p.shape) == 2 and p.grad is not None]
    return _histogram_frame(items, bins, symmetric=True)


def saturation_frame(snapshot: Snapshot, layer_index: int) -> pd.DataFrame:
    """The white-columns image of one nonlinearity layer: example, neuron, dead (bool)."""
    rec = next(r for r in snapshot.layers if r.index == layer_index)
    mask = rec.dead.reshape(-1, rec.dead.shape[-1])
    examples, neurons = mask.shape
    return pd.DataFrame({
        "example": torch.arange(examples).repeat_interleave(neurons).numpy(),
        "neuron": torch.arange(neurons).repeat(examples).numpy(),
        "dead": mask.flatten().numpy(),
    })


def dead_units(snapshot: Snapshot, layer_index: int) -> torch.Tensor:
    """(units,) which neurons of a nonlinearity layer are saturated (dead mask) for every example of
    the batch: the white columns."""
    rec = next(r for r in snapshot.layers if r.index == layer_index)
    return rec.dead.reshape(-1, rec.dead.shape[-1]).all(0)


def dead_neurons(snapshot: Snapshot, layer_index: int) -> int:
    """How many neurons are dead on the batch (see dead_units)."""
    return int(dead_units(snapshot, layer_index).sum())


def update_ratio_frame(steps: torch.Tensor, values: torch.Tensor, names: list[str],
                       blocks: list[str]) -> pd.DataFrame:
    """Long-form update:data history: step, name, block, log10 ratio (non-finite rows dropped)."""
    n_steps, n_params = values.shape if values.ndim == 2 else (0, len(names))
    frame = pd.DataFrame({
        "step": steps.repeat_interleave(n_params).numpy() if n_steps else [],
        "name": names * n_steps,
        "block": blocks * n_steps,
        "log10_ratio": values.flatten().numpy() if n_steps else [],
    })
    return frame[pd.notna(frame["log10_ratio"]) & ~frame["log10_ratio"].isin([float("inf"), float("-inf")])]


def nonlinearity_indices(model) -> list[int]:
    return [i for i, layer in enumerate(layers_of(model)) if isinstance(layer, Nonlinearity)]
