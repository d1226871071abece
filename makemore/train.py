"""A step-wise trainer: advance(n) steps at a time, so a page can pause, resume and redraw.

It runs the lectures' loop: a minibatch drawn with `torch.randint(..., generator=g)`, forward,
backward, `p.data += -lr * p.grad` with a step decay, and records a bounded loss history.
Every `stats_every` steps it also records the update:data ratios and the tanh saturation (their
histories), and after each chunk of steps the last recorded step becomes the diagnostics snapshot.

Two interchangeable step functions compute the same numbers: `ExactStep`, the lecture's own
operations through autograd (or part 4's hand-written backward), and the default
`engine.FastStep`, the same math in a few fused operations (several times faster).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import torch

from . import backprop, diagnostics, engine, grouped_stats
from .data import WordData
from .history import History
from .layers import Nonlinearity
from .models import LanguageModel, build_model, layers_of

MAX_EVALS = 1000  # evaluation records kept (older ones thinned)
MAX_RECORDINGS = 32  # recorded steps whose statistics are computed together (bounds the memory held)
FIRST_CHUNK = 16  # advance_for: steps in its first chunk, before it knows the speed
MAX_CHUNK = 2000  # advance_for: most steps in one chunk
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
    decay_matmul_only: bool = False  # AdamW: decay only the Linear weights (minGPT's rule), not biases,
    #                                  LayerNorm or embeddings (makemore.py until August 2022)
    grad_clip: float | None = None  # clip the gradients' total norm to this before each update (None: never)
    stats_every: int = 10  # take a diagnostics snapshot every k steps (0: never)
    exact: bool = False  # True: the lecture's own operations (autograd), not the fused fast path


def advance_within(trainer, seconds: float, max_steps: int | None = None) -> int:
    """Call `trainer.advance(n)` in chunks until about `seconds` are spent, max_steps are done or
    `trainer.done`; returns the steps taken.

    At least one chunk runs, so a slow machine still makes progress; chunks fill the budget from the
    measured speed: the run's own so far (its `seconds` over its `step`), else FIRST_CHUNK steps to
    measure it (a full-batch step can take a tenth of a second: 16 of them every tick would overrun a
    half-second tick threefold). Works for anything with `advance(n) -> steps` and `done` (a Sweep too).
    """
    deadline = time.perf_counter() + seconds
    done, chunk = 0, FIRST_CHUNK
    if getattr(trainer, "step", 0) > 0 and getattr(trainer, "seconds", 0) > 0:
        chunk = int(max(1, min(MAX_CHUNK, seconds * trainer.step / trainer.seconds)))
    while not trainer.done and (max_steps is None or done < max_steps):
        t0 = time.perf_counter()
        n = trainer.advance(chunk if max_steps is None else min(chunk, max_steps - done))
        done += n
        now = time.perf_counter()
        if n == 0 or now >= deadline:
            break
        per_step = (now - t0) / n
        chunk = int(max(1, min(MAX_CHUNK, (deadline - now) / per_step)))
    return done


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
        fast = (not config.exact and config.optimizer == "sgd" and config.grad_clip is None
                and engine.supports(model))
        self.stepper = engine.FastStep(model, MAX_RECORDINGS) if fast else ExactStep(model, config)
        self.step = 0
        self.base_lr = config.lr
        self.first_loss: float | None = None
        self.diverged_at: int | None = None
        self.diverged_reason = ""
        self._loss_limit = DIVERGENCE_FACTOR * math.log(model.config.vocab_size)  # above it: diverged
        self.seconds = 0.0
        self.loss_history = History(1)
        self.update_history = History(max(len(self.params), 1), capacity=2048)
        self.saturation_history = History(max(len(diagnostics.nonlinearity_indices(model)), 1) * 2, capacity=2048)
        self.snapshot: diagnostics.Snapshot | None = None
        self._recordings: list = []  # recorded steps whose statistics are not computed yet
        self._rows: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (steps, ratios, saturation)
        self._last_recording = None  # (recording, its ratios): the candidate for the next snapshot
        self.evals: list[dict] = []
        self.lr_changes: list[tuple[int, float]] = []

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
        stats_every = self.config.stats_every
        losses: list[torch.Tensor] = []
        checked = 0  # losses[:checked] are known to be sane
        for i, batch in enumerate(self._draw_batches(n)):
            step = self.step + i
            lr = self.lr_at(step)
            record = bool(stats_every and step % stats_every == 0) or (snapshot_last and i == n - 1)
            losses.append(self.stepper.step(batch, lr, record))
            if record:  # a recorded step must be a sane one: check the losses so far first
                if self._cut_at_divergence(losses, checked):
                    break
                checked = len(losses)
                self._recordings.append(self.stepper.record(step, lr))
                if len(self._recordings) == self.stepper.pending_limit:
                    self._summarize_recordings()
        if not self.diverged:
            self._cut_at_divergence(losses, checked)
        self.stepper.keep_outputs()
        if losses:
            self.loss_history.append(torch.arange(self.step, self.step + len(losses)), torch.stack(losses).cpu())
        self.step += len(losses)
        self._finish_statistics()
        self.seconds += time.perf_counter() - start
        return len(losses)

    def advance_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` of wall-clock time (or max_steps); see advance_within."""
        return advance_within(self, seconds, max_steps)

    def _draw_batches(self, n: int) -> list:
        """n minibatches in one draw (the same stream as n separate draws), as the stepper takes them."""
        if self.config.batch_size is None:
            return self.stepper.batches(self.X[None], self.Y[None]) * n  # the whole split, every step
        idx = torch.randint(0, self.X.shape[0], (n, self.config.batch_size), generator=self.g).to(self.device)
        return self.stepper.batches(self.X[idx], self.Y[idx])

    def _summarize_recordings(self) -> None:
        """Statistics of the queued recorded steps, computed together; the last one may become the snapshot."""
        ratios, saturation = self.stepper.statistics(self._recordings)
        self._rows.append((torch.tensor([r.step for r in self._recordings]), ratios, saturation))
        self._last_recording = (self._recordings[-1], ratios[-1])
        self._recordings = []

    def _finish_statistics(self) -> None:
        """After a chunk: the histories get its statistics, and its last recorded step becomes the
        snapshot (unless its ratios are not finite: then the last healthy picture stays)."""
        if self._recordings:
            self._summarize_recordings()
        for steps, ratios, saturation in self._rows:
            self.update_history.append(steps, ratios)
            if saturation.numel():
                self.saturation_history.append(steps, saturation.flatten(1))
        if self._last_recording is not None:
            recording, ratios = self._last_recording
            if self.snapshot is None or bool(torch.isfinite(ratios).all()):
                self.snapshot = self.stepper.snapshot(recording, ratios)
        self._rows, self._last_recording = [], None

    def _cut_at_divergence(self, losses: list[torch.Tensor], checked: int) -> bool:
        """Check this chunk's losses[checked:]; at the first that is not sane (NaN, inf, or far
        above the start), mark the run as diverged there and drop it and what followed."""
        if not losses[checked:]:
            return False
        values = torch.stack(losses[checked:])
        if self.step == 0 and checked == 0 and torch.isfinite(values[0]):
            self.first_loss = float(values[0])
            self._loss_limit = DIVERGENCE_FACTOR * max(self.first_loss, math.log(self.model.config.vocab_size))
        bad = ~(values <= self._loss_limit)  # NaN too
        if not bool(bad.any()):
            return False
        first = checked + int(bad.nonzero()[0])
        value = float(losses[first])
        self.diverged_at = self.step + first
        self.diverged_reason = (f"the loss became {value}" if not math.isfinite(value) else
                                f"the loss exploded to {value:,.1f} (over {self._loss_limit:.0f})")
        del losses[first:]
        return True

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, split: str, max_examples: int | None = None) -> float:
        """Mean negative log likelihood of a split in eval mode (BatchNorm's running stats).

        max_examples: only the split's first examples (its words are in shuffled order, so they
        are a fair sample), for cheap estimates while training live.
        """
        X, Y = self.model.examples(self.data, split)
        return self.model.mean_nll(X[:max_examples], Y[:max_examples])

    def record_eval(self, splits: tuple[str, ...] = ("dev",), max_examples: int | None = None) -> dict:
        """Evaluate and remember the result (the dev-loss points on the loss chart)."""
        row = {"step": self.step}
        for split in splits:
            if split in self.data.splits:
                row[split] = self.evaluate(split, max_examples)
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


class ExactStep:
    """The lecture's loop body: autograd through the layer modules, then `p.data += -lr * p.grad`.

    Part 4's model takes its hand-written backward pass instead of autograd, as in the lecture;
    `optimizer="adamw"` steps with makemore.py's AdamW instead of SGD.
    """

    def __init__(self, model: LanguageModel, config: TrainConfig) -> None:
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
        if model.manual_backward:
            with torch.no_grad():
                loss, grads = backprop.fused_gradients(model, Xb, Yb)
            for p, grad in zip(self.params, grads):
                p.grad = grad
            return loss
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
        saturation = grouped_stats.saturation(nonlinearities, [layer.out for layer in nonlinearities])
        return _Capture(step, diagnostics.capture(self.model, step, lr, update_log10), saturation)

    def statistics(self, recordings: list["_Capture"]) -> tuple[torch.Tensor, torch.Tensor]:
        """(k, n_params) update:data ratios and (k, n_nonlinearities, 2) saturation of k recordings."""
        return (torch.stack([r.snapshot.update_log10 for r in recordings]),
                torch.stack([r.saturation for r in recordings]))

    def snapshot(self, recording: "_Capture", update_log10: torch.Tensor) -> diagnostics.Snapshot:
        return recording.snapshot


@dataclass
class _Capture:
    step: int
    snapshot: diagnostics.Snapshot
    saturation: torch.Tensor


def _make_optimizer(model: LanguageModel, config: TrainConfig):
    if config.optimizer == "adamw":
        # fused: one kernel for all the parameters (the same update; a fifth of the time of the
        # per-parameter loop here, which was 8% of a Transformer step and more of an RNN's)
        return torch.optim.AdamW(_decay_groups(model, config), lr=config.lr, betas=(0.9, 0.99), eps=1e-8,
                                 fused=True)
    if config.optimizer != "sgd":
        raise ValueError(f"unknown optimizer {config.optimizer!r}")
    return None


def _decay_groups(model: LanguageModel, config: TrainConfig) -> list[dict]:
    """AdamW's parameter groups: every parameter decayed, or (decay_matmul_only) only the Linear weights."""
    if not config.decay_matmul_only:
        return [{"params": list(model.parameters()), "weight_decay": config.weight_decay}]
    matmul = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Linear)}
    params = list(model.parameters())
    return [{"params": [p for p in params if id(p) in matmul], "weight_decay": config.weight_decay},
            {"params": [p for p in params if id(p) not in matmul], "weight_decay": 0.0}]


def build_trainer(model_config, train_config: TrainConfig, data: WordData, seed: int,
                  device: str = "cpu") -> Trainer:
    """A fresh model (init drawn from a generator seeded `seed`) and its trainer; also how Reset works."""
    generator = torch.Generator().manual_seed(seed)
    model = build_model(replace(model_config, vocab_size=data.vocab.size), generator)
    if model.manual_backward:
        backprop.check_manual_model(model)
    return Trainer(model, data, train_config, generator, device)
