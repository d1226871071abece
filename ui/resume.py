"""A page's live run kept in the store and continued after a reload.

ui.live keeps each live run with `extras(...)` beside its checkpoint: which page's live area it is (its
session-state key), what built the network (its identity), where its Trainer stands (the rest of
makemore.training.Progress: the histories' strides, the learning rate, the minibatch generator's state) and the
page's pins. When a browser session opens with the session's code, ui.runs brings every kept run back; a page's
live area then continues its last run (`take`) if the page's controls still build the same network (an SGD run
exactly as if it had never stopped), and gets its pins back (`kept_pins`) either way.
"""
from __future__ import annotations

import json

import pandas as pd
import torch

from makemore.data import WordData
from makemore.training import Progress, TrainConfig, Trainer
from ui import runs
from ui.store.schema import TEXT

GENERATOR, PINS_LOSS, PINS_UPDATES = "generator", "pinned_loss", "pinned_updates"  # history tables kept
MAX_LR_CHANGES = 100  # learning-rate changes kept (the chart marks each)
DECIDED = "resume_decided"  # st.session_state: state keys whose kept run was continued or replaced


def extras(state_key: str, identity: dict, trainer: Trainer, pinned: list[dict]) -> tuple[dict, dict]:
    """(settings, history tables) kept beside a live run's checkpoint."""
    progress = trainer.progress()
    settings = {"state_key": state_key, "identity": identity, "base_lr": progress.base_lr,
                "loss_stride": progress.loss[2], "update_stride": progress.updates[2],
                "lr_changes": [[step, lr] for step, lr in progress.lr_changes[-MAX_LR_CHANGES:]],
                "pins": [pin["label"][:TEXT] for pin in pinned]}
    frames = {GENERATOR: pd.DataFrame({"byte": progress.generator_state.numpy()})}
    if pinned:
        frames[PINS_LOSS] = pd.concat([p["loss"].drop(columns="run").assign(pin=i) for i, p in enumerate(pinned)])
        frames[PINS_UPDATES] = pd.concat([p["updates"].drop(columns="run").assign(pin=i)
                                          for i, p in enumerate(pinned)])
    return settings, frames


def _last_kept(state_key: str) -> tuple[runs.RunRecord, dict, dict] | None:
    """The page's last live run brought back from the store: (record, settings, tables)."""
    found = []
    for rec in runs.registry().values():
        kept = runs.kept_extras(rec.run_id)
        if kept and kept[0].get("state_key") == state_key:
            found.append((rec.updated, rec, *kept))
    return max(found, key=lambda row: row[0])[1:] if found else None


def kept_pins(state_key: str) -> list[dict]:
    """The pins the page had when its last live run was kept (none if it has no kept run)."""
    kept = _last_kept(state_key)
    if kept is None:
        return []
    _, settings, frames = kept
    labels = settings.get("pins") or []
    loss, updates = frames.get(PINS_LOSS, pd.DataFrame()), frames.get(PINS_UPDATES, pd.DataFrame())
    try:
        return [{"label": label, "loss": _pin(loss, i, label), "updates": _pin(updates, i, label)}
                for i, label in enumerate(labels) if isinstance(label, str)]
    except KeyError:  # tables not as this version writes them
        return []


def _pin(frame: pd.DataFrame, i: int, label: str) -> pd.DataFrame:
    return frame[frame["pin"] == i].drop(columns="pin").assign(run=label).reset_index(drop=True)


def take(state_key: str, identity: dict, decided: set) -> tuple[runs.RunRecord, dict, dict] | None:
    """The page's last kept live run, if the page's controls build the same network (`identity`), it did not
    diverge (a new network is what the page offers then) and it was neither continued nor replaced yet in this
    browser session (`decided`: the state keys that were)."""
    if state_key in decided:
        return None
    kept = _last_kept(state_key)
    if kept is None or kept[0].diverged_at is not None or _plain(kept[1].get("identity")) != _plain(identity):
        return None
    decided.add(state_key)
    return kept


def _plain(value) -> object:
    """As the store gives it back (tuples become lists)."""
    return json.loads(json.dumps(value))


def resumed_trainer(rec: runs.RunRecord, settings: dict, frames: dict, config: TrainConfig, data: WordData,
                    device: str) -> Trainer:
    """A trainer on the kept run's weights that continues it; ValueError if what was kept does not fit."""
    trainer = Trainer(rec.model, data, config, torch.Generator().manual_seed(rec.seed), device)
    try:
        generator = frames.get(GENERATOR)
        progress = Progress(
            rec.steps, rec.seconds, rec.first_loss,
            torch.tensor(generator["byte"].to_numpy(), dtype=torch.uint8) if generator is not None else None,
            (torch.tensor(rec.loss_curve["step"].to_numpy()), torch.tensor(rec.loss_curve["loss"].to_numpy()),
             settings["loss_stride"]),
            (*_wide(rec.update_curve, trainer.param_names), settings["update_stride"]),
            list(rec.evals), [(int(step), float(lr)) for step, lr in settings.get("lr_changes", [])],
            settings.get("base_lr"))
    except (KeyError, TypeError) as err:
        raise ValueError(f"its saved progress is incomplete ({err})") from None
    trainer.resume(progress)
    return trainer


def _wide(curve: pd.DataFrame, names: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The long update:data table back as the history's rows: steps (k,) and values (k, parameters)."""
    if curve.empty:
        return torch.zeros(0, dtype=torch.int64), torch.zeros(0, len(names))
    table = curve.pivot_table(index="step", columns="name", values="log10_ratio", aggfunc="first")
    table = table.reindex(columns=names)  # a parameter without a finite value at a step: NaN there
    return torch.tensor(table.index.to_numpy()), torch.tensor(table.to_numpy(), dtype=torch.float32)
