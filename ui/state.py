"""Session-state helpers: per-browser-session values that survive reruns and page changes."""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st


def remembered(key: str, default: Any) -> Any:
    """The session's value for `key`, initialised to `default` only if missing."""
    if key not in st.session_state:
        st.session_state[key] = default() if callable(default) else default
    return st.session_state[key]


def persistent_widget(render: Callable[..., Any], key: str, default: Any, **kwargs) -> Any:
    """Render a widget whose value survives page changes.

    Streamlit forgets a widget's state when a page without it runs, so the value lives under
    `key` and the widget under `key + '__w'`, re-seeded from it on every run.
    """
    widget_key = f"{key}__w"
    st.session_state[widget_key] = remembered(key, default)

    def save() -> None:
        st.session_state[key] = st.session_state[widget_key]

    return render(key=widget_key, on_change=save, **kwargs)
