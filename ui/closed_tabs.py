"""Closing the sessions of tabs that are gone, so that their networks do not keep the server's memory.

When a tab closes, Streamlit keeps its session for `server.disconnectedSessionTTL` (120 s) in case it
reconnects, and drops it only the next time something writes its session store: with no other tab closing,
a closed tab's runs (a hundred megabytes for the largest network the controls allow) stayed in memory for
minutes (benchmarks/load_test.py --heavy). So every session is noted when one of its pages runs, and while
any live area ticks, the sessions whose tab has been disconnected for GRACE_SECONDS are closed through
Streamlit's own thread-safe call for closing a stored session, then collected. A tab that comes back within
the grace keeps its session, as before.

The registry holds session ids and times only, never a session's data.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time

from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

GRACE_SECONDS = 40.0  # a tab disconnected this long is gone (a dropped connection reconnects within seconds)
CHECK_SECONDS = 5.0  # how often a tick looks for gone tabs


class ClosedTabs:
    """The sessions of this server process and since when each has been disconnected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gone_since: dict[str, float | None] = {}  # session id -> when first seen disconnected (None: connected)
        self._checked = -CHECK_SECONDS
        self._closed = False  # sessions were closed at the last check: collect them at this one

    def note_this_session(self) -> None:
        """A page of this session runs (its tab is there)."""
        ctx = get_script_run_ctx()
        if ctx is not None and Runtime.exists():
            with self._lock:
                self._gone_since[ctx.session_id] = None

    def close_gone(self, runtime=None, now: float | None = None) -> list[str]:
        """Close the sessions disconnected for GRACE_SECONDS (looking at most every CHECK_SECONDS); returns them.
        runtime: Streamlit's (by default) or a stand-in with its is_active_session and clear_user_info_for_session."""
        now = time.monotonic() if now is None else now
        if runtime is None and not Runtime.exists() or now - self._checked < CHECK_SECONDS:
            return []
        runtime = runtime or Runtime.instance()
        with self._lock:
            self._checked, release, self._closed = now, self._closed, False
            gone = []
            for session_id, since in self._gone_since.items():
                if runtime.is_active_session(session_id):
                    self._gone_since[session_id] = None
                elif since is None:
                    self._gone_since[session_id] = now
                elif now - since >= GRACE_SECONDS:
                    gone.append(session_id)
            for session_id in gone:
                del self._gone_since[session_id]
            self._closed = bool(gone)
        for session_id in gone:
            # Streamlit's call for a session that is only in its store (its tab gone): closed on the event loop,
            # never resumed; its memory is collected at the next check, once the event loop has closed it
            runtime.clear_user_info_for_session(session_id)
        if release:
            release_memory()
        return gone


def release_memory() -> None:
    """Collect the closed sessions (their objects hold cycles) and hand the freed heap back to the system."""
    gc.collect()
    libc = ctypes.util.find_library("c")
    if libc and hasattr(ctypes.CDLL(libc), "malloc_trim"):
        ctypes.CDLL(libc).malloc_trim(0)


CLOSED_TABS = ClosedTabs()  # session ids and times only
