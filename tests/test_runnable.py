"""The one protocol, control row and live area that a page's trainer, sweep and backprop twins share."""
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ui.live import LiveRun
from ui.panels.backprop import TwinsRun
from ui.pacing import SERVER_TURNS
from ui.panels.sweep import SweepRun
from ui.runnable import Runnable

OWN = ("step", "done", "train_for", "stop", "reset")  # what every live object must say for itself


@pytest.mark.parametrize("kind", [LiveRun, SweepRun, TwinsRun])
def test_every_live_object_implements_what_the_protocol_leaves_open(kind):
    assert Runnable in kind.__mro__
    assert all(getattr(kind, name) is not getattr(Runnable, name) for name in OWN)
    assert {"running", "notice"} <= set(dir(kind))


@dataclass
class Counter(Runnable):
    """Counts up to `total`, a step per train_for unless told more (at most `chunk`, as a time budget would);
    notes what it was asked."""
    total: int = 8
    chunk: int = 1_000
    count: int = 0
    running: bool = False
    notice: str = ""
    calls: list = field(default_factory=list)

    @property
    def step(self) -> int:
        return self.count

    @property
    def done(self) -> bool:
        return self.count >= self.total

    def train_for(self, seconds, max_steps=None) -> int:
        n = min(max_steps or 1, self.chunk, self.total - self.count)
        self.count += n
        self.calls.append(("train_for", n))
        if self.done and self.running:
            self.stop()
        return n

    def stop(self) -> None:
        self.running = False
        self.calls.append("stop" if not SERVER_TURNS._held else "stop in the server's turn")

    def reset(self) -> "Counter":
        self.calls.append("reset")
        return Counter(self.total, self.chunk, notice="a fresh counter")


def row_script(chunk: int = 1_000):
    import streamlit as st

    from tests.test_runnable import Counter
    from ui.runnable import Buttons, control_row, live_area

    if "counter" not in st.session_state:
        st.session_state["counter"] = Counter(chunk=chunk, notice="a new counter")
    control_row("counter", "c", Buttons(steps=(1, 5)))
    live_area("counter", lambda current: st.markdown(f"count {current.count}, {current.status}"))


def shown(at) -> str:
    return at.markdown[-1].value


def test_the_control_row_drives_any_live_object():
    at = AppTest.from_function(row_script, default_timeout=60).run()
    assert [i.value for i in at.info] == ["a new counter"] and shown(at) == "count 0, ready"
    at = at.button(key="c_step5").click().run()
    counter = at.session_state["counter"]
    assert counter.calls == [("train_for", 5), "stop"] and shown(at) == "count 5, paused"
    assert [i.value for i in at.info] == ["a new counter"]  # a Step keeps the notice (e.g. a run continued); Train not
    at = at.button(key="c_train").click().run()  # the live area's tick draws, then trains its first chunk
    assert at.session_state["counter"].running and not at.info and shown(at) == "count 5, training"
    assert at.session_state["counter"].count == 6
    at = at.button(key="c_pause").click().run()
    assert not at.session_state["counter"].running and at.session_state["counter"].calls[-1] == "stop"
    at = at.button(key="c_step5").click().run().run()  # only 2 steps were left; the next run redraws the row
    assert shown(at) == "count 8, finished"
    assert at.button(key="c_train").disabled and at.button(key="c_step1").disabled
    at = at.button(key="c_reset").click().run()
    assert counter.calls[-1] == "reset" and at.session_state["counter"] is not counter
    assert shown(at) == "count 0, ready" and [i.value for i in at.info] == ["a fresh counter"]


def test_a_step_trains_in_the_live_areas_turns_and_can_be_paused():
    """Step N trains a tick's budget at a time toward its target, as Train does (it held the server for one
    click's whole training, out of the turns, and no Pause was offered)."""
    at = AppTest.from_function(row_script, args=(2,), default_timeout=60).run()
    at = at.button(key="c_step5").click().run()
    counter = at.session_state["counter"]
    assert counter.count == 2 and counter.running and counter.target == 5 and shown(at) == "count 0, training to step 5"
    assert at.button(key="c_pause")
    at = at.run()
    assert counter.count == 4 and counter.running
    at = at.button(key="c_pause").click().run()
    assert counter.count == 4 and not counter.running and counter.target is None
    at = at.button(key="c_step1").click().run()
    assert counter.count == 5 and not counter.running and shown(at) == "count 5, paused"
    assert counter.calls[-2:] == [("train_for", 1), "stop"]  # kept (its splits measured) out of the turns


@dataclass
class FakeSweep:
    steps: int
    step: int = 0
    data: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(splits={}))  # no dev split to measure

    @property
    def done(self) -> bool:
        return self.step >= self.steps

    def advance_for(self, seconds, max_steps=None) -> int:
        n = min(max_steps or self.steps, self.steps - self.step)
        self.step += n
        return n


def test_a_sweep_shown_stays_until_train_builds_the_controls_new_one():
    built = []

    def build(steps):
        built.append(FakeSweep(steps))
        return built[-1]

    run = SweepRun({"steps": 10}, lambda: build(10))
    assert run.step == 0 and not run.done and run.sweep is None  # nothing built before Train
    run.start()
    run.train_for(1.0)
    assert run.sweep is built[0] and run.done and not run.running  # it stopped itself at the end
    run.wanted, run.build = {"steps": 20}, lambda: build(20)  # the controls change
    assert run.sweep is built[0] and run.notice and not run.done  # still shown; Train may start the new one
    run.start()
    assert run.sweep is built[1] and run.running and not run.notice and run.step == 0
