"""Small pieces the lesson pages share: rows of remembered choice sliders and the dev-loss points of a run."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from makemore.training import Trainer
from ui.presenter import story
from ui.state import persistent_widget


@dataclass(frozen=True)
class Choice:
    """One control: a select slider over `options`, keyed `<page prefix>_<name>`."""
    name: str
    default: Any
    label: str
    options: tuple
    help: str  # what moving it teaches
    story: bool = False  # one of the two or three controls of the lecture's demo: on presenter mode's stage


def readable(value) -> str:
    """1,000 for counts, 0.01 for rates: how a choice is written on a slider."""
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def choice_slider(key: str, choice: Choice):
    """A select slider whose value survives page changes."""
    return persistent_widget(st.select_slider, key, choice.default, param=choice.name, label=choice.label,
                             options=list(choice.options), format_func=readable, help=choice.help)


def choice_row(prefix: str, choices: list[Choice]) -> dict[str, Any]:
    """The choices side by side, one column each (the story's on presenter mode's stage): name -> value."""
    values = {}
    for column, choice in zip(st.columns(len(choices)), choices):
        with story() if choice.story else column:
            values[choice.name] = choice_slider(f"{prefix}_{choice.name}", choice)
    return values


def dev_points(trainer: Trainer) -> pd.DataFrame:
    """The run's dev-loss evaluations as step, loss (the dots of the loss chart)."""
    return pd.DataFrame([{"step": e["step"], "loss": e["dev"]} for e in trainer.evals if "dev" in e],
                        columns=["step", "loss"])
