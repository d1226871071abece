"""The session's registry of runs: every paused, finished or reset run, for sampling and comparing.

A record keeps what a later page needs (the model, its vocabulary and words, the histories and
final numbers) but not the trainer's data tensors, so that old runs stay cheap.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from makemore.data import Vocabulary
from makemore.diagnostics import parameter_blocks, update_ratio_frame
from makemore.models import LanguageModel, config_to_dict
from makemore.train import Trainer

MAX_RUNS = 12  # the oldest run is dropped beyond this


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


def new_run_id() -> str:
    return uuid.uuid4().hex[:10]


def loss_curve(trainer: Trainer) -> pd.DataFrame:
    history = trainer.loss_history
    return pd.DataFrame({"step": history.steps.numpy(), "loss": history.values[:, 0].numpy()})


def update_curve(trainer: Trainer) -> pd.DataFrame:
    history = trainer.update_history
    return update_ratio_frame(history.steps, history.values, trainer.param_names, parameter_blocks(trainer.model))


def record(trainer: Trainer, run_id: str, label: str, page: str, data_label: str, seed: int,
           sample_seed: int, evaluate: bool = True) -> RunRecord:
    """Store (or refresh) a run in the session's registry; evaluate its splits unless told not to."""
    runs = registry()
    losses = trainer.final_losses() if evaluate and trainer.step and not trainer.diverged else {}
    rec = RunRecord(
        run_id, label, page, trainer.model, trainer.data.vocab, trainer.data.splits["train"],
        trainer.model.config, trainer.config, seed, sample_seed, data_label, trainer.step, trainer.seconds,
        trainer.first_loss, losses, loss_curve(trainer), update_curve(trainer), list(trainer.evals),
        trainer.diverged_at, trainer.diverged_reason)
    if run_id in runs:
        rec.label = runs[run_id].label  # keep a name the user gave it
    runs[run_id] = rec
    while len(runs) > MAX_RUNS:
        oldest = min(runs.values(), key=lambda r: r.updated)
        del runs[oldest.run_id]
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
