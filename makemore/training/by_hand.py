"""Part 4's hand-written backward pass, as a way to train: the lecture's "all in one go" formulas.

`fused_gradients` forwards the part-4 MLP (embedding, Linear, BatchNorm with Bessel's correction,
tanh, Linear) and returns every parameter's gradient from exercises 2-4's compact formulas,
without autograd. `ByHandStep` trains with them (`TrainConfig(gradients="by_hand")`);
lessons/backprop.py checks each formula against autograd.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..models import MLP, ConfigError, LanguageModel, layers_of
from .autograd_step import AutogradStep

BN_EPS = 1e-5


def mlp_parameters(model) -> dict[str, torch.Tensor]:
    """The part-4 MLP's tensors under the lecture's names."""
    lin1, bn, _, lin2 = layers_of(model)
    return {"C": model.C, "W1": lin1.weight, "b1": lin1.bias, "bngain": bn.gamma, "bnbias": bn.beta,
            "W2": lin2.weight, "b2": lin2.bias}


def check_manual_model(model) -> None:
    if not isinstance(model, MLP) or model.config.batchnorm != "var" or model.config.b1_scale is None:
        raise ConfigError("the hand-written backward pass is written for part 4's MLP: BatchNorm ('var') and a b1")


def cross_entropy_backward(logits: torch.Tensor, Yb: torch.Tensor) -> torch.Tensor:
    """Exercise 2: d loss / d logits = (softmax(logits) - one_hot(Yb)) / n."""
    n = logits.shape[0]
    dlogits = F.softmax(logits, 1)
    dlogits[torch.arange(n), Yb] -= 1
    return dlogits / n


def batchnorm_backward(bngain: torch.Tensor, bnvar_inv: torch.Tensor, bnraw: torch.Tensor,
                       dhpreact: torch.Tensor) -> torch.Tensor:
    """Exercise 3: d loss / d hprebn through the whole BatchNorm (Bessel-corrected variance)."""
    n = dhpreact.shape[0]
    return bngain * bnvar_inv / n * (
        n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))


def one_go_backward(p: dict[str, torch.Tensor], f: dict[str, torch.Tensor], Xb: torch.Tensor,
                    Yb: torch.Tensor) -> dict[str, torch.Tensor]:
    """Exercise 4's backward pass: every parameter's gradient from the forward tensors `f`
    (embcat, bnraw, bnvar_inv, h, logits), with the compact formulas."""
    dlogits = cross_entropy_backward(f["logits"], Yb)
    dh = dlogits @ p["W2"].T
    dhpreact = (1.0 - f["h"] ** 2) * dh
    dhprebn = batchnorm_backward(p["bngain"], f["bnvar_inv"], f["bnraw"], dhpreact)
    dembcat = dhprebn @ p["W1"].T
    return {
        "C": torch.zeros_like(p["C"]).index_add_(0, Xb.reshape(-1), dembcat.view(-1, p["C"].shape[1])),
        "W1": f["embcat"].T @ dhprebn, "b1": dhprebn.sum(0),
        "bngain": (f["bnraw"] * dhpreact).sum(0).reshape(p["bngain"].shape),
        "bnbias": dhpreact.sum(0).reshape(p["bnbias"].shape),
        "W2": f["h"].T @ dlogits, "b2": dlogits.sum(0),
    }


def fused_gradients(model, Xb: torch.Tensor, Yb: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Forward the part-4 MLP and return (loss, gradients in `model.parameters()` order), no autograd.

    Also stores each layer's output in `.out` and updates the BatchNorm running statistics,
    as the layer modules would.
    """
    p = mlp_parameters(model)
    f = {"embcat": p["C"][Xb].view(Xb.shape[0], -1)}  # (n, block_size * n_embd)
    hprebn = f["embcat"] @ p["W1"] + p["b1"]
    bnmean = hprebn.mean(0, keepdim=True)
    bnvar = hprebn.var(0, keepdim=True, unbiased=True)
    f["bnvar_inv"] = (bnvar + BN_EPS) ** -0.5
    f["bnraw"] = (hprebn - bnmean) * f["bnvar_inv"]
    hpreact = p["bngain"] * f["bnraw"] + p["bnbias"]
    f["h"] = torch.tanh(hpreact)
    f["logits"] = f["h"] @ p["W2"] + p["b2"]
    loss = F.cross_entropy(f["logits"], Yb)
    keep_layer_state(model, hprebn, bnmean, bnvar, hpreact, f["h"], f["logits"])
    return loss, in_parameter_order(model, p, one_go_backward(p, f, Xb, Yb))


def keep_layer_state(model, hprebn, bnmean, bnvar, hpreact, h, logits) -> None:
    """What the layer modules' forward pass leaves behind: each layer's `.out`, BatchNorm's running statistics."""
    lin1, bn, tanh, lin2 = layers_of(model)
    lin1.out, bn.out, tanh.out, lin2.out = hprebn, hpreact, h, logits
    m = bn.momentum
    bn.running_mean = (1 - m) * bn.running_mean + m * bnmean.reshape(-1)
    bn.running_var = (1 - m) * bn.running_var + m * bnvar.reshape(-1)


def in_parameter_order(model, p: dict[str, torch.Tensor], grads: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """Gradients by the lecture's names (`mlp_parameters`) as a list in `model.parameters()` order."""
    by_id = {id(v): grads[k].reshape(v.shape) for k, v in p.items()}
    return [by_id[id(param)] for param in model.parameters()]


Gradients = Callable[[LanguageModel, torch.Tensor, torch.Tensor], tuple[torch.Tensor, list[torch.Tensor]]]


class ByHandStep(AutogradStep):
    """The lecture's loop with hand-written gradients instead of `loss.backward()`: part 4's one-go formulas,
    or any `Gradients` function of the same shape (the Backprop page trains one with a planted mistake)."""

    def __init__(self, model: LanguageModel, config, gradients: Gradients = fused_gradients) -> None:
        check_manual_model(model)
        super().__init__(model, config)
        self.gradients = gradients

    def _gradients(self, Xb, Yb, record: bool) -> torch.Tensor:
        with torch.no_grad():
            loss, grads = self.gradients(self.model, Xb, Yb)
        for p, grad in zip(self.params, grads):
            p.grad = grad
        return loss
