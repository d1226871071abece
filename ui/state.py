"""Session-state helpers: values that survive reruns and page changes, and mirror the URL.

A control given a `param` name is shareable: opening a URL with `?param=value` sets it (once,
when the session first renders it; a bad or out-of-range value is ignored with a notice, leaving
the default), and every run writes the current value back into the URL, so a teacher can copy the
address and every student opens the same state.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import streamlit as st

from ui.text import code, md

URL_READ = "_url_params_read"  # params already applied in this session, per control key
MAX_NUMBER_CHARS = 40  # a number in a link is never longer
SESSION_PARAM = "s"  # the session's secret code (ui/session_store): in the page's URL, never in a shared link


def remembered(key: str, default: Any) -> Any:
    """The session's value for `key`, initialised to `default` only if missing."""
    if key not in st.session_state:
        st.session_state[key] = default() if callable(default) else default
    return st.session_state[key]


def persistent_widget(render: Callable[..., Any], key: str, default: Any, param: str | None = None,
                      **kwargs) -> Any:
    """Render a widget whose value survives page changes (and, with `param`, lives in the URL).

    Streamlit forgets a widget's state when a page without it runs, so the value lives under
    `key` and the widget under `key + '__w'`, re-seeded from it on every run.
    """
    widget_key = f"{key}__w"
    remembered(key, default)
    if param is not None:
        _apply_url_value(key, param, default, kwargs)
    st.session_state[widget_key] = st.session_state[key] = within_limits(st.session_state[key], kwargs)

    def save() -> None:
        st.session_state[key] = st.session_state[widget_key]

    value = render(key=widget_key, on_change=save, **kwargs)
    if param is not None:
        st.query_params[param] = format_param(value)
    return value


def _apply_url_value(key: str, param: str, default: Any, widget_kwargs: dict) -> None:
    """On the first render in this session, take the control's value from the URL if it is valid."""
    read: set = st.session_state.setdefault(URL_READ, set())
    if key in read:
        return
    read.add(key)
    if param not in st.query_params:
        return
    raw = st.query_params[param]
    try:
        st.session_state[key] = parse_param(raw, default, widget_kwargs)
    except ValueError as err:
        label = widget_kwargs.get("label", param)
        st.warning(f"The link's {code(f'{param}={raw}')} is not a valid {label} ({md(err)}); using "
                   f"{code(format_param(st.session_state[key]))} instead.", icon=":material/link_off:")


def parse_param(raw: str, default: Any, widget_kwargs: dict) -> Any:
    """A URL string as a value of the default's type, checked against the widget's options, range and length.
    The messages never quote the value (it may be 100 KB long): the caller shows it, cut."""
    if isinstance(default, bool):
        if raw.lower() not in ("1", "0", "true", "false", "on", "off"):
            raise ValueError("use 1 or 0")
        value = raw.lower() in ("1", "true", "on")
    elif isinstance(default, (int, float)):
        value = _number(raw, int if isinstance(default, int) else float)
    else:
        value = raw
        limit = widget_kwargs.get("max_chars")
        if limit is not None and len(value) > limit:
            raise ValueError(f"longer than {limit} characters")
    options = widget_kwargs.get("options")
    if options is not None:
        return _closest_option(value, list(options))
    low, high = widget_kwargs.get("min_value"), widget_kwargs.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"outside {low}..{high}")
    return value


def _number(raw: str, kind: type) -> int | float:
    """The URL's number, refused with a message of our own (int()'s and float()'s quote the value)."""
    if len(raw) > MAX_NUMBER_CHARS:
        raise ValueError("too long for a number")
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError("not a whole number" if kind is int else "not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def within_limits(value: Any, widget_kwargs: dict) -> Any:
    """A text value cut to its box's max_chars, whatever set it (Streamlit enforces it on typing only)."""
    limit = widget_kwargs.get("max_chars")
    return value[:limit] if isinstance(value, str) and limit is not None else value


def _closest_option(value: Any, options: list) -> Any:
    """The option equal to value; numbers may be rounded (gain=1.667 means 5/3)."""
    if value in options:
        return value
    numeric = [o for o in options if isinstance(o, (int, float)) and not isinstance(o, bool)]
    if isinstance(value, (int, float)) and numeric:
        best = min(numeric, key=lambda o: abs(o - value))
        if abs(best - value) <= 0.005 * max(abs(best), 1e-3) + 1e-3:
            return best
    raise ValueError("not one of the choices")


def format_param(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def share_link() -> None:
    """A 'Copy link' box: this page's address with every shareable control in it (and not the session's code)."""
    base = (st.context.url or "http://localhost:8501/").split("?")[0]
    query = "&".join(f"{k}={v}" for k, v in st.query_params.to_dict().items() if k != SESSION_PARAM)
    with st.popover("Copy link", icon=":material/link:", help="A link that opens this page with these settings"):
        st.code(f"{base}?{query}" if query else base, language=None)
        st.caption("Students who open it see the same controls (the copy button is at the box's right).")


def sidebar_share_link() -> None:
    """The page's 'Copy link' box at the foot of the sidebar; call it once the page's controls have run."""
    with st.sidebar:
        share_link()
