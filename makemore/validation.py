"""Values from outside the program (a checkpoint's fields) checked against what they claim to be.

A checkpoint is data from a stranger: `torch.load(weights_only=True)` stops code, not a seed that is
a string, a step count of 10**30 or a model config that asks for a hundred million parameters. Every
field is checked here, once, before anything is built or stored; a wrong one raises `ValueError`
with a sentence that names the field and says what it should be.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

MAX_TEXT = 200  # characters of a label, a page name, a reason ...
MAX_STEPS = 10**9  # a run this long would take years here
MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed's range
MAX_CURVE_POINTS = 100_000  # a run's loss curve is downsampled to about 2,000
MAX_EVALS = 10_000
LOSS_KEYS = ("train_loss", "dev_loss", "test_loss")


def whole_number(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, not {shown(value)}")
    return value


def real_number(value: Any, name: str, low: float = -math.inf, high: float = math.inf,
                finite: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, not {shown(value)}")
    value = float(value)
    if (finite and not math.isfinite(value)) or not (math.isnan(value) or low <= value <= high):
        raise ValueError(f"{name} must be a finite number from {low:g} to {high:g}, not {shown(value)}")
    return value


def text(value: Any, name: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, not {shown(value)}")
    if len(value) > limit:
        raise ValueError(f"{name} is {len(value):,} characters long; at most {limit:,} are allowed")
    return value


def optional(check, value: Any, *args, **kwargs):
    return None if value is None else check(value, *args, **kwargs)


def shown(value: Any) -> str:
    """A value as a message quotes it: its type and a short repr (a stranger's value can be huge)."""
    text_form = repr(value)
    return f"{type(value).__name__} {text_form[:40] + '…' if len(text_form) > 40 else text_form}"


# ------------------------------------------------------------------------------------ dataclasses
def dataclass_from_plain(cls, data: Any, what: str, legacy: frozenset[str] = frozenset()):
    """An instance of the config dataclass `cls` from a dict of plain values, every field checked
    against its annotation (int, float, str, bool, X | None, tuple[int, ...]).

    Unknown keys are refused, except `legacy` ones (fields of older versions, dropped).
    """
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be a table of settings, not {shown(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(str(k) for k in data if k not in fields and k not in legacy)
    if unknown:
        raise ValueError(f"{what} has settings this version does not know: {', '.join(unknown[:5])}")
    values = {name: _typed(data[name], fields[name].type, f"{what}: {name}") for name in fields if name in data}
    return cls(**values)


def _typed(value: Any, annotation: str, name: str):
    options = [part.strip() for part in str(annotation).split("|")]
    if value is None:
        if "None" in options:
            return None
        raise ValueError(f"{name} must be set, not None")
    for option in options:
        if option == "bool" and isinstance(value, bool):
            return value
        if option == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if option == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option == "str" and isinstance(value, str):
            return value
        if option.startswith("tuple[int") and isinstance(value, (list, tuple)) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
    raise ValueError(f"{name} must be {' or '.join(o for o in options if o != 'None')}, not {shown(value)}")


# ------------------------------------------------------------------------------------ run metadata
def run_meta(meta: Any) -> dict:
    """A checkpoint's run metadata with every known field checked; unknown fields are dropped
    (they are only ever shown, never trusted). Raises ValueError on a field of the wrong kind."""
    if not isinstance(meta, dict):
        raise ValueError(f"its run information must be a table, not {shown(meta)}")
    checks = {
        "label": lambda v, n: text(v, n), "page": lambda v, n: text(v, n), "preset": lambda v, n: text(v, n),
        "data_label": lambda v, n: text(v, n), "diverged_reason": lambda v, n: text(v, n, 1000),
        "seed": lambda v, n: whole_number(v, n, 0, MAX_SEED),
        "sample_seed": lambda v, n: whole_number(v, n, 0, MAX_SEED),
        "steps": lambda v, n: whole_number(v, n, 0, MAX_STEPS),
        "diverged_at": lambda v, n: optional(whole_number, v, n, 0, MAX_STEPS),
        "seconds": lambda v, n: real_number(v, n, 0.0),
        "first_loss": lambda v, n: optional(real_number, v, n, finite=False),
        "losses": _losses,
        "evals": _evals,
        "loss_curve": _loss_curve,
    }
    return {key: check(meta[key], f"its {key.replace('_', ' ')}") for key, check in checks.items() if key in meta}


def _losses(value: Any, name: str) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a table of losses, not {shown(value)}")
    return {key: optional(real_number, value[key], f"{name}: {key}", finite=False) for key in LOSS_KEYS if key in value}


def _evals(value: Any, name: str) -> list[dict]:
    if not isinstance(value, list) or len(value) > MAX_EVALS:
        raise ValueError(f"{name} must be a list of at most {MAX_EVALS:,} evaluations, not {shown(value)}")
    rows = []
    for row in value:
        if not isinstance(row, dict) or "step" not in row:
            raise ValueError(f"{name} must hold a step and losses in each row, not {shown(row)}")
        clean = {"step": whole_number(row["step"], f"{name}: step", 0, MAX_STEPS)}
        for split in ("train", "dev", "test"):
            if split in row:
                clean[split] = real_number(row[split], f"{name}: {split}", finite=False)
        rows.append(clean)
    return rows


def _loss_curve(value: Any, name: str) -> dict:
    if not isinstance(value, dict) or not isinstance(value.get("step"), list) or not isinstance(value.get("loss"), list):
        raise ValueError(f"{name} must have a list of steps and a list of losses")
    steps, losses = value["step"], value["loss"]
    if len(steps) != len(losses):
        raise ValueError(f"{name} has {len(steps):,} steps but {len(losses):,} losses; they must pair up")
    if len(steps) > MAX_CURVE_POINTS:
        raise ValueError(f"{name} has {len(steps):,} points; at most {MAX_CURVE_POINTS:,} are allowed")
    return {"step": [whole_number(s, f"{name}: step", 0, MAX_STEPS) for s in steps],
            "loss": [real_number(v, f"{name}: loss", finite=False) for v in losses]}
