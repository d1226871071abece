"""A step-wise trainer: advance(n) steps at a time, so a page can pause, resume and redraw.

It runs the lectures' loop: a minibatch drawn with `torch.randint(..., generator=g)`, forward,
backward, `p.data += -lr * p.grad` with a step decay, and records a bounded loss history.
Every `stats_every` steps it also takes a diagnostics snapshot and logs the update:data ratios.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import torch

from . import backprop, diagnostics
from .data import WordData
from .history import History
from .models import LanguageModel, build_model

MAX_EVALS = 1000  # evaluation records kept (older ones thinned)
DIVERGENCE_FACTOR = 10.0  # a loss this many times above max(first loss, uniform guess) has diverged


@dataclass
class TrainConfig:
    """How to train: the lecture's SGD with one step decay, or makemore.py's AdamW."""
    steps: int = 200_000  # length of the schedule; advance() stops there
    batch_size: int | None = 32  # examples per step; None: the whole training split (full batch)
    lr: float = 0.1  # base learning rate
    lr_decay_at: int | None = 100_000  # from this step on, lr * lr_decay (None: never)
    lr_decay: float = 0.1  # 0.1 then 0.01, as in the lectures
    optimizer: str = "sgd"  # "sgd" (the lectures) or "adamw" (makemore.py)
    weight_decay: float = 0.0  # AdamW only
    stats_every: int = 10  # take a diagnostics snapshot every k steps (0: never)


class Trainer:
    """Owns a model, its generator and its history; `advance(n)` runs the next n steps."""

    def __init__(self, model: LanguageModel, data: WordData, config: TrainConfig,
                 generator: torch.Generator, device: str = "cpu") -> None:
        self.model, self.data, self.config, self.g = model.to(device), data, config, generator
        self.device = device
        self.X, self.Y = (t.to(device) for t in model.examples(data, "train"))
        if model.fits_by_counting:
            model.fit(self.X, self.Y)
        self.params = [p for p in model.parameters()]
        self.param_names = [name for name, _ in model.named_parameters()]
        self.optimizer = self._make_optimizer()
        self.step = 0
        self.base_lr = config.lr
        self.first_loss: float | None = None
        self.diverged_at: int | None = None
        self.diverged_reason = ""
        self.seconds = 0.0
        self.loss_history = History(1)
        self.update_history = History(max(len(self.params), 1), capacity=2048)
        self.saturation_history = History(max(len(diagnostics.nonlinearity_indices(model)), 1) * 2, capacity=2048)
        self.snapshot: diagnostics.Snapshot | None = None
        self.evals: list[dict] = []
        self.lr_changes: list[tuple[int, float]] = []

    def _make_optimizer(self):
        if self.config.optimizer == "adamw":
            return torch.optim.AdamW(self.params, lr=self.config.lr, betas=(0.9, 0.99), eps=1e-8,
                                     weight_decay=self.config.weight_decay)
        if self.config.optimizer != "sgd":
            raise ValueError(f"unknown optimizer {self.config.optimizer!r}")
        return None

    # ------------------------------------------------------------------ schedule
    @property
    def done(self) -> bool:
        return self.step >= self.config.steps or self.diverged

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def lr_at(self, step: int) -> float:
        decay_at = self.config.lr_decay_at
        return self.base_lr * (self.config.lr_decay if decay_at is not None and step >= decay_at else 1.0)

    def set_lr(self, lr: float) -> None:
        """Change the base learning rate from the next step on (recorded for the charts)."""
        if lr != self.base_lr:
            self.base_lr = lr
            self.lr_changes.append((self.step, lr))

    # ------------------------------------------------------------------ training
    def advance(self, n: int, snapshot_last: bool = False) -> int:
        """Run up to n steps (fewer at the end of the schedule or on divergence); return how many."""
        n = max(0, min(n, self.config.steps - self.step))
        if n == 0 or self.diverged or not self.params:
            return 0
        start = time.perf_counter()
        batches = self._draw_batches(n)
        losses = torch.empty(n)
        stats_every = self.config.stats_every
        for i in range(n):
            step = self.step + i
            snap = (stats_every and step % stats_every == 0) or (snapshot_last and i == n - 1)
            Xb, Yb = (self.X, self.Y) if batches is None else (self.X[batches[i]], self.Y[batches[i]])
            losses[i] = self._train_step(Xb, Yb, self.lr_at(step), step, bool(snap))
        done = self._record_losses(losses)
        self.seconds += time.perf_counter() - start
        return done

    def _draw_batches(self, n: int) -> torch.Tensor | None:
        """n minibatches of indices in one draw (the same stream as n separate draws)."""
        if self.config.batch_size is None:
            return None
        idx = torch.randint(0, self.X.shape[0], (n, self.config.batch_size), generator=self.g)
        return idx.to(self.device)

    def _train_step(self, Xb, Yb, lr: float, step: int, snapshot: bool) -> torch.Tensor:
        model = self.model
        if model.manual_backward:
            with torch.no_grad():
                loss, grads = backprop.fused_gradients(model, Xb, Yb)
                for p, grad in zip(self.params, grads):
                    p.grad = grad
        else:
            _, loss = model(Xb, Yb)
            if snapshot:
                diagnostics.retain_layer_grads(model)
            for p in self.params:
                p.grad = None
            loss.backward()
        with torch.no_grad():
            if self.optimizer is None:
                for p in self.params:
                    p.data += -lr * p.grad
                updates = [lr * p.grad for p in self.params] if snapshot else None
            else:
                before = [p.detach().clone() for p in self.params] if snapshot else None
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
                self.optimizer.step()
                updates = [p.detach() - b for p, b in zip(self.params, before)] if snapshot else None
            if snapshot:
                self._take_snapshot(step, lr, updates)
        return loss.detach()

    def _take_snapshot(self, step: int, lr: float, updates: list[torch.Tensor]) -> None:
        ratios = diagnostics.update_ratios(self.params, updates)
        if not bool(torch.isfinite(ratios).all()) and self.snapshot is not None:
            return  # keep the last healthy picture of a run that is blowing up
        self.snapshot = diagnostics.capture(self.model, step, lr, ratios)
        self.update_history.append(torch.tensor([step]), ratios.unsqueeze(0))
        summary = diagnostics.nonlinearity_summary(self.model)
        if summary.numel():
            self.saturation_history.append(torch.tensor([step]), summary.flatten().unsqueeze(0))

    def _record_losses(self, losses: torch.Tensor) -> int:
        """Append the chunk's losses; stop at the first divergent one. Returns the steps that count."""
        if self.step == 0 and self.first_loss is None and torch.isfinite(losses[0]):
            self.first_loss = float(losses[0])
        limit = DIVERGENCE_FACTOR * max(self.first_loss or 0.0, math.log(self.model.config.vocab_size))
        bad = ~torch.isfinite(losses) | (losses > limit)
        n = len(losses)
        if bool(bad.any()):
            n = int(bad.nonzero()[0])
            self.diverged_at = self.step + n
            value = float(losses[n])
            self.diverged_reason = (f"the loss became {value}" if not math.isfinite(value) else
                                    f"the loss exploded to {value:,.1f} (over {limit:.0f})")
        if n:
            self.loss_history.append(torch.arange(self.step, self.step + n), losses[:n])
        self.step += len(losses) if self.diverged_at is None else n
        return n

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, split: str) -> float:
        """Mean negative log likelihood of a whole split, in eval mode (BatchNorm's running stats)."""
        return self.model.mean_nll(*self.model.examples(self.data, split))

    def record_eval(self, splits: tuple[str, ...] = ("dev",)) -> dict:
        """Evaluate and remember the result (the dev-loss points on the loss chart)."""
        row = {"step": self.step}
        for split in splits:
            if split in self.data.splits:
                row[split] = self.evaluate(split)
        self.evals.append(row)
        if len(self.evals) > MAX_EVALS:
            self.evals = self.evals[::2]
        return row

    def final_losses(self) -> dict[str, float | None]:
        return {f"{split}_loss": (self.evaluate(split) if split in self.data.splits else None)
                for split in ("train", "dev", "test")}

    @property
    def steps_per_s(self) -> float:
        return self.step / self.seconds if self.seconds > 0 else math.nan


def build_trainer(model_config, train_config: TrainConfig, data: WordData, seed: int,
                  device: str = "cpu") -> Trainer:
    """A fresh model (init drawn from a generator seeded `seed`) and its trainer; also how Reset works."""
    generator = torch.Generator().manual_seed(seed)
    model = build_model(replace(model_config, vocab_size=data.vocab.size), generator)
    if model.manual_backward:
        backprop.check_manual_model(model)
    return Trainer(model, data, train_config, generator, device)
