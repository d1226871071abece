"""Presenter mode (for a projector: hide the control strips, enlarge the text and charts) and the layout helpers
that keep pages readable on narrow screens."""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from ui.state import persistent_widget

SCALE = 1.6  # charts grow by this much when presenting
PRESENTER_CSS = """
<style>
  html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 1.25rem; }
  h1 { font-size: 3rem !important; }
  h2, h3 { font-size: 2rem !important; }
  [data-testid="stMetricValue"] { font-size: 2.6rem; }
</style>
"""


def presenter_toggle() -> bool:
    """The sidebar switch (kept in the URL as ?present=1)."""
    on = persistent_widget(
        st.toggle, "shared_presenter", False, param="present", label="Presenter mode",
        help="For a projector: hides the control strips (they stay one click away) and enlarges text and charts.")
    if on:
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
        st.set_page_config(initial_sidebar_state="collapsed")  # the page gets the projector's whole width
    return on


def button_row():
    """A row for buttons at their own widths that wraps onto a second line where the page is narrow
    (columns of fixed shares cut their labels to one letter on a 1024-pixel projector)."""
    return st.container(horizontal=True, gap="small")


def side_by_side(spec: int | list[float] = 2) -> list:
    """Columns for charts and tables that sit side by side; when presenting, one below the other at full
    width, so that a projector's narrow screen and larger fonts do not squeeze each into a strip."""
    if presenting():
        return [st.container() for _ in range(spec if isinstance(spec, int) else len(spec))]
    return st.columns(spec)


def presenting() -> bool:
    return bool(st.session_state.get("shared_presenter", False))


def chart_height(base: int = 260) -> int:
    return int(base * SCALE) if presenting() else base


@contextmanager
def controls_area(label: str = "Controls"):
    """Where a page draws its controls: inline normally, folded into an expander when presenting."""
    if presenting():
        with st.expander(label, expanded=False, icon=":material/tune:"):
            yield
    else:
        with st.container():
            yield
