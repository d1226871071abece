"""Small pieces the lesson pages share: rows of remembered choice sliders, the dev-loss points of a run, and
lesson sections that cost nothing while closed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

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


def lazy_expander(label: str, key: str, draw: Callable[[], None], icon: str | None = None,
                  on_change: Callable[[], None] | str = "rerun") -> None:
    """A closed expander whose content is drawn (and computed) only while it is open (`on_change`: a callback
    run, before the rerun, when it opens or closes)."""
    with st.expander(label, key=key, on_change=on_change, icon=icon) as box:
        if box.open:
            draw()


def lazy_tabs(label: str, key: str, sections: dict[str, Callable[[], None]], icon: str | None = None) -> None:
    """A closed expander of tabs, one lesson section each: a section is drawn (and computed) only while the
    expander is open and its tab is the one shown, so a page pays nothing for what nobody looks at."""
    def draw() -> None:
        for (title, section), tab in zip(sections.items(), st.tabs(list(sections), key=f"{key}_tab",
                                                                   on_change="rerun")):
            if tab.open:
                with tab:
                    section()
    lazy_expander(label, key, draw, icon)
