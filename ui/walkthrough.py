"""Guided walk-throughs: a lecture's story as ordered stops that set the controls and say what to notice."""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ui.presentation import button_row


@dataclass(frozen=True)
class Stop:
    title: str
    text: str  # what to do and what to notice (markdown)
    settings: dict = field(default_factory=dict)  # remembered control keys -> values to apply


ABSENT = object()  # a control the walk-through set that had no value of its own before


def _go(prefix: str, stops: list[Stop], index: int) -> None:
    """Button callback: move to a stop and apply its settings before the controls render. Starting the tour
    first remembers every control any stop will set, so that closing it puts them back."""
    if f"{prefix}_tour" not in st.session_state:
        keys = {key for stop in stops for key in stop.settings}
        st.session_state[f"{prefix}_tour_saved"] = {key: st.session_state.get(key, ABSENT) for key in keys}
    st.session_state[f"{prefix}_tour"] = index
    for key, value in stops[index].settings.items():
        st.session_state[key] = value


def _close(prefix: str) -> None:
    """Button callback: leave the tour with the controls as they were before it started."""
    del st.session_state[f"{prefix}_tour"]
    for key, value in st.session_state.pop(f"{prefix}_tour_saved", {}).items():
        if value is ABSENT:
            st.session_state.pop(key, None)
        else:
            st.session_state[key] = value


def walkthrough(prefix: str, stops: list[Stop], title: str = "Guided walk-through") -> None:
    """Back / Next through the stops; each stop sets its controls and explains what to look at."""
    index = st.session_state.get(f"{prefix}_tour")
    with st.expander(title, expanded=index is not None, icon=":material/school:"):
        if index is None:
            st.write(f"{len(stops)} stops through the lecture's story. Each sets the controls for you and says "
                     "what to notice; the class can move forward and back together.")
            st.button("Start", key=f"{prefix}_tour_start", on_click=_go, args=(prefix, stops, 0), type="primary")
            return
        stop = stops[index]
        st.markdown(f"**{index + 1}/{len(stops)} · {stop.title}**")
        st.markdown(stop.text)
        row = button_row()
        row.button("Back", key=f"{prefix}_tour_back", on_click=_go, args=(prefix, stops, index - 1),
                   disabled=index == 0, icon=":material/arrow_back:")
        row.button("Next", key=f"{prefix}_tour_next", on_click=_go, args=(prefix, stops, index + 1),
                   disabled=index == len(stops) - 1, icon=":material/arrow_forward:", type="primary")
        row.button("Close", key=f"{prefix}_tour_close", on_click=_close, args=(prefix,),
                   help="Leave the walk-through; the controls go back to how they were before it started.")
