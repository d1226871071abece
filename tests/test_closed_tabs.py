"""Sessions of closed tabs are closed after a grace period, so that their runs leave the server's memory."""
from ui.closed_tabs import CHECK_SECONDS, GRACE_SECONDS, ClosedTabs


class Runtime:
    """Streamlit's runtime as ClosedTabs sees it: which sessions are connected, and the call that closes one."""

    def __init__(self, active: set[str]) -> None:
        self.active, self.closed = active, []

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active

    def clear_user_info_for_session(self, session_id: str) -> None:
        self.closed.append(session_id)


def tabs_of(*session_ids: str) -> ClosedTabs:
    tabs = ClosedTabs()
    tabs._gone_since.update(dict.fromkeys(session_ids))  # as note_this_session does from each page's run
    return tabs


def test_a_tab_gone_for_the_grace_period_is_closed_once():
    tabs, runtime = tabs_of("open", "closed"), Runtime({"open"})
    assert tabs.close_gone(runtime, now=0.0) == []  # first seen disconnected
    assert tabs.close_gone(runtime, now=GRACE_SECONDS - CHECK_SECONDS) == []
    assert tabs.close_gone(runtime, now=GRACE_SECONDS) == ["closed"] and runtime.closed == ["closed"]
    assert tabs.close_gone(runtime, now=3 * GRACE_SECONDS) == [] and runtime.closed == ["closed"]


def test_a_tab_that_reconnects_within_the_grace_keeps_its_session():
    tabs, runtime = tabs_of("flaky"), Runtime(set())
    tabs.close_gone(runtime, now=0.0)
    runtime.active.add("flaky")
    tabs.close_gone(runtime, now=GRACE_SECONDS / 2)
    runtime.active.clear()
    assert tabs.close_gone(runtime, now=GRACE_SECONDS + 1) == []  # its grace starts again
    assert tabs.close_gone(runtime, now=2 * GRACE_SECONDS + 1) == ["flaky"]


def test_ticks_look_at_most_every_few_seconds():
    tabs, runtime = tabs_of("closed"), Runtime(set())
    tabs.close_gone(runtime, now=0.0)
    assert tabs.close_gone(runtime, now=GRACE_SECONDS) == ["closed"]
    tabs._gone_since["later"] = None
    tabs.close_gone(runtime, now=GRACE_SECONDS + CHECK_SECONDS / 2)  # too soon: not even noted as gone
    assert tabs._gone_since["later"] is None
