"""Part 4: the MLP's backward pass written by hand, checked against autograd.

`chunked_forward` breaks the forward pass into the lecture's small steps (each a tensor autograd
keeps a gradient for); `chunked_backward` backpropagates through exactly those steps by hand
(exercise 1); `gradcheck` compares the two like the lecture's `cmp`. `one_go_checks` checks
exercises 2-4, the compact formulas (`FORMULAS`, in LaTeX for the page), which
`training.by_hand` uses to train the network without autograd.
"""
from __future__ import annotations

import pandas as pd
import torch
import torch.nn.functional as F

from ..training.by_hand import (
    BN_EPS,
    batchnorm_backward,
    check_manual_model,
    cross_entropy_backward,
    in_parameter_order,
    keep_layer_state,
    mlp_parameters,
    one_go_backward,
)
from .activations import initial_batch

# "approximate": the largest difference is within APPROX_ATOL + APPROX_RTOL * the scale of the gradients it is
# judged among (its stage's largest |gradient|). Element by element (the lecture's allclose) a gradient that is
# a sum of terms cancelling to nearly 0 fails on float32 rounding alone: b1's, which BatchNorm makes exactly 0
# in exact arithmetic, and W1's on a word list of one repeated letter (a tiny batch variance).
APPROX_ATOL = 1e-7
APPROX_RTOL = 1e-5
EXERCISE_1_HIDDEN = 64  # exercise 1 checks a network of 64 hidden units (4,137 parameters); exercise 4 trains 200


def lecture_batch(model_config, data, seed: int, batch_size: int = 32):
    """The lecture's setup for the check: the model drawn from a generator seeded `seed`, then one
    minibatch of training windows drawn from the same generator. Returns (model, Xb, Yb)."""
    model, Xb, Yb = initial_batch(model_config, data, seed, batch_size)
    check_manual_model(model)
    return model, Xb, Yb


# ------------------------------------------------------------------------ exercise 1: step by step
STEPS = {  # tensor -> (the lecture's stage, how the forward pass computes it), in forward order
    "C": ("embedding", "parameter: a row per character"),
    "emb": ("embedding", "C[Xb]"),
    "embcat": ("embedding", "emb, rows concatenated"),
    "W1": ("linear 1", "parameter"),
    "b1": ("linear 1", "parameter"),
    "hprebn": ("linear 1", "embcat @ W1 + b1"),
    "bnmeani": ("BatchNorm", "Σ hprebn / n  (batch mean)"),
    "bndiff": ("BatchNorm", "hprebn − bnmeani"),
    "bndiff2": ("BatchNorm", "bndiff²"),
    "bnvar": ("BatchNorm", "Σ bndiff2 / (n − 1)  (Bessel)"),
    "bnvar_inv": ("BatchNorm", "(bnvar + 1e-5)^−½"),
    "bnraw": ("BatchNorm", "bndiff · bnvar_inv"),
    "bngain": ("BatchNorm", "parameter"),
    "bnbias": ("BatchNorm", "parameter"),
    "hpreact": ("BatchNorm", "bngain · bnraw + bnbias"),
    "h": ("tanh", "tanh(hpreact)"),
    "W2": ("linear 2", "parameter"),
    "b2": ("linear 2", "parameter"),
    "logits": ("linear 2", "h @ W2 + b2"),
    "logit_maxes": ("softmax", "max of each row of logits"),
    "norm_logits": ("softmax", "logits − logit_maxes"),
    "counts": ("softmax", "exp(norm_logits)"),
    "counts_sum": ("softmax", "Σ counts along each row"),
    "counts_sum_inv": ("softmax", "counts_sum^−1"),
    "probs": ("softmax", "counts · counts_sum_inv"),
    "logprobs": ("loss", "log(probs)"),
}


def chunked_forward(p: dict[str, torch.Tensor], Xb: torch.Tensor, Yb: torch.Tensor) -> dict[str, torch.Tensor]:
    """The forward pass in the lecture's small steps; returns every intermediate and the loss."""
    n = Xb.shape[0]
    t: dict[str, torch.Tensor] = {}
    t["emb"] = p["C"][Xb]
    t["embcat"] = t["emb"].view(n, -1)
    t["hprebn"] = t["embcat"] @ p["W1"] + p["b1"]
    t["bnmeani"] = 1 / n * t["hprebn"].sum(0, keepdim=True)
    t["bndiff"] = t["hprebn"] - t["bnmeani"]
    t["bndiff2"] = t["bndiff"] ** 2
    t["bnvar"] = 1 / (n - 1) * t["bndiff2"].sum(0, keepdim=True)  # Bessel's correction
    t["bnvar_inv"] = (t["bnvar"] + BN_EPS) ** -0.5
    t["bnraw"] = t["bndiff"] * t["bnvar_inv"]
    t["hpreact"] = p["bngain"] * t["bnraw"] + p["bnbias"]
    t["h"] = torch.tanh(t["hpreact"])
    t["logits"] = t["h"] @ p["W2"] + p["b2"]
    t["logit_maxes"] = t["logits"].max(1, keepdim=True).values
    t["norm_logits"] = t["logits"] - t["logit_maxes"]
    t["counts"] = t["norm_logits"].exp()
    t["counts_sum"] = t["counts"].sum(1, keepdim=True)
    t["counts_sum_inv"] = t["counts_sum"] ** -1
    t["probs"] = t["counts"] * t["counts_sum_inv"]
    t["logprobs"] = t["probs"].log()
    t["loss"] = -t["logprobs"][torch.arange(n), Yb].mean()
    return t


def chunked_backward(p: dict[str, torch.Tensor], t: dict[str, torch.Tensor], Xb: torch.Tensor,
                     Yb: torch.Tensor, mistake: str | None = None) -> dict[str, torch.Tensor]:
    """Backpropagate through every step of `chunked_forward` by hand.

    `mistake` plants one of MISTAKES, so that a student can see which checks turn red.
    """
    n = Xb.shape[0]
    d: dict[str, torch.Tensor] = {}
    d["logprobs"] = torch.zeros_like(t["logprobs"])
    d["logprobs"][torch.arange(n), Yb] = -1.0 / n
    d["probs"] = (1.0 / t["probs"]) * d["logprobs"]
    d["counts_sum_inv"] = (t["counts"] * d["probs"]).sum(1, keepdim=True)
    d["counts"] = t["counts_sum_inv"] * d["probs"]
    d["counts_sum"] = (-t["counts_sum"] ** -2) * d["counts_sum_inv"]
    if mistake != "drop_broadcast_sum":
        d["counts"] = d["counts"] + torch.ones_like(t["counts"]) * d["counts_sum"]
    d["norm_logits"] = t["counts"] * d["counts"]
    d["logits"] = d["norm_logits"].clone()
    d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)
    d["logits"] += F.one_hot(t["logits"].max(1).indices, num_classes=t["logits"].shape[1]) * d["logit_maxes"]
    W2 = p["W2"].T if mistake != "wrong_transpose" else p["W2"].reshape(p["W2"].shape[::-1])
    d["h"] = d["logits"] @ W2
    d["W2"] = t["h"].T @ d["logits"]
    d["b2"] = d["logits"].sum(0) if mistake != "bias_mean" else d["logits"].mean(0)
    local = (1.0 - t["h"] ** 2) if mistake != "tanh_uses_input" else (1.0 - t["hpreact"] ** 2)
    d["hpreact"] = local * d["h"]
    d["bngain"] = (t["bnraw"] * d["hpreact"]).sum(0, keepdim=True).reshape(p["bngain"].shape)
    d["bnraw"] = p["bngain"] * d["hpreact"]
    d["bnbias"] = d["hpreact"].sum(0, keepdim=True).reshape(p["bnbias"].shape)
    d["bndiff"] = t["bnvar_inv"] * d["bnraw"]
    d["bnvar_inv"] = (t["bndiff"] * d["bnraw"]).sum(0, keepdim=True)
    d["bnvar"] = (-0.5 * (t["bnvar"] + BN_EPS) ** -1.5) * d["bnvar_inv"]
    bessel = 1.0 / (n - 1) if mistake != "forget_bessel" else 1.0 / n
    d["bndiff2"] = bessel * torch.ones_like(t["bndiff2"]) * d["bnvar"]
    d["bndiff"] = d["bndiff"] + (2 * t["bndiff"]) * d["bndiff2"]
    d["hprebn"] = d["bndiff"].clone()
    d["bnmeani"] = (-d["bndiff"]).sum(0, keepdim=True)
    if mistake != "forget_mean_path":
        d["hprebn"] += 1.0 / n * (torch.ones_like(t["hprebn"]) * d["bnmeani"])
    d["embcat"] = d["hprebn"] @ p["W1"].T
    d["W1"] = t["embcat"].T @ d["hprebn"]
    d["b1"] = d["hprebn"].sum(0)
    d["emb"] = d["embcat"].view(t["emb"].shape)
    d["C"] = torch.zeros_like(p["C"])
    if mistake != "embedding_overwrite":
        d["C"].index_add_(0, Xb.reshape(-1), d["emb"].reshape(-1, p["C"].shape[1]))
    else:  # assignment instead of accumulation: repeated characters lose their gradient
        d["C"][Xb.reshape(-1)] = d["emb"].reshape(-1, p["C"].shape[1])
    return d


MISTAKES = {
    "forget_bessel": "Forget Bessel's correction: the variance's backward divides by n, not n − 1",
    "drop_broadcast_sum": "Drop the broadcasting sum: counts_sum's gradient never reaches counts",
    "wrong_transpose": "Wrong transpose: W2 reshaped instead of W2.T in dh = dlogits @ W2.T",
    "bias_mean": "Average the bias gradient: db2 = mean of dlogits over the batch instead of the sum",
    "tanh_uses_input": "tanh backward from its input: 1 − hpreact² instead of 1 − h²",
    "forget_mean_path": "Forget the mean's path: hprebn also reaches the loss through bnmeani",
    "embedding_overwrite": "Overwrite instead of accumulate: dC[ix] = demb, so repeated characters lose gradient",
}

# Rows computed after a mistake that stay right, and why (the page says it beside the table): tensor -> reason,
# under the mistake's key, or under None where it holds for every mistake that leaves the row green.
WHY_STILL_RIGHT = {
    None: {"b1": "BatchNorm subtracts the batch mean right after b1, so b1 cannot change the loss: its true "
                 "gradient is 0, and a wrong dhprebn still sums to 0 over the batch once it has gone back "
                 "through the mean's path"},
    "forget_bessel": {"bnmeani": "its gradient is a sum over the batch, and the wrong variance term is a "
                                 "constant times bndiff, which sums to 0 (bndiff has mean 0)"},
    "wrong_transpose": dict.fromkeys(("W2", "b2"), "their gradients come from dlogits (and h), both reached "
                                                  "before the mistake in dh, on a branch of their own"),
    "bias_mean": {"*": "nothing else is computed from db2 (a leaf), so the mistake stops there"},
}


def still_right(table: pd.DataFrame, mistake: str) -> dict[str, str]:
    """Rows the backward pass reaches after the first wrong one and that still match autograd, each with why."""
    wrong = table.index[~table["approximate"]]
    if wrong.empty:
        return {}
    later = table.loc[wrong[0]:]
    reasons = {**WHY_STILL_RIGHT[None], **WHY_STILL_RIGHT.get(mistake, {})}
    return {name: reasons.get(name, reasons.get("*", "")) for name in later[later["approximate"]]["tensor"]}


def step_by_step_gradients(model, Xb: torch.Tensor, Yb: torch.Tensor,
                           mistake: str | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Exercise 1's backward pass as a way to train (a `by_hand.Gradients`), with `mistake` planted:
    the Backprop page trains a twin with it to show what a wrong gradient does to learning."""
    p = mlp_parameters(model)
    t = chunked_forward(p, Xb, Yb)
    keep_layer_state(model, t["hprebn"], t["bnmeani"], t["bnvar"], t["hpreact"], t["h"], t["logits"])
    return t["loss"], in_parameter_order(model, p, chunked_backward(p, t, Xb, Yb, mistake))


CHECK_ORDER = ["logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits", "logit_maxes",
               "logits", "h", "W2", "b2", "hpreact", "bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar",
               "bndiff2", "bndiff", "bnmeani", "hprebn", "embcat", "W1", "b1", "emb", "C"]


def check_mistake(mistake: str) -> None:
    if mistake not in MISTAKES:
        raise ValueError(f"unknown mistake {mistake!r}; choose from {', '.join(MISTAKES)}")


def compare(name: str, mine: torch.Tensor, auto: torch.Tensor, scale: float | None = None) -> dict:
    """The lecture's `cmp` as a row: bit-exact, approximately equal, the largest difference.

    scale: the size of the gradients this one is judged among (default: its own largest |value|).
    """
    maxdiff = (mine - auto).abs().max().item()
    scale = auto.abs().max().item() if scale is None else scale
    return {"tensor": name, "shape": str(tuple(auto.shape)), "exact": bool(torch.equal(mine, auto)),
            "approximate": maxdiff <= APPROX_ATOL + APPROX_RTOL * scale, "maxdiff": maxdiff}


def _scales(groups: dict[str, str], grads: dict[str, torch.Tensor]) -> dict[str, float]:
    """name -> the largest |gradient| of its group (`groups`: name -> group)."""
    largest: dict[str, float] = {}
    for name, group in groups.items():
        largest[group] = max(largest.get(group, 0.0), grads[name].abs().max().item())
    return {name: largest[group] for name, group in groups.items()}


def _autograd_pass(model, Xb: torch.Tensor, Yb: torch.Tensor):
    """The chunked forward on a detached copy of the parameters, with autograd's gradient of every step."""
    check_manual_model(model)
    p = {k: v.detach().clone().requires_grad_(True) for k, v in mlp_parameters(model).items()}
    t = chunked_forward(p, Xb, Yb)
    for name, value in t.items():
        if name != "loss":
            value.retain_grad()
    t["loss"].backward()
    return p, t


def gradcheck(model, Xb: torch.Tensor, Yb: torch.Tensor, mistake: str | None = None) -> pd.DataFrame:
    """One row per tensor (in the lecture's order): its stage and forward step, whether the
    hand-written gradient is exactly / approximately autograd's, and autograd's largest |gradient|."""
    if mistake is not None:
        check_mistake(mistake)
    p, t = _autograd_pass(model, Xb, Yb)
    with torch.no_grad():
        d = chunked_backward(p, t, Xb, Yb, mistake)
    autos = {name: (p[name] if name in p else t[name]).grad for name in CHECK_ORDER}
    scales = _scales({name: STEPS[name][0] for name in CHECK_ORDER}, autos)
    rows = []
    for name in CHECK_ORDER:
        stage, forward = STEPS[name]
        rows.append({**compare(name, d[name], autos[name], scales[name]), "stage": stage, "forward": forward,
                     "grad_max": autos[name].abs().max().item()})
    return pd.DataFrame(rows)[["tensor", "stage", "forward", "shape", "exact", "approximate", "maxdiff", "grad_max"]]


def verdict(table: pd.DataFrame) -> str:
    """One sentence: do all rows pass, and if not, which fail and by how much at most."""
    failed = table[~table["approximate"]]
    if failed.empty:
        return f"all {len(table)} gradients match autograd"
    worst = failed.loc[failed["maxdiff"].idxmax()]
    return (f"{len(failed)} of {len(table)} gradients differ from autograd: {', '.join(failed['tensor'])} "
            f"(largest difference {worst['maxdiff']:.3g}, at {worst['tensor']})")


def cmp_lines(table: pd.DataFrame) -> list[str]:
    """The table as the lecture's `cmp` printed it, one line per tensor."""
    return [f"{row.tensor:15s} | exact: {str(row.exact):5s} | approximate: {str(row.approximate):5s} | "
            f"maxdiff: {row.maxdiff}" for row in table.itertuples()]


# ------------------------------------------------------------------------ exercises 2-4: in one go
FORMULAS = {  # check -> (title, LaTeX): the three "all in one go" results of the lecture
    "cross-entropy": (
        "Cross-entropy backward (exercise 2)",
        r"\frac{\partial L}{\partial\,\mathrm{logits}_{ij}} = \frac{1}{n}\Big(\mathrm{softmax}"
        r"(\mathrm{logits}_i)_j - \mathbb{1}[\,j = y_i\,]\Big)"),
    "batchnorm": (
        "BatchNorm backward (exercise 3)",
        r"\begin{gathered}"
        r"\frac{\partial L}{\partial\,\mathrm{hprebn}_i} = \frac{\gamma\,(\sigma^2 + \epsilon)^{-1/2}}{n}"
        r"\Big(n\,\delta_i - \sum_k \delta_k - \frac{n}{n-1}\,\hat x_i \sum_k \delta_k \hat x_k\Big) \\"
        r"\text{where } \delta = \frac{\partial L}{\partial\,\mathrm{hpreact}},\quad \hat x = \mathrm{bnraw},"
        r"\quad \sigma^2 = \mathrm{bnvar}"
        r"\end{gathered}"),
    "whole net": (
        "The whole net (exercise 4)",
        r"\begin{aligned}"
        r"d\mathrm{logits} &= \big(\mathrm{softmax}(\mathrm{logits}) - Y_{\text{one-hot}}\big)\,/\,n \\"
        r"dh &= d\mathrm{logits}\,W_2^\top, \quad dW_2 = h^\top d\mathrm{logits}, \quad "
        r"db_2 = \textstyle\sum_i d\mathrm{logits}_i \\"
        r"d\mathrm{hpreact} &= (1 - h^2) \odot dh \\"
        r"d\gamma &= \textstyle\sum_i \hat x_i \odot d\mathrm{hpreact}_i, \quad d\beta = \sum_i d\mathrm{hpreact}_i \\"
        r"d\mathrm{hprebn} &= \text{the BatchNorm backward above} \\"
        r"d\mathrm{embcat} &= d\mathrm{hprebn}\,W_1^\top \\"  # a line each: side by side with its check, one was cut
        r"dW_1 &= \mathrm{embcat}^\top d\mathrm{hprebn}, \quad db_1 = \textstyle\sum_i d\mathrm{hprebn}_i \\"
        r"dC[c] &= \textstyle\sum d\mathrm{emb} \text{ over every position holding character } c"
        r"\end{aligned}"),
}


def one_go_checks(model, Xb: torch.Tensor, Yb: torch.Tensor) -> pd.DataFrame:
    """Exercises 2-4 against autograd: each FORMULAS entry's result as `compare` rows, keyed by `check`.

    Every formula reads the forward tensors of `chunked_forward`, and the BatchNorm formula starts
    from autograd's d loss / d hpreact, so each row tests its own formula alone.
    """
    p, t = _autograd_pass(model, Xb, Yb)
    with torch.no_grad():
        dlogits = cross_entropy_backward(t["logits"], Yb)
        dhprebn = batchnorm_backward(p["bngain"], t["bnvar_inv"], t["bnraw"], t["hpreact"].grad)
        grads = one_go_backward(p, t, Xb, Yb)
    rows = [{"check": "cross-entropy", **compare("logits", dlogits, t["logits"].grad)},
            {"check": "batchnorm", **compare("hprebn", dhprebn, t["hprebn"].grad)}]
    names = list(mlp_parameters(model))
    scales = _scales(dict.fromkeys(names, "whole net"), {name: p[name].grad for name in names})
    rows += [{"check": "whole net", **compare(name, grads[name], p[name].grad, scales[name])} for name in names]
    return pd.DataFrame(rows)
