"""Part 4: the MLP's backward pass written by hand, checked against autograd.

`chunked_forward` breaks the forward pass into the lecture's small steps (each a tensor autograd
keeps a gradient for); `chunked_backward` backpropagates through exactly those steps by hand
(exercise 1); `gradcheck` compares the two like the lecture's `cmp`. `fused_gradients` is
exercise 4: the compact formulas used to train the network without autograd.
"""
from __future__ import annotations

import pandas as pd
import torch
import torch.nn.functional as F

from .models import ConfigError, layers_of

BN_EPS = 1e-5


def mlp_parameters(model) -> dict[str, torch.Tensor]:
    """The part-4 MLP's tensors under the lecture's names."""
    lin1, bn, _, lin2 = layers_of(model)
    return {"C": model.C, "W1": lin1.weight, "b1": lin1.bias, "bngain": bn.gamma, "bnbias": bn.beta,
            "W2": lin2.weight, "b2": lin2.bias}


def check_manual_model(model) -> None:
    cfg = model.config
    if cfg.batchnorm != "var" or cfg.b1_scale is None:
        raise ConfigError("the hand-written backward pass is written for part 4's MLP: BatchNorm ('var') and a b1")


# ------------------------------------------------------------------------ exercise 1: step by step
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
    d["b2"] = d["logits"].sum(0)
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
    "forget_bessel": "BatchNorm variance backward divides by n instead of n-1",
    "drop_broadcast_sum": "forget that counts_sum was broadcast: its gradient never reaches counts",
    "wrong_transpose": "use W2 reshaped instead of W2.T in dh = dlogits @ W2.T",
    "tanh_uses_input": "tanh backward as 1 - x**2 of its input instead of its output",
    "embedding_overwrite": "dC[ix] = demb instead of +=: repeated characters lose gradient",
}

CHECK_ORDER = ["logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits", "logit_maxes",
               "logits", "h", "W2", "b2", "hpreact", "bngain", "bnbias", "bnraw", "bnvar_inv", "bnvar",
               "bndiff2", "bndiff", "bnmeani", "hprebn", "embcat", "W1", "b1", "emb", "C"]


def gradcheck(model, Xb: torch.Tensor, Yb: torch.Tensor, mistake: str | None = None) -> pd.DataFrame:
    """One row per tensor: is the hand-written gradient exactly / approximately autograd's?"""
    check_manual_model(model)
    p = {k: v.detach().clone().requires_grad_(True) for k, v in mlp_parameters(model).items()}
    t = chunked_forward(p, Xb, Yb)
    for name, value in t.items():
        if name != "loss":
            value.retain_grad()
    t["loss"].backward()
    with torch.no_grad():
        d = chunked_backward(p, t, Xb, Yb, mistake)
    rows = []
    for name in CHECK_ORDER:
        auto = (p.get(name) if name in p else t[name]).grad
        mine = d[name]
        rows.append({
            "tensor": name, "shape": str(tuple(auto.shape)),
            "exact": bool(torch.equal(mine, auto)),
            "approximate": bool(torch.allclose(mine, auto)),
            "maxdiff": (mine - auto).abs().max().item(),
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------ exercise 4: fused, for training
def fused_gradients(model, Xb: torch.Tensor, Yb: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Forward the part-4 MLP and return (loss, gradients in `model.parameters()` order), no autograd.

    Also stores each layer's output in `.out` and updates the BatchNorm running statistics,
    as the layer modules would.
    """
    p = mlp_parameters(model)
    lin1, bn, tanh, lin2 = layers_of(model)
    n = Xb.shape[0]
    emb = p["C"][Xb]  # (n, block_size, n_embd)
    embcat = emb.view(n, -1)
    hprebn = embcat @ p["W1"] + p["b1"]
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = hprebn.var(0, keepdim=True, unbiased=True)
    bnvar_inv = (bnvar + BN_EPS) ** -0.5
    bnraw = (hprebn - bnmean) * bnvar_inv
    hpreact = p["bngain"] * bnraw + p["bnbias"]
    h = torch.tanh(hpreact)
    logits = h @ p["W2"] + p["b2"]
    loss = F.cross_entropy(logits, Yb)
    lin1.out, bn.out, tanh.out, lin2.out = hprebn, hpreact, h, logits
    m = bn.momentum
    bn.running_mean = (1 - m) * bn.running_mean + m * bnmean[0]
    bn.running_var = (1 - m) * bn.running_var + m * bnvar[0]

    dlogits = F.softmax(logits, 1)
    dlogits[torch.arange(n), Yb] -= 1
    dlogits /= n
    dh = dlogits @ p["W2"].T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0)
    dbnbias = dhpreact.sum(0)
    dhprebn = p["bngain"] * bnvar_inv / n * (
        n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
    dembcat = dhprebn @ p["W1"].T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    dC = torch.zeros_like(p["C"]).index_add_(0, Xb.reshape(-1), dembcat.view(-1, p["C"].shape[1]))
    grads = {"C": dC, "W1": dW1, "b1": db1, "bngain": dbngain.reshape(p["bngain"].shape),
             "bnbias": dbnbias.reshape(p["bnbias"].shape), "W2": dW2, "b2": db2}
    by_id = {id(v): grads[k] for k, v in p.items()}
    return loss, [by_id[id(param)] for param in model.parameters()]
