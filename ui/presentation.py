"""Presenter mode (for a projector: a dashboard of each lecture's controls and key charts, large text; see
ui/presenter.py) and the layout helpers that keep pages readable on narrow screens."""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from ui import presenter
from ui.state import persistent_widget

SCALE = 1.6  # charts grow by this much when presenting


def presenter_toggle() -> bool:
    """The sidebar switch (kept in the URL as ?present=1)."""
    on = persistent_widget(
        st.toggle, "shared_presenter", False, param="present", label="Presenter mode",
        help="For a projector: each lecture page's controls and key charts on one screen, large text, and a "
             "Spotlight button on every chart (full screen and back). The other controls stay one click away.")
    if on:
        st.set_page_config(initial_sidebar_state="collapsed")  # the page gets the projector's whole width
    return on


def button_row():
    """A row for buttons at their own widths that wraps onto a second line where the page is narrow
    (columns of fixed shares cut their labels to one letter on a 1024-pixel projector)."""
    return st.container(horizontal=True, gap="small")


def side_by_side(spec: int | list[float] = 2) -> list:
    """Columns for charts and tables that sit side by side; when presenting, one below the other at full
    width, so that a projector's narrow screen and larger fonts do not squeeze each into a strip, except in a live
    area, where presenter mode's dashboard shows them together (ui.presenter.fitted)."""
    if presenting() and not presenter.row_height():
        return [st.container() for _ in range(spec if isinstance(spec, int) else len(spec))]
    return st.columns(spec)


def presenting() -> bool:
    return bool(st.session_state.get("shared_presenter", False))


def chart_height(base: int = 260) -> int:
    """A chart's height: `base`, or when presenting what fits a row of the dashboard (or base enlarged, below it)."""
    if not presenting():
        return base
    row = presenter.row_height()
    return round(row * min(base, 260) / 260) if row else int(base * SCALE)  # smaller charts stay smaller


@contextmanager
def controls_area(label: str = "Controls"):
    """Where a page draws its controls: inline normally, folded into an expander when presenting."""
    if presenting():
        with st.expander(label, expanded=False, icon=":material/tune:"):
            yield
    else:
        with st.container():
            yield
