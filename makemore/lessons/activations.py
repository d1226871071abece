"""Part 3's lessons beyond the live diagnostics: what a run shows, the softmax at init, BatchNorm at inference.

`run_facts` reads what the page's run shows (first loss, saturation, spreads, update:data) for the
walk-through's sentences; `softmax_at_init` is one example's 27 probabilities before any step;
`batchnorm_inference` compares the lecture's running statistics with its calibration pass and with each
batch's own statistics; `batch_jitter` is BatchNorm's coupling of examples (why it regularizes).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd
import torch
import torch.nn.functional as F

from ..data import WordData
from ..layers import BatchNorm1d
from ..models import build_model, layers_of
from ..stats import diagnostics as dg
from .data import visible

SATURATED = "|h| > 0.99"  # the saturation image's white cells (the lecture's `h.abs() > 0.99`)
JITTER_BATCHES = 200  # batches of mates one example is normalized with
DEV_BATCH = 32  # dev examples a train-mode (batch statistics) evaluation normalizes together


# ------------------------------------------------------------------------------ what the page's run shows
@dataclass(frozen=True)
class RunFacts:
    """The numbers of a run the walk-through quotes (None where the run has not shown them yet)."""
    step: int  # steps trained
    vocab: int
    first_loss: float | None
    snapshot_step: int | None  # the step whose batch the histograms and tables show
    white_pct: list[float]  # per nonlinearity layer: % of the batch's outputs beyond the saturation image's limit
    saturated_pct: list[float]  # ... beyond the activation table's (where the local gradient has almost vanished)
    dead: list[int]  # per nonlinearity layer: neurons white for every example
    width: int  # neurons of the first nonlinearity layer
    preact_std: list[float]  # per nonlinearity layer: the std of its input
    act_std: list[float]  # ... of its output
    grad_std: list[float]  # ... of d loss / d its output
    mean_top_prob: float | None  # the softmax's mean probability of its top guess on the snapshot's batch
    max_logit: float | None  # the largest |logit| of that batch
    weight_ud: tuple[float, float] | None  # lowest and highest log10 update:data of the 2-D weights

    @property
    def uniform(self) -> float:
        """-ln(1/vocab): the loss of a uniform guess."""
        return math.log(self.vocab)

    @property
    def above_uniform(self) -> float | None:
        return self.first_loss / self.uniform if self.first_loss is not None else None


def run_facts(trainer) -> RunFacts:
    """What a trainer's histories and diagnostics snapshot show now."""
    vocab = trainer.model.config.vocab_size
    snap = trainer.snapshot
    if snap is None:
        return RunFacts(trainer.step, vocab, trainer.first_loss, None, [], [], [], 0, [], [], [], None, None, None)
    by_index = {r.index: r for r in snap.layers}
    hidden = [r for r in snap.layers if r.dead is not None]
    logits = snap.layers[-1].out.float()
    ud = dg.parameter_table(snap)
    ud = ud[ud["ndim"] == 2]["update_data_log10"]
    return RunFacts(
        trainer.step, vocab, trainer.first_loss, snap.step,
        white_pct=[r.dead.float().mean().item() * 100 for r in hidden],
        saturated_pct=[r.saturated.float().mean().item() * 100 for r in hidden],
        dead=[dg.dead_neurons(snap, r.index) for r in hidden],
        width=hidden[0].out.shape[-1] if hidden else 0,
        preact_std=[by_index[r.index - 1].out.std().item() for r in hidden if r.index - 1 in by_index],
        act_std=[r.out.std().item() for r in hidden],
        grad_std=[r.grad.std().item() for r in hidden if r.grad is not None],
        mean_top_prob=F.softmax(logits, -1).max(-1).values.mean().item(),
        max_logit=logits.abs().max().item(),
        weight_ud=(float(ud.min()), float(ud.max())) if len(ud) and ud.notna().all() else None)


def mean_loss_before(history, step: int, window: int) -> float | None:
    """The mean training loss of the `window` steps before `step` (None until the run has trained them)."""
    steps = history.steps
    if not len(steps) or int(steps.max()) < step - 1:
        return None
    mask = (steps >= step - window) & (steps < step)
    return history.values[mask, 0].double().mean().item() if bool(mask.any()) else None


# ------------------------------------------------------------------------------ the softmax at init
@dataclass(frozen=True)
class FirstBatch:
    """A network as initialized and the first minibatch its training would draw, through it."""
    loss: float  # the batch's mean loss: the run's first loss
    probs: torch.Tensor  # (32, V) softmax of the batch
    contexts: torch.Tensor  # (32, block_size)
    targets: torch.Tensor  # (32,)


def initial_batch(model_config, data: WordData, seed: int, batch_size: int = 32):
    """The lecture's order: the model drawn from a generator seeded `seed`, then one minibatch of training
    windows drawn from the same generator (what a trainer's first step sees). Returns (model, Xb, Yb)."""
    g = torch.Generator().manual_seed(seed)
    model = build_model(replace(model_config, vocab_size=data.vocab.size), g)
    X, Y = model.examples(data, "train")
    ix = torch.randint(0, X.shape[0], (batch_size,), generator=g)
    return model, X[ix], Y[ix]


def first_batch(model_config, data: WordData, seed: int) -> FirstBatch:
    """The first minibatch through a network as initialized (see initial_batch)."""
    model, Xb, Yb = initial_batch(model_config, data, seed)
    with torch.no_grad():
        logits = model.logits(Xb)
    return FirstBatch(F.cross_entropy(logits, Yb).item(), F.softmax(logits, -1), Xb, Yb)


def softmax_frame(batches: dict[str, FirstBatch], example: int, itos) -> pd.DataFrame:
    """init, token, char, prob, target (bool): one example's probabilities under each init."""
    rows = []
    for init, batch in batches.items():
        target = int(batch.targets[example])
        for token, p in enumerate(batch.probs[example].tolist()):
            rows.append({"init": init, "token": token, "char": visible(itos[token]), "prob": p,
                         "target": token == target})
    return pd.DataFrame(rows)


def example_summary(batches: dict[str, FirstBatch], example: int) -> pd.DataFrame:
    """Per init: the batch's loss, this example's -log p(target), its p(target) and its top probability."""
    rows = []
    for init, batch in batches.items():
        p = batch.probs[example]
        target = int(batch.targets[example])
        rows.append({"init": init, "batch loss": batch.loss, "example's loss": -math.log(max(p[target].item(), 1e-45)),
                     "p(target)": p[target].item(), "top probability": p.max().item()})
    return pd.DataFrame(rows).set_index("init")


# ------------------------------------------------------------------------------ BatchNorm at inference
def batchnorm_layers(model) -> list[int]:
    return [i for i, layer in enumerate(layers_of(model)) if isinstance(layer, BatchNorm1d)]


def _copy(model):
    """A copy to measure on: evaluating in train mode moves running statistics, and the run must not move."""
    twin = build_model(model.config)
    twin.load_state_dict(model.state_dict())
    return twin.to(model.device)


def _inputs_to(model, X: torch.Tensor, index: int) -> torch.Tensor:
    """The input of layer `index` for the windows X, in eval mode (an embedding-concatenating net)."""
    emb = model.C[X]
    x = emb.view(emb.shape[0], -1)
    for layer in layers_of(model)[:index]:
        x = layer(x)
    return x


def calibrated(model, data: WordData, chunk: int = 16384):
    """A copy whose BatchNorm layers hold the statistics of the whole training split (the lecture's
    calibration pass: `bnmean = hpreact.mean(0)`, `bnstd = hpreact.std(0)` after training), layer after
    layer, each measured with the ones before it already calibrated; summed in float64 by chunks."""
    twin = _copy(model)
    X, _ = twin.examples(data, "train")
    twin.eval()
    with torch.no_grad():
        for index in batchnorm_layers(twin):
            bn = layers_of(twin)[index]
            total = total_sq = None
            for start in range(0, X.shape[0], chunk):
                x = _inputs_to(twin, X[start:start + chunk].to(twin.device), index).double()
                s, s2 = x.sum(0), (x * x).sum(0)
                total, total_sq = (s, s2) if total is None else (total + s, total_sq + s2)
            n = X.shape[0]
            mean = total / n
            var = (total_sq - n * mean * mean) / (n - 1)  # unbiased, as torch's std() and var()
            bn.running_mean = mean.float()
            bn.running_var = (var.clamp_min(0).sqrt() if bn.track_std else var).float()
    return twin


def batch_statistics_loss(model, X: torch.Tensor, Y: torch.Tensor, seed: int, batch_size: int = DEV_BATCH) -> float:
    """Mean loss with every batch of `batch_size` (drawn in a seeded random order) normalized by its own
    statistics, as in training (train mode, on a copy: its running statistics move)."""
    twin = _copy(model)
    twin.train()
    order = torch.randperm(X.shape[0], generator=torch.Generator().manual_seed(seed))
    total, n = 0.0, 0
    with torch.no_grad():
        for start in range(0, X.shape[0] - batch_size + 1, batch_size):  # whole batches only
            ix = order[start:start + batch_size]
            total += F.cross_entropy(twin.logits(X[ix].to(twin.device)), Y[ix].to(twin.device),
                                     reduction="sum").item()
            n += batch_size
    return total / n


@dataclass(frozen=True)
class BatchNormInference:
    losses: dict[str, float]  # dev loss: running statistics, calibrated, each batch's own statistics
    stats: pd.DataFrame  # the first BatchNorm's neurons: neuron, statistic (mean / spread), running, calibrated
    spread_name: str  # "std" (part 3's form) or "var"
    largest_gap: float  # the largest |running - calibrated| mean of the first BatchNorm


def batchnorm_inference(model, data: WordData, seed: int, split: str = "dev") -> BatchNormInference:
    """The lecture's three ways to normalize at inference, on one split, for a network with BatchNorm."""
    cal = calibrated(model, data)
    X, Y = model.examples(data, split)
    losses = {"running statistics (eval mode)": model.mean_nll(X, Y),
              "calibrated on the training split": cal.mean_nll(X, Y),
              f"each batch of {DEV_BATCH}'s own statistics (train mode)": batch_statistics_loss(model, X, Y, seed)}
    first = batchnorm_layers(model)[0]
    ours, theirs = layers_of(model)[first], layers_of(cal)[first]
    spread = "std" if ours.track_std else "var"
    rows = []
    pairs = (("mean", ours.running_mean, theirs.running_mean), (spread, ours.running_var, theirs.running_var))
    for name, a, b in pairs:
        for neuron, (r, c) in enumerate(zip(a.flatten().tolist(), b.flatten().tolist())):
            rows.append({"neuron": neuron, "statistic": name, "running": r, "calibrated": c})
    gap = (ours.running_mean.flatten() - theirs.running_mean.flatten()).abs().max().item()
    return BatchNormInference(losses, pd.DataFrame(rows), spread, gap)


def batch_jitter(model, data: WordData, example: int, seed: int, batches: int = JITTER_BATCHES,
                 batch_size: int = 32, split: str = "dev") -> pd.DataFrame:
    """One example of `split` normalized with `batches` random sets of training batch mates (train mode):
    batch, loss (its -log p(target)), p_target; and in `attrs` its eval-mode loss."""
    twin = _copy(model)
    X, Y = twin.examples(data, split)
    Xtr, _ = twin.examples(data, "train")
    x, y = X[example:example + 1], Y[example:example + 1]
    g = torch.Generator().manual_seed(seed)
    mates = torch.randint(0, Xtr.shape[0], (batches, batch_size - 1), generator=g)
    twin.train()
    rows = []
    with torch.no_grad():
        for b in range(batches):
            logits = twin.logits(torch.cat([x, Xtr[mates[b]]]).to(twin.device))[0]
            p = F.softmax(logits.double(), -1)[int(y)].item()
            rows.append({"batch": b, "loss": -math.log(max(p, 1e-300)), "p_target": p})
    frame = pd.DataFrame(rows)
    frame.attrs["eval_loss"] = model.mean_nll(x, y)
    return frame


def has_batchnorm(model) -> bool:
    return bool(batchnorm_layers(model))
