"""What the sequence models show, as tidy DataFrames: per-module statistics named after the code
(`h.0.attn`), attention maps per head and hidden states, for one name read character by character.
"""
from __future__ import annotations

import math

import pandas as pd
import torch

from ..data import Vocabulary
from ..models import RecurrentNet, Transformer, evaluating
from ..models.sequence import SequenceModel
from ..stats import diagnostics as dg
from ..training import Trainer
from .data import visible

MODULE_COLUMNS = ["module", "kind", "block", "shape", "mean", "std", "grad_mean", "grad_std"]


def module_table(snapshot: dg.Snapshot, model: SequenceModel) -> pd.DataFrame:
    """One row per inspected module: its output's mean and std, and d loss / d output's."""
    rows = []
    for rec in snapshot.layers:
        grad = rec.grad
        rows.append({
            "module": model.layer_names[rec.index], "kind": rec.kind, "block": model.layer_blocks[rec.index],
            "shape": str(tuple(rec.out.shape)), "mean": rec.out.mean().item(), "std": rec.out.std().item(),
            "grad_mean": grad.mean().item() if grad is not None else math.nan,
            "grad_std": grad.std().item() if grad is not None else math.nan,
        })
    return pd.DataFrame(rows, columns=MODULE_COLUMNS)


def module_histograms(snapshot: dg.Snapshot, model: SequenceModel, modules: list[str], of: str = "out",
                      bins: int = dg.HISTOGRAM_BINS) -> pd.DataFrame:
    """Long-form histograms of the chosen modules' outputs (of="out") or their gradients (of="grad"):
    label, block, layer, x, density (what charts.training.density_chart draws)."""
    frames = []
    for rec in snapshot.layers:
        name = model.layer_names[rec.index]
        values = rec.out if of == "out" else rec.grad
        if name not in modules or values is None:
            continue
        values = values[torch.isfinite(values)]
        if values.numel() == 0:
            continue
        edge = values.abs().max().item()
        lo, hi = (-edge, edge) if of == "grad" else (values.min().item(), values.max().item())
        centers, density = dg.histogram(values, bins, lo, hi)
        frames.append(pd.DataFrame({"label": name, "block": model.layer_blocks[rec.index], "layer": rec.index,
                                    "x": centers.numpy(), "density": density.numpy()}))
    if not frames:
        return pd.DataFrame(columns=["label", "block", "layer", "x", "density"])
    return pd.concat(frames, ignore_index=True)


def parameter_frame(snapshot: dg.Snapshot, model: SequenceModel) -> pd.DataFrame:
    """The diagnostics' parameter table (grad:data, update:data), blocks named as the model names them."""
    table = dg.parameter_table(snapshot)
    return table.assign(block=[model.parameter_block(name) for name in table["name"]])


def update_frame(trainer: Trainer) -> pd.DataFrame:
    """The update:data history of every parameter: step, name, block, log10_ratio."""
    history = trainer.update_history
    blocks = [trainer.model.parameter_block(name) for name in trainer.param_names]
    return dg.update_ratio_frame(history.steps, history.values, trainer.param_names, blocks)


# ---------------------------------------------------------------------------------- one name
def read_name(model: SequenceModel, vocab: Vocabulary, word: str) -> list[str]:
    """Run the model on [boundary] + word (the last block_size tokens) in eval mode; return the labels
    of the positions it read, e.g. ['0 .', '1 e', '2 m']. The modules keep what they computed."""
    context = model.context_for(vocab.encode(word))
    with evaluating(model):
        model.logits(context)
    return [f"{i} {visible(vocab.itos[t])}" for i, t in enumerate(context[0].tolist())]


def attention_frame(model: Transformer, vocab: Vocabulary, word: str) -> pd.DataFrame:
    """Every head's attention weights while reading `word`: layer, head, query, key (position labels),
    query_pos, key_pos, weight. Each (layer, head, query) row of weights sums to 1."""
    labels = read_name(model, vocab, word)
    T = len(labels)
    frames = []
    for layer, att in enumerate(model.attention(), start=1):
        weights = att[0].cpu()  # (n_head, T, T)
        heads, queries, keys = torch.meshgrid(torch.arange(weights.shape[0]), torch.arange(T), torch.arange(T),
                                              indexing="ij")
        frames.append(pd.DataFrame({
            "layer": layer, "head": heads.flatten().numpy() + 1,
            "query_pos": queries.flatten().numpy(), "key_pos": keys.flatten().numpy(),
            "weight": weights.flatten().numpy(),
        }))
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(query=[labels[i] for i in frame["query_pos"]], key=[labels[i] for i in frame["key_pos"]])


def hidden_state_frame(model: RecurrentNet, vocab: Vocabulary, word: str) -> pd.DataFrame:
    """The recurrent state after each character of `word`: position, token (label), unit, value."""
    labels = read_name(model, vocab, word)
    states = model.rnn.out[0].cpu()  # (T, n_embd2)
    T, units = states.shape
    return pd.DataFrame({
        "position": torch.arange(T).repeat_interleave(units).numpy(),
        "token": [labels[i] for i in range(T) for _ in range(units)],
        "unit": torch.arange(units).repeat(T).numpy(),
        "value": states.flatten().numpy(),
    })
