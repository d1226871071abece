"""Part 4's forward pass as a graph, and its backward pass as a walk through that graph.

The nodes are the tensors of `backprop.chunked_forward` (every row of the gradient check), the
parameters they read, the minibatch (Xb, Yb) and the loss; an edge runs from each input of a step to
its result, labelled with the operation. `backward_walk` reads the graph the other way: the tensors in
the order the hand-written backward pass computes their gradients (CHECK_ORDER), each gradient from
the gradients of the steps that read the tensor.
"""
from __future__ import annotations

import pandas as pd
import torch

from .backprop import CHECK_ORDER, STEPS

OPERATIONS = {  # result -> (its inputs, main one first; the operation): chunked_forward's steps, in forward order
    "emb": (("C", "Xb"), "C[Xb]"),
    "embcat": (("emb",), "view"),
    "hprebn": (("embcat", "W1", "b1"), "@ W1 + b1"),
    "bnmeani": (("hprebn",), "mean over the batch"),
    "bndiff": (("hprebn", "bnmeani"), "− bnmeani"),
    "bndiff2": (("bndiff",), "square"),
    "bnvar": (("bndiff2",), "Σ / (n−1)"),
    "bnvar_inv": (("bnvar",), "(· + ε)^−½"),
    "bnraw": (("bndiff", "bnvar_inv"), "· bnvar_inv"),
    "hpreact": (("bnraw", "bngain", "bnbias"), "· bngain + bnbias"),
    "h": (("hpreact",), "tanh"),
    "logits": (("h", "W2", "b2"), "@ W2 + b2"),
    "logit_maxes": (("logits",), "row max"),
    "norm_logits": (("logits", "logit_maxes"), "− logit_maxes"),
    "counts": (("norm_logits",), "exp"),
    "counts_sum": (("counts",), "row Σ"),
    "counts_sum_inv": (("counts_sum",), "1 / ·"),
    "probs": (("counts", "counts_sum_inv"), "· counts_sum_inv"),
    "logprobs": (("probs",), "log"),
    "loss": (("logprobs", "Yb"), "−mean at Yb"),
}
DATA = ("Xb", "Yb")  # the minibatch: integers, no gradient
LOSS = "loss"
GRAPH_COLUMNS = ["tensor", "kind", "stage", "forward", "shape", "exact", "approximate", "maxdiff", "grad_max"]


def edges() -> pd.DataFrame:
    """One row per input of each step: source (the input), target (the result), op."""
    rows = [(source, target, op) for target, (inputs, op) in OPERATIONS.items() for source in inputs]
    return pd.DataFrame(rows, columns=["source", "target", "op"])


def readers(name: str) -> list[str]:
    """The steps that read `name`: its gradient is the sum of what flows back from each of them."""
    return [target for target, (inputs, _) in OPERATIONS.items() if name in inputs]


def graph_nodes(table: pd.DataFrame, Xb: torch.Tensor, Yb: torch.Tensor) -> pd.DataFrame:
    """Every node of the graph with its gradient check: the minibatch, then the rows of `table`
    (backprop.gradcheck's, with grad_max) in forward order, then the loss.

    kind: data (no gradient), parameter, intermediate or loss; the loss's gradient is 1 by definition.
    """
    checked = table.set_index("tensor")
    rows = [{"tensor": name, "kind": "data", "stage": "data", "forward": "the minibatch's "
             + ("contexts" if name == "Xb" else "next characters"), "shape": str(tuple(t.shape))}
            for name, t in zip(DATA, (Xb, Yb))]
    for name, (stage, forward) in STEPS.items():
        row = checked.loc[name]
        rows.append({"tensor": name, "kind": "parameter" if forward.startswith("parameter") else "intermediate",
                     "stage": stage, "forward": forward, "shape": row["shape"], "exact": bool(row["exact"]),
                     "approximate": bool(row["approximate"]), "maxdiff": row["maxdiff"],
                     "grad_max": row["grad_max"]})
    rows.append({"tensor": LOSS, "kind": "loss", "stage": "loss", "forward": "−mean of logprobs at Yb",
                 "shape": "()", "exact": True, "approximate": True, "maxdiff": 0.0, "grad_max": 1.0})
    return pd.DataFrame(rows, columns=GRAPH_COLUMNS)


def backward_walk() -> pd.DataFrame:
    """The walk-through of the backward pass: step, tensor, stage, sources (the readers whose gradients
    it sums) and a sentence saying so. Step 0 is the loss; then CHECK_ORDER, the lecture's order."""
    rows = [{"step": 0, "tensor": LOSS, "stage": "loss", "sources": (),
             "sentence": "d loss / d loss = 1: the backward pass starts at the loss."}]
    for step, name in enumerate(CHECK_ORDER, start=1):
        sources = tuple(readers(name))
        rows.append({"step": step, "tensor": name, "stage": STEPS[name][0], "sources": sources,
                     "sentence": _sentence(name, sources)})
    return pd.DataFrame(rows)


def _sentence(name: str, sources: tuple[str, ...]) -> str:
    paths = [f"{s} = {STEPS[s][1] if s in STEPS else OPERATIONS[s][1]}" for s in sources]
    if len(sources) == 1:
        return f"d{name} comes back from {sources[0]} alone ({paths[0]}): the chain rule, local derivative × d{sources[0]}."
    return (f"d{name} is the sum of what comes back along its {len(sources)} uses: "
            + "; ".join(paths) + ". Each path's contribution is its local derivative × that step's gradient.")
