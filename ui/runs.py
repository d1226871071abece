"""The session's registry of runs: every paused, finished or reset run, for sampling and comparing.

A record keeps what a later page needs (the model, its vocabulary and words, the histories and
final numbers) but not the trainer's data tensors, so that old runs stay cheap. The registry is
kept in the store (ui/session_store) as it changes, and brought back from it when a browser
session opens with the session's code in its URL (a reload, a reopened tab, another device).
"""
from __future__ import annotations

import contextlib
import io
import time
import uuid
from dataclasses import asdict, dataclass, field

import pandas as pd
import streamlit as st

from makemore import checkpoint, validation
from makemore.data import Vocabulary
from makemore.models import LanguageModel, config_to_dict, layers_of
from makemore.stats.diagnostics import parameter_blocks, update_ratio_frame
from makemore.training import TrainConfig, Trainer
from ui import session_store
from ui.store import SavedRun
from ui.store.sessions import MAX_RUNS  # the oldest run is dropped beyond this, here and in the store

MAX_LABEL = validation.MAX_TEXT  # characters of a run's name (as a checkpoint may carry)
BROUGHT_BACK = "runs_brought_back"  # st.session_state: the kept runs were loaded in this browser session
REFUSED = "runs_refused"  # st.session_state: [(RunInfo, why)] of kept runs that could not be loaded
EXTRAS = "runs_kept_extras"  # st.session_state: run_id -> (settings, frames) kept beside a run (ui.resume)


@dataclass
class RunRecord:
    run_id: str
    label: str
    page: str
    model: LanguageModel
    vocab: Vocabulary
    words: list[str]  # training words: a sample found here is "already in the data"
    model_config: object
    train_config: object
    seed: int
    sample_seed: int
    data_label: str
    steps: int = 0
    seconds: float = 0.0
    first_loss: float | None = None
    losses: dict = field(default_factory=dict)  # train_loss / dev_loss / test_loss
    loss_curve: pd.DataFrame = field(default_factory=pd.DataFrame)  # step, loss
    update_curve: pd.DataFrame = field(default_factory=pd.DataFrame)  # step, name, block, log10_ratio
    evals: list = field(default_factory=list)
    diverged_at: int | None = None
    diverged_reason: str = ""
    updated: float = field(default_factory=time.time)

    @property
    def family(self) -> str:
        return self.model_config.family

    @property
    def params(self) -> int:
        return self.model.num_params()

    def config_dict(self) -> dict:
        return {**config_to_dict(self.model_config), "seed": self.seed, "lr": self.train_config.lr,
                "batch_size": self.train_config.batch_size, "data": self.data_label}


@contextlib.contextmanager
def keeping_layer_outputs(model: LanguageModel):
    """Evaluate without replacing each layer's `.out` (the last training batch's output, as in the lecture):
    otherwise every kept model would hold a chunk of evaluation activations, about 40 MB for the deep net."""
    kept = [(layer, getattr(layer, "out", None)) for layer in layers_of(model)]
    try:
        yield
    finally:
        for layer, out in kept:
            layer.out = out


def new_run_id() -> str:
    return uuid.uuid4().hex[:10]


def loss_curve(trainer: Trainer) -> pd.DataFrame:
    history = trainer.loss_history
    return pd.DataFrame({"step": history.steps.numpy(), "loss": history.values[:, 0].numpy()})


def update_curve(trainer: Trainer, weights_only: bool = False) -> pd.DataFrame:
    """The update:data history in long form (only the 2-D weight matrices, if asked)."""
    history = trainer.update_history
    keep = [i for i, p in enumerate(trainer.params) if p.ndim == 2 or not weights_only]
    names, blocks = trainer.param_names, parameter_blocks(trainer.model)
    return update_ratio_frame(history.steps, history.values[:, keep], [names[i] for i in keep],
                              [blocks[i] for i in keep])


def from_trainer(trainer: Trainer, run_id: str, label: str, page: str, data_label: str, seed: int,
                 sample_seed: int, evaluate: bool = True) -> RunRecord:
    """A record of a trainer's run as it stands (its splits evaluated unless told not to)."""
    with keeping_layer_outputs(trainer.model):
        losses = trainer.final_losses() if evaluate and trainer.step and not trainer.diverged else {}
    return RunRecord(
        run_id, label, page, trainer.model, trainer.data.vocab, trainer.data.splits["train"],
        trainer.model.config, trainer.config, seed, sample_seed, data_label, trainer.step, trainer.seconds,
        trainer.first_loss, losses, loss_curve(trainer), update_curve(trainer), list(trainer.evals),
        trainer.diverged_at, trainer.diverged_reason)


def record(trainer: Trainer, run_id: str, label: str, page: str, data_label: str, seed: int,
           sample_seed: int, evaluate: bool = True, settings: dict | None = None,
           frames: dict[str, pd.DataFrame] | None = None) -> RunRecord:
    """Store (or refresh) a run in the session's registry and keep it in the store, with `settings` and history
    `frames` beside it (ui.resume's); evaluate its splits unless told not to."""
    runs = registry()
    previous = runs.get(run_id)
    unchanged = previous is not None and previous.steps == trainer.step and previous.losses
    rec = from_trainer(trainer, run_id, label, page, data_label, seed, sample_seed, evaluate and not unchanged)
    if previous is not None:
        rec.label = previous.label  # keep a name the user gave it
    if unchanged:
        rec.losses = previous.losses  # evaluating the splits again (seconds on a big list) would give the same
    runs[run_id] = rec
    while len(runs) > MAX_RUNS:
        oldest = min(runs.values(), key=lambda r: r.updated)
        remove(oldest.run_id)
    keep(rec, settings, frames)
    return rec


def registry() -> dict[str, RunRecord]:
    """run_id -> record, for this browser session only."""
    return st.session_state.setdefault("runs", {})


def leaderboard(runs: list[RunRecord]) -> pd.DataFrame:
    """One row per run: what it is, how long it trained and its losses."""
    return pd.DataFrame([{
        "run": r.label, "page": r.page, "model": r.family, "params": r.params, "steps": r.steps,
        "seconds": round(r.seconds, 1), "train": r.losses.get("train_loss"), "dev": r.losses.get("dev_loss"),
        "test": r.losses.get("test_loss"), "diverged": r.diverged_at is not None,
    } for r in runs])


def remove(run_id: str) -> None:
    """Drop a run from the session's runs (or from those that could not be brought back) and from the store."""
    registry().pop(run_id, None)
    st.session_state.get(EXTRAS, {}).pop(run_id, None)
    st.session_state[REFUSED] = [(info, why) for info, why in refused() if info.run_id != run_id]
    session_store.attempt(lambda kept: kept.remove_run(run_id))


def rename(run_id: str, label: str) -> None:
    if run_id in registry() and label.strip():
        label = label.strip()[:MAX_LABEL]
        registry()[run_id].label = label
        session_store.attempt(lambda kept: kept.rename_run(run_id, label))


# ------------------------------------------------------------------------------------ kept in the store
def keep(rec: RunRecord, settings: dict | None = None, frames: dict[str, pd.DataFrame] | None = None) -> bool:
    """Save the run in the store (replacing what was kept of it); False, with a note on the page, if refused."""
    tables = {"update_curve": rec.update_curve, **(frames or {})}
    return session_store.save(SavedRun(rec.run_id, rec.label, rec.page, rec.steps, checkpoint_bytes(rec),
                                       settings or {}, {name: t for name, t in tables.items() if not t.empty}))


def bring_back() -> None:
    """Once per browser session: load the runs kept under the URL's session code into the registry (runs that
    cannot be loaded, e.g. one that diverged to NaN weights, are listed in `refused()` for the Compare page)."""
    if st.session_state.get(BROUGHT_BACK):
        return
    st.session_state[BROUGHT_BACK] = True
    loaded, refused = session_store.attempt(lambda kept: kept.load_runs()) or ([], [])
    runs, extras = registry(), st.session_state.setdefault(EXTRAS, {})
    for stored in loaded:
        info = stored.info
        rec = from_checkpoint(stored.checkpoint, info.run_id, info.page, info.label)
        rec.label, rec.updated = info.label, info.updated
        rec.update_curve = stored.frames.pop("update_curve", rec.update_curve)
        runs[rec.run_id] = rec
        if stored.settings or stored.frames:
            extras[rec.run_id] = (stored.settings, stored.frames)
    st.session_state[REFUSED] = refused


def refused() -> list:
    """[(RunInfo, why)] of the kept runs that could not be brought back."""
    return st.session_state.get(REFUSED, [])


def kept_extras(run_id: str) -> tuple[dict, dict[str, pd.DataFrame]] | None:
    """The settings and history tables kept beside a run brought back from the store, if any."""
    return st.session_state.get(EXTRAS, {}).get(run_id)


# ------------------------------------------------------------------------------------ export / import
def checkpoint_bytes(rec: RunRecord) -> bytes:
    """The run as a checkpoint: config + state_dict, vocabulary, words, and its curves and numbers."""
    meta = {
        "label": rec.label, "page": rec.page, "seed": rec.seed, "sample_seed": rec.sample_seed,
        "data_label": rec.data_label, "steps": rec.steps, "seconds": rec.seconds, "first_loss": rec.first_loss,
        "losses": dict(rec.losses), "train_config": asdict(rec.train_config), "evals": list(rec.evals),
        "loss_curve": {"step": rec.loss_curve["step"].tolist(), "loss": rec.loss_curve["loss"].tolist()}
        if not rec.loss_curve.empty else {"step": [], "loss": []},
        "diverged_at": rec.diverged_at, "diverged_reason": rec.diverged_reason,
    }
    return checkpoint.to_bytes(rec.model, rec.vocab, rec.words, meta)


def restore(raw: bytes, filename: str) -> RunRecord:
    """Add an uploaded checkpoint to the session's runs (raises CheckpointError for a bad file or when the
    session already keeps MAX_RUNS runs). Its fields are checked by checkpoint.from_bytes."""
    if len(registry()) >= MAX_RUNS:
        raise checkpoint.CheckpointError(f"this session already keeps {MAX_RUNS} runs, the most it can: remove "
                                         "one on the Compare page, then upload again.")
    return add(from_checkpoint(checkpoint.from_bytes(raw, source=filename), new_run_id(), "uploaded", filename))


def add(rec: RunRecord) -> RunRecord:
    """A run from elsewhere (an upload, the class board) into the session's runs, and kept in the store."""
    registry()[rec.run_id] = rec
    keep(rec)
    return rec


def from_checkpoint(ckpt: checkpoint.Checkpoint, run_id: str, page: str, label: str) -> RunRecord:
    """A checked checkpoint (an upload, a kept run, a class's shared run) as a record; `label` where it has none."""
    meta = ckpt.meta
    curve = meta.get("loss_curve") or {"step": [], "loss": []}
    return RunRecord(
        run_id, meta.get("label", label), page, ckpt.model, ckpt.vocab, ckpt.words, ckpt.model.config,
        meta.get("train_config", TrainConfig()), meta.get("seed", 0), meta.get("sample_seed", 2147483647 + 10),
        meta.get("data_label", "from the checkpoint"), meta.get("steps", 0), meta.get("seconds", 0.0),
        meta.get("first_loss"), dict(meta.get("losses", {})), pd.DataFrame(curve), pd.DataFrame(),
        list(meta.get("evals", [])), meta.get("diverged_at"), meta.get("diverged_reason", ""))


def stats_csv(rec: RunRecord) -> bytes:
    """The run's statistics in long form: kind, step, name, value (train loss, dev loss, update:data)."""
    parts = [rec.loss_curve.assign(kind="train_loss", name="loss").rename(columns={"loss": "value"})]
    evals = pd.DataFrame(rec.evals)
    if not evals.empty and "dev" in evals:
        parts.append(evals[["step", "dev"]].rename(columns={"dev": "value"}).assign(kind="dev_loss", name="loss"))
    if not rec.update_curve.empty:
        parts.append(rec.update_curve.rename(columns={"log10_ratio": "value"}).assign(kind="update_data_log10"))
    columns = ["kind", "step", "name", "value"]
    frames = [p[columns] for p in parts if not p.empty]  # none for a checkpoint saved without its curves
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode()
