"""This browser session's place in the store (ui/store): the process's Store, the session's secret code in the
page's URL, and what the store refuses, said on the page.

Every page's setup calls `keep_code_in_url`: the first time in a browser session it opens the session the
URL's `s` names (a reload, a reopened tab, a "continue on another device" link) or starts a new one; on every
run it writes `s` back into the URL, since Streamlit clears the query parameters on a page change. The Copy
link of ui/state leaves `s` out. Whatever goes wrong with the store, the page keeps working: the run stays in
this browser session, and the sidebar says why it is not kept.
"""
from __future__ import annotations

import logging
from typing import Callable, TypeVar

import sqlalchemy as sa
import streamlit as st

from ui.state import SESSION_PARAM
from ui.store import NotFound, SavedRun, Session, Store, StoreError, sessions

SESSION_KEY = "store_session"  # st.session_state: this browser session's store Session (None: not kept)
NOTES_KEY = "store_notes"  # st.session_state: what the store said, each once
FAILURES = (StoreError, sa.exc.SQLAlchemyError, OSError)
UNAVAILABLE = "Runs are not being kept on the server just now (its store did not answer): they stay in this tab "
log = logging.getLogger(__name__)
T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def process_store() -> Store:
    """One Store per server process: a pool of connections, no user's data (each session's code is in its own
    session state)."""
    return Store()


def session() -> Session | None:
    """This browser session's store session, opened or started on first use; None where the store fails."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = _opened()
    return st.session_state[SESSION_KEY]


def _opened() -> Session | None:
    code = st.query_params.get(SESSION_PARAM)
    try:
        store = process_store()
        found = store.open_session(code) if code else None
        if code and found is None:
            note(f"This link's session code is unknown or has expired (runs are kept {sessions.IDLE_DAYS} days after "
                 "their last use): what you train now is kept in a new session, with a new address.")
        return found or store.new_session()
    except FAILURES:
        log.exception("the store could not be opened")
        note(UNAVAILABLE + "until you close or reload it.")
        return None


def keep_code_in_url() -> None:
    """Write this session's code into the page's URL (every run: a page change clears it)."""
    current = session()
    if current is not None:
        st.query_params[SESSION_PARAM] = current.code


def attempt(action: Callable[[Session], T]) -> T | None:
    """`action(session)`, or None (and a note on the page) where the store refuses or fails."""
    current = session()
    if current is None:
        return None
    try:
        return action(current)
    except StoreError as err:
        note(str(err))
    except (sa.exc.SQLAlchemyError, OSError):
        log.exception("a store call failed")
        note(UNAVAILABLE + "until it answers again.")
    return None


def save(run: SavedRun) -> bool:
    """Keep a run; False (with a note) where the store refuses it. A session that expired while the page stayed
    open is replaced by a new one (a new address), where the run is kept."""
    def saving(current: Session) -> bool:
        try:
            current.save_run(run)
        except NotFound as err:
            note(str(err))
            start_afresh()
            st.session_state[SESSION_KEY].save_run(run)
        except ValueError as err:  # a table out of the store's bounds: the run stays in this tab
            log.warning("a run was not kept: %s", err)
            note(f"“{run.label}” is not kept on the server ({err}); it stays in this tab.")
            return False
        return True

    return bool(attempt(saving))


def start_afresh() -> None:
    """A new, empty session for this browser session (a new code in the URL)."""
    st.session_state[SESSION_KEY] = process_store().new_session()
    keep_code_in_url()


def forget() -> None:
    """Delete this session and its kept runs from the store, and go on in a new one."""
    if attempt(lambda current: current.forget() or True):
        attempt(lambda _: start_afresh())


def note(message: str) -> None:
    """Say what the store said, once per browser session (a toast now, and in the sidebar from then on)."""
    notes: list = st.session_state.setdefault(NOTES_KEY, [])
    if message not in notes:
        notes.append(message)
        st.toast(message, icon=":material/cloud_off:")


def notes() -> list[str]:
    return st.session_state.get(NOTES_KEY, [])
