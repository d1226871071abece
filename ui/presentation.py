"""Presenter mode: for a projector, hide the control strips and enlarge the text and charts."""
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
    return on


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
