"""Process-wide settings the app needs, in one place: how sessions share the CPU, the chart library's checks that
cost a live redraw more than they give, and a periodic garbage collection that frees what closed tabs leave.
`tune_process()` applies them once per server process; `page_setup` (every page's first call) calls it, so does any
script that draws pages without a server."""
from __future__ import annotations

import functools
import gc
import os
import sys
import threading

import altair as alt
import pyarrow
import torch

# How sessions share the server. Live ticks take turns (ui/pacing.py); the rest still overlaps, and a training
# thread, which drops the GIL at every torch operation, waits up to the switch interval (Python's default:
# 0.005 s) for a thread running Python.
TORCH_THREADS = 1  # each session trains on one core, so students share the cores instead of fighting over them
# Sweeps too, unless the machine has cores to spare: two threads make a sweep faster in an idle process
# (benchmarks/sweep_speed.py), but where a browser or other sessions share the cores every parallel region
# waits at an OpenMP barrier for a helper thread kept off the CPU: with Chromium on the same 2 cores a 5-copy
# sweep trained 7 times slower on two threads (benchmarks/sweep_page_speed.py --threads 2).
SWEEP_THREADS_VARIABLE = "MAKEMORE_SWEEP_THREADS"
GIL_SWITCH_SECONDS = 0.0005
# Streamlit sends every chart's data as Arrow; pyarrow converts a long frame on a pool of threads, started
# anew for each conversion: for the live pages' small frames that costs more than it saves (a tenth of a
# redraw), so conversions run on the calling thread.
ARROW_THREADS = 1
# What a closed tab leaves: its training stops with its browser's timer, and once Streamlit drops its session (the
# reconnect window, server.disconnectedSessionTTL, over) its networks, which sit in reference cycles, wait for a full
# collection. Streamlit's after every run is off (.streamlit/config.toml: 0.1 s a redraw), and Python's own seldom
# comes in a process holding torch's many long-lived objects: six classes of three students, one after another on
# one server, left it at 792 MB without this collection and at 479 MB with it (483 MB after the first class;
# docs/classroom.md, "A student who leaves").
COLLECT_SECONDS = 60.0  # between full collections (each pauses the server 0.1-0.4 s: rarely, then)


def sweep_threads(environ=os.environ) -> int:
    """The torch threads a sweep trains on: $MAKEMORE_SWEEP_THREADS, else TORCH_THREADS."""
    text = environ.get(SWEEP_THREADS_VARIABLE, "").strip()
    if not text:
        return TORCH_THREADS
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{SWEEP_THREADS_VARIABLE} must be a whole number of threads (1 or more), not {text!r}")
    return int(text)


SWEEP_THREADS = sweep_threads()


class _PlainValueFirst(type):
    """Answers `isinstance(value, SchemaLike)` for plain JSON values at once.

    Altair's to_dict asks it of every string and number of a spec, and SchemaLike is a runtime-checkable
    Protocol: 15 µs a question (inspect.getattr_static per member), a tenth of a live redraw.
    """
    protocol = getattr(alt.utils.schemapi.SchemaLike, "protocol", alt.utils.schemapi.SchemaLike)  # on a reload too

    def __instancecheck__(cls, value) -> bool:
        return not isinstance(value, (str, int, float, bool, type(None))) and isinstance(value, cls.protocol)


class _SchemaLike(metaclass=_PlainValueFirst):
    """Stands in for Altair's SchemaLike where its to_dict checks leaf values (see _PlainValueFirst)."""


class Collector(threading.Thread):
    """A full garbage collection every `seconds`, on a daemon thread of its own, until `stopped` is set."""

    def __init__(self, seconds: float) -> None:
        super().__init__(name="garbage-collector", daemon=True)
        self.seconds = seconds
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.seconds):
            gc.collect()


@functools.cache  # once per process: a sweep in another session may hold more torch threads for a while
def tune_process() -> None:
    torch.set_num_threads(TORCH_THREADS)
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    pyarrow.set_cpu_count(ARROW_THREADS)
    # Altair's debug mode validates every scale, legend and axis object against the schema as it is built: a
    # quarter of building a chart. The pages skip it, like the validation of whole specs (ui/export.py).
    alt.utils.schemapi.disable_debug_mode()
    alt.utils.schemapi.SchemaLike = _SchemaLike
    # Altair refuses to write a chart of more than 5,000 rows into its spec (a guard for notebooks). Streamlit
    # sends the data apart and skips it, but the export menu's to_dict does not, and the weights view (up to
    # 26,000 cells) and the clickable saturation image (batch x width) pass it: their builders bound them.
    alt.data_transformers.disable_max_rows()
    Collector(COLLECT_SECONDS).start()
