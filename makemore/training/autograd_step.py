"""The lecture's loop body as a stepper: autograd through the layer modules, then the update.

`AutogradStep` runs the lecture's own operations: `loss.backward()` through the layers, then
`p.data += -lr * p.grad`, or makemore.py's AdamW (`optimizer="adamw"`), with optional gradient
clipping. It is the reference the fast engine is tested against, and the path for every model the
engine does not take. Part 4's hand-written backward (by_hand.ByHandStep) replaces only its gradients.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..layers import Nonlinearity
from ..models import LanguageModel, layers_of
from ..stats import diagnostics, grouped

MAX_RECORDINGS = 32  # recorded steps whose statistics are computed together (bounds the memory held)


class AutogradStep:
    """autograd's gradients, then SGD as the lecture writes it (or AdamW); a Snapshot of every recorded step."""

    def __init__(self, model: LanguageModel, config) -> None:
        """config: the TrainConfig (its optimizer, weight decay and clipping)."""
        self.model = model
        self.pending_limit = MAX_RECORDINGS  # recordings `statistics` takes at once
        self.params = list(model.parameters())
        self.optimizer = _make_optimizer(model, config)
        self.grad_clip = config.grad_clip
        self._changes: list[torch.Tensor] = []  # the last recorded step's update of each parameter

    def batches(self, Xs: torch.Tensor, Ys: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """A chunk of minibatches (Xs (n, B, ...), Ys (n, B)) as `step` takes them."""
        return list(zip(Xs.unbind(0), Ys.unbind(0)))

    def step(self, batch: tuple[torch.Tensor, torch.Tensor], lr: float, record: bool = False) -> torch.Tensor:
        loss = self._gradients(*batch, record)
        with torch.no_grad():
            if self.optimizer is None:
                for p in self.params:
                    p.data += -lr * p.grad
                if record:
                    self._changes = [lr * p.grad for p in self.params]
            else:
                before = [p.detach().clone() for p in self.params] if record else []
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                self.optimizer.step()
                if record:
                    self._changes = [p.detach() - b for p, b in zip(self.params, before)]
        return loss

    def _gradients(self, Xb, Yb, record: bool) -> torch.Tensor:
        """Loss, with every parameter's .grad set (and, when recording, every layer's .out.grad)."""
        model = self.model
        _, loss = model(Xb, Yb)
        if record:
            diagnostics.retain_layer_grads(model)
        for p in self.params:
            p.grad = None
        loss.backward()
        if self.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.grad_clip, foreach=True)
        return loss.detach()

    def keep_outputs(self) -> None:
        """Nothing to do: the layer modules keep their `.out` themselves."""

    @torch.no_grad()
    def record(self, step: int, lr: float) -> "_Capture":
        """The step just taken: its Snapshot (always: this path is not about speed), update:data
        ratios and saturation summary."""
        update_log10 = diagnostics.update_ratios(self.params, self._changes)
        nonlinearities = [layer for layer in layers_of(self.model) if isinstance(layer, Nonlinearity)]
        saturation = grouped.saturation(nonlinearities, [layer.out for layer in nonlinearities])
        return _Capture(step, diagnostics.capture(self.model, step, lr, update_log10), saturation)

    def statistics(self, recordings: list["_Capture"]) -> tuple[torch.Tensor, torch.Tensor]:
        """(k, n_params) update:data ratios and (k, 1, n_nonlinearities, 2) saturation of k recordings."""
        return (torch.stack([r.snapshot.update_log10 for r in recordings]),
                torch.stack([r.saturation for r in recordings]))

    def snapshot(self, recording: "_Capture", update_log10: torch.Tensor) -> diagnostics.Snapshot:
        return recording.snapshot


@dataclass
class _Capture:
    step: int
    snapshot: diagnostics.Snapshot
    saturation: torch.Tensor  # (1, n_nonlinearities, 2): one copy's


def _make_optimizer(model: LanguageModel, config):
    if config.optimizer == "adamw":
        # fused: one kernel for all the parameters (the same update; a fifth of the time of the
        # per-parameter loop here, which was 8% of a Transformer step and more of an RNN's)
        return torch.optim.AdamW(_decay_groups(model, config), lr=config.lr, betas=(0.9, 0.99), eps=1e-8,
                                 fused=True)
    if config.optimizer != "sgd":
        raise ValueError(f"unknown optimizer {config.optimizer!r}")
    return None


def _decay_groups(model: LanguageModel, config) -> list[dict]:
    """AdamW's parameter groups: every parameter decayed, or (decay_matmul_only) only the Linear weights."""
    if not config.decay_matmul_only:
        return [{"params": list(model.parameters()), "weight_decay": config.weight_decay}]
    matmul = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Linear)}
    params = list(model.parameters())
    return [{"params": [p for p in params if id(p) in matmul], "weight_decay": config.weight_decay},
            {"params": [p for p in params if id(p) not in matmul], "weight_decay": 0.0}]
