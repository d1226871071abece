"""A step-wise trainer: advance(n) steps at a time, so a page can pause, resume and redraw.

It runs the lectures' loop: a minibatch drawn with `torch.randint(..., generator=g)`, forward,
backward, `p.data += -lr * p.grad` with a step decay, and records a bounded loss history.
Every `stats_every` steps it also records the update:data ratios and the tanh saturation (their
histories), and after each chunk of steps the last recorded step becomes the diagnostics snapshot.

Its stepper (protocols.Stepper) computes each step, as `TrainConfig.gradients` says: the fast
engine (`engine.FastStep`, the lecture layers' math in a few fused operations), autograd through
the lecture's own operations (`AutogradStep`), or part 4's hand-written backward (`ByHandStep`).
A trainer can also train K copies of one network together on one K-copy engine (a `Sweep`): each
copy gets its loss history column, its divergence and its statistics; the run stops when all
copies have diverged.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import torch

from .. import engine, validation
from ..data import WordData
from ..models import LanguageModel, build_model
from ..stats import diagnostics
from ..stats.history import History
from .autograd_step import MAX_RECORDINGS, AutogradStep
from .by_hand import ByHandStep
from .protocols import Stepper

MAX_EVALS = 1000  # evaluation records kept (older ones thinned)
FIRST_CHUNK = 16  # advance_for: steps in its first chunk, before it knows the speed
MAX_CHUNK = 2000  # advance_for: most steps in one chunk
DIVERGENCE_FACTOR = 10.0  # a loss this many times above max(first loss, uniform guess) has diverged
GRADIENTS = ("fast", "autograd", "by_hand")  # TrainConfig.gradients
LEGACY_TRAIN_FIELDS = frozenset({"exact"})  # older versions' choice of gradients (see train_config_from_dict)


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
    gradients: str = "fast"  # how a step's gradients are computed: "fast" (the fused engine, where the model
    #                          and an SGD step without clipping allow it; autograd otherwise), "autograd" (the
    #                          lecture's own operations) or "by_hand" (part 4's hand-written backward pass)


@dataclass
class Progress:
    """Where a single run stands beyond its weights: what a trainer built on those weights needs to continue it
    (`Trainer.resume`). With the same weights and BatchNorm buffers, data and config, an SGD run continues
    exactly as if it had never stopped: the next minibatches are the ones it would have drawn. AdamW's moment
    estimates are not part of it: they start again from zero."""
    step: int
    seconds: float
    first_loss: float | None
    generator_state: torch.Tensor | None  # the minibatch stream's position (None: the trainer's own generator)
    loss: tuple[torch.Tensor, torch.Tensor, int]  # the loss history's steps, values and stride
    updates: tuple[torch.Tensor, torch.Tensor, int] | None = None  # the update:data history's (None: start empty)
    evals: list = field(default_factory=list)
    lr_changes: list = field(default_factory=list)  # (step, lr)
    base_lr: float | None = None  # the learning rate it trained at last (None: its config's)


def train_config_from_dict(data) -> TrainConfig:
    """A TrainConfig saved as a dict (by a checkpoint: data from anyone), every field checked against its type;
    older versions' `exact=True` (the lecture's operations) is `gradients="autograd"`. Raises ValueError."""
    config = validation.dataclass_from_plain(TrainConfig, data, "its training settings", LEGACY_TRAIN_FIELDS)
    if data.get("exact") and "gradients" not in data:
        config = replace(config, gradients="autograd")
    return config


def make_stepper(model: LanguageModel, config: TrainConfig) -> Stepper:
    """The stepper `config.gradients` asks for; "fast" falls back to autograd where the engine cannot go."""
    if config.gradients not in GRADIENTS:
        raise ValueError(f"unknown gradients {config.gradients!r}; choose from {', '.join(GRADIENTS)}")
    if config.gradients == "by_hand":
        return ByHandStep(model, config)
    if (config.gradients == "fast" and config.optimizer == "sgd" and config.grad_clip is None
            and engine.supports(model)):
        return engine.FastStep(model, MAX_RECORDINGS)
    return AutogradStep(model, config)


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
    """Owns a model (or K copies of one), its generator and its histories; `advance(n)` runs the next n steps.

    With K copies (a list of models and a K-copy `stepper`) the losses are (K,) per step, and
    first_losses, diverged_steps and diverged_reasons say each copy's; `first_loss`, `diverged_at`
    and `diverged_reason` are the first copy's (the only one of a single run).
    """

    def __init__(self, model: LanguageModel | list[LanguageModel], data: WordData, config: TrainConfig,
                 generator: torch.Generator, device: str = "cpu", stepper: Stepper | None = None) -> None:
        """stepper: how to step (default: what `config.gradients` asks for); K copies need a K-copy engine."""
        self.models = [m.to(device) for m in (model if isinstance(model, list) else [model])]
        self.model, self.data, self.config, self.g = self.models[0], data, config, generator
        self.device, self.copies = device, len(self.models)
        self.X, self.Y = (t.to(device) for t in self.model.examples(data, "train"))
        if self.model.fits_by_counting:
            self.model.fit(self.X, self.Y)
        self.params = [p for p in self.model.parameters()]
        self.param_names = [name for name, _ in self.model.named_parameters()]
        self.stepper = stepper or make_stepper(self.model, config)
        self.step = 0
        self.base_lr = config.lr
        K = self.copies
        self.first_losses: list[float | None] = [None] * K
        self.diverged_steps: list[int | None] = [None] * K
        self.diverged_reasons = [""] * K
        self._healthy = torch.ones(K, dtype=torch.bool, device=device)  # copies not diverged
        self._loss_limit = torch.full((K,), DIVERGENCE_FACTOR * math.log(self.model.config.vocab_size),
                                      device=device)  # above it: diverged
        self.seconds = 0.0
        self.loss_history = History(K)
        self.update_history = History(max(len(self.params), 1), capacity=2048)
        self.saturation_history = History(max(K * len(diagnostics.nonlinearity_indices(self.model)), 1) * 2,
                                          capacity=2048)
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
        """Every copy has diverged (the one copy of a single run)."""
        return all(at is not None for at in self.diverged_steps)

    @property
    def first_loss(self) -> float | None:
        return self.first_losses[0]

    @property
    def diverged_at(self) -> int | None:
        return self.diverged_steps[0]

    @property
    def diverged_reason(self) -> str:
        return self.diverged_reasons[0]

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
                if len(self._recordings) >= self.stepper.pending_limit:
                    self._summarize_recordings()
        if not self.diverged:
            self._cut_at_divergence(losses, checked)
        self.stepper.keep_outputs()
        if losses:
            steps = torch.arange(self.step, self.step + len(losses))
            self.loss_history.append(steps, self._blank_diverged(steps, torch.stack(losses).cpu()))
        self.step += len(losses)
        self._finish_statistics()
        self.seconds += time.perf_counter() - start
        return len(losses)

    def advance_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` of wall-clock time (or max_steps); see advance_within."""
        return advance_within(self, seconds, max_steps)

    def progress(self) -> Progress:
        """Where this run stands beyond its weights (one copy only), for `resume`."""
        if self.copies != 1:
            raise ValueError("only a single run's progress is kept, not a sweep's")
        return Progress(self.step, self.seconds, self.first_loss, self.g.get_state(),
                        (self.loss_history.steps, self.loss_history.values, self.loss_history.stride),
                        (self.update_history.steps, self.update_history.values, self.update_history.stride),
                        list(self.evals), list(self.lr_changes), self.base_lr)

    def resume(self, progress: Progress) -> None:
        """Continue from `progress` (a fresh trainer whose model holds the run's saved weights). Raises
        ValueError where it does not fit this trainer (its histories' widths, a generator state of another
        size, a step past MAX_STEPS): progress read back from a store is data from outside."""
        if self.step or self.copies != 1:
            raise ValueError("only a fresh trainer of a single run can resume one")
        step = validation.whole_number(progress.step, "the step", 0, validation.MAX_STEPS)
        seconds = validation.real_number(progress.seconds, "the training time", 0.0)
        base_lr = self.base_lr if progress.base_lr is None else \
            validation.real_number(progress.base_lr, "the learning rate", 0.0)
        if progress.generator_state is not None:
            try:
                self.g.set_state(progress.generator_state)
            except (RuntimeError, TypeError):
                raise ValueError("its minibatch generator's state does not fit this generator") from None
        self.loss_history.restore(*progress.loss)
        if progress.updates is not None:
            self.update_history.restore(*progress.updates)
        if progress.first_loss is not None and math.isfinite(progress.first_loss):
            self._note_first_losses(torch.tensor([float(progress.first_loss)]))
        self.step, self.seconds, self.base_lr = step, seconds, base_lr
        self.evals = list(progress.evals)[-MAX_EVALS:]
        self.lr_changes = list(progress.lr_changes)

    def _draw_batches(self, n: int) -> list:
        """n minibatches in one draw (the same stream as n separate draws), as the stepper takes them."""
        if self.config.batch_size is None:
            return self.stepper.batches(self.X[None], self.Y[None]) * n  # the whole split, every step
        idx = torch.randint(0, self.X.shape[0], (n, self.config.batch_size), generator=self.g).to(self.device)
        return self.stepper.batches(self.X[idx], self.Y[idx])

    def _summarize_recordings(self) -> None:
        """Statistics of the queued recorded steps, computed together; the last one may become the snapshot."""
        ratios, saturation = self.stepper.statistics(self._recordings)
        self._rows.append((torch.tensor([r.step for r in self._recordings]), ratios, saturation.flatten(1)))
        self._last_recording = (self._recordings[-1], ratios[-1])
        self._recordings = []

    def _finish_statistics(self) -> None:
        """After a chunk: the histories get its statistics, and its last recorded step becomes the
        snapshot (unless its ratios are not finite: then the last healthy picture stays)."""
        if self._recordings:
            self._summarize_recordings()
        for steps, ratios, saturation in self._rows:
            if ratios.numel():
                self.update_history.append(steps, ratios)
            if saturation.numel():
                self.saturation_history.append(steps, self._blank_diverged(steps, saturation))
        if self._last_recording is not None and self.copies == 1:
            recording, ratios = self._last_recording
            if self.snapshot is None or bool(torch.isfinite(ratios).all()):
                self.snapshot = self.stepper.snapshot(recording, ratios)
        self._rows, self._last_recording = [], None

    def _blank_diverged(self, steps: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """Rows (len(steps), K * width) with each diverged copy's values from its divergence on set to NaN
        (a diverged copy of several trains on with the others)."""
        for copy, at in enumerate(self.diverged_steps):
            if at is not None:
                values.view(len(steps), self.copies, -1)[steps >= at, copy] = math.nan
        return values

    def _cut_at_divergence(self, losses: list[torch.Tensor], checked: int) -> bool:
        """Check this chunk's losses[checked:]; mark each copy whose loss is first not sane there (NaN,
        inf, or far above the start) as diverged at that step. Once every copy has, drop the step where
        the last one did and what followed, and return True: the run stops."""
        if not losses[checked:]:
            return False
        values = torch.stack(losses[checked:]).view(-1, self.copies)  # (n, K)
        if self.step == 0 and checked == 0:
            self._note_first_losses(values[0])
        bad = ~(values <= self._loss_limit)  # NaN too
        if any(at is not None for at in self.diverged_steps):  # a copy that diverged is not judged again
            bad &= self._healthy
        if not bool(bad.any()):
            return False
        for copy in bad.any(0).nonzero()[:, 0].tolist():
            first = int(bad[:, copy].nonzero()[0])
            value, limit = float(values[first, copy]), float(self._loss_limit[copy])
            self.diverged_steps[copy] = self.step + checked + first
            self.diverged_reasons[copy] = (f"the loss became {value}" if not math.isfinite(value) else
                                           f"the loss exploded to {value:,.1f} (over {limit:.0f})")
            self._healthy[copy] = False
        if not self.diverged:
            return False
        del losses[max(self.diverged_steps) - self.step:]
        return True

    def _note_first_losses(self, first: torch.Tensor) -> None:
        """The first step's losses (K,) set each copy's divergence limit: DIVERGENCE_FACTOR times it, or
        times the uniform guess's loss if that is larger."""
        uniform = math.log(self.model.config.vocab_size)
        for copy, value in enumerate(first.tolist()):
            if math.isfinite(value):
                self.first_losses[copy] = value
                self._loss_limit[copy] = DIVERGENCE_FACTOR * max(value, uniform)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, split: str, max_examples: int | None = None, copy: int = 0) -> float:
        """Mean negative log likelihood of a split in eval mode (BatchNorm's running stats), of the model
        (or of one of the copies).

        max_examples: only the split's first examples (its words are in shuffled order, so they
        are a fair sample), for cheap estimates while training live.
        """
        model = self.models[copy]
        X, Y = model.examples(self.data, split)
        return model.mean_nll(X[:max_examples], Y[:max_examples])

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


def build_trainer(model_config, train_config: TrainConfig, data: WordData, seed: int, device: str = "cpu",
                  stepper: Callable[[LanguageModel, TrainConfig], Stepper] | None = None) -> Trainer:
    """A fresh model (init drawn from a generator seeded `seed`) and its trainer; also how Reset works.

    stepper: builds the stepper for the model (default: what `train_config.gradients` asks for)."""
    generator = torch.Generator().manual_seed(seed)
    model = build_model(replace(model_config, vocab_size=data.vocab.size), generator)
    return Trainer(model, data, train_config, generator, device, stepper=stepper and stepper(model, train_config))
