"""Load test: N students on one Streamlit server, each training live on the diagnostics page.

    python benchmarks/load_test.py [--students 1 2 4 8] [--seconds 30] [--repeats 1]
    python benchmarks/load_test.py --heavy [--seconds 30] [--after 60]

Each student is a websocket client that speaks Streamlit's own protocol, as a browser tab does: it
opens the page, presses Train, then asks for the live area's rerun every `run_every` seconds (the
browser's timer) and notes when each redraw's status line ("Step N") arrives. Rendering happens in the students' own
browsers, so the clients cost this machine almost nothing and the numbers are the server's.

For each N (a fresh server each time) it prints the p50/p95 time between chart refreshes over all
students, each student's steps/s, the server's CPU use and its resident memory (VmRSS). A server
"serves" N students while the p95 refresh stays under SERVED_P95 seconds and each student's network
still trains at SERVED_STEPS_PER_S or more.

With --heavy, one click against two students: two train (their steps/s alone is the baseline), then a third
opens the page with the heaviest network the controls allow (depth 8, width 500, batch 512, statistics every
step) and presses Step 1,000; after --seconds its tab closes. It prints the two students' steps/s before,
during and after, as ratios to their own baseline, and the server's memory (idle, with the two, at its
peak, and every 10 s for --after seconds after the heavy tab closed), with the load average (the machine
may be shared). A click holds no server when the students keep at least half their rate and the memory
comes back to within 100 MB of its figure before the heavy tab opened.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.streamlit_server import resident_bytes, running_app, url_path  # noqa: E402

PAGE = url_path("pages/3_Activations_and_BatchNorm.py").lstrip("/")
SERVED_P95 = 2.0  # seconds between redraws a student still reads as "live"
SERVED_STEPS_PER_S = 100  # the lecture's first 1,000 steps (the hockey stick and more) within 10 s
WARMUP = 5.0  # seconds after the last Train press before measuring
STEP_PREFIX = "**Step "  # the status line: "**Step 1,234** · ..."
HEAVY_QUERY = "depth=8&width=500&batch=512&k=1"  # the largest network the diagnostics page's controls allow
HEAVY_BUTTON = "Step 1,000"
KEPT_RATE = 0.5  # of their own rate the other students keep while the heavy click trains
MEMORY_BACK_MB = 100  # how close to its figure before the heavy tab the server's memory must come back


def rerun_request(fragment_id: str = "", pressed: str = "", query: str = "") -> bytes:
    """A BackMsg asking for a run of the page (or of one fragment), optionally with a button pressed."""
    msg = BackMsg()
    state = msg.rerun_script
    state.page_name, state.query_string = PAGE, query
    if fragment_id:
        state.fragment_id, state.is_auto_rerun = fragment_id, True
    if pressed:
        widget = state.widget_states.widgets.add()
        widget.id, widget.trigger_value = pressed, True
    return msg.SerializeToString()


@dataclass
class Student:
    """One browser tab's worth of traffic, and what it saw."""
    steps: list[tuple[float, int]] = field(default_factory=list)  # (arrival, step counter) of each redraw
    query: str = ""  # the page's address's query (the controls it opens with)
    press: str = "Train"  # the button it presses

    async def train(self, ws_url: str, origin: str, started: asyncio.Event) -> None:
        """Open the page, press its button and keep the live area redrawing until cancelled (the tab closes)."""
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=origin, max_size=None) as ws:
            await ws.send(rerun_request(query=self.query))
            buttons = await self.read_run(ws)
            await ws.send(rerun_request(pressed=buttons[self.press], query=self.query))
            started.set()
            ticker = None
            try:
                while True:
                    msg = await self._receive(ws)
                    if msg.WhichOneof("type") == "auto_rerun" and ticker is None:
                        ticker = asyncio.create_task(self._tick(ws, msg.auto_rerun.fragment_id,
                                                                msg.auto_rerun.interval, self.query))
            finally:
                if ticker is not None:
                    ticker.cancel()

    async def _receive(self, ws) -> ForwardMsg:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "markdown" and element.markdown.body.startswith(STEP_PREFIX):
                number = element.markdown.body[len(STEP_PREFIX):].split("*", 1)[0]
                self.steps.append((time.monotonic(), int(number.replace(",", ""))))
        return msg

    async def read_run(self, ws) -> dict[str, str]:
        """Read one full run; return its buttons, label -> widget id."""
        buttons = {}
        while True:
            msg = await self._receive(ws)
            if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "button":
                    buttons[element.button.label] = element.button.id
            if msg.WhichOneof("type") == "script_finished":
                return buttons

    @staticmethod
    async def _tick(ws, fragment_id: str, interval: float, query: str) -> None:
        """The browser's timer: ask for the live area's rerun every `interval` seconds."""
        while True:
            await asyncio.sleep(interval)
            await ws.send(rerun_request(fragment_id, query=query))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def measure(url: str, pid: int, students: int, seconds: float) -> dict:
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    crowd = [Student() for _ in range(students)]
    started = [asyncio.Event() for _ in crowd]
    tasks = []
    for student, event in zip(crowd, started):
        tasks.append(asyncio.create_task(student.train(ws_url, url, event)))
        await asyncio.sleep(0.2)  # students arrive one after another
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in started)), timeout=300)
    await asyncio.sleep(WARMUP)
    begin, cpu_begin, client_begin, rss = time.monotonic(), cpu_seconds(pid), time.process_time(), []
    while time.monotonic() < begin + seconds:
        rss.append(resident_bytes(pid))
        await asyncio.sleep(1.0)
    end = time.monotonic()
    cpu, client_cpu = ((cpu_seconds(pid) - cpu_begin) / (end - begin), (time.process_time() - client_begin) / (end - begin))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    gaps = [b - a for s in crowd for (a, _), (b, _) in zip(s.steps, s.steps[1:]) if begin <= a and b <= end]
    rates = [rate for s in crowd if (rate := steps_per_second(s.steps, begin, end)) is not None]
    return {"students": students, "redraws": len(gaps), "p50": percentile(gaps, 50), "p95": percentile(gaps, 95),
            "steps_per_s": statistics.median(rates) if rates else float("nan"), "cpu_cores": cpu,
            "client_cpu_cores": client_cpu, "rss_mb": max(rss) / 2**20}


def steps_per_second(steps: list[tuple[float, int]], begin: float, end: float) -> float | None:
    window = [(t, n) for t, n in steps if begin <= t <= end]
    if len(window) < 2 or window[-1][0] == window[0][0]:
        return None
    return (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_level(students: int, seconds: float) -> dict:
    """One fresh server, warmed by one page view, then `students` training at once."""
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "server.log") as (url, server):
        asyncio.run(warm_up(url))
        idle_rss = resident_bytes(server.pid)
        result = asyncio.run(measure(url, server.pid, students, seconds))
        return {**result, "idle_rss_mb": idle_rss / 2**20}


async def warm_up(url: str) -> None:
    """Open the page once (imports torch, reads the word list) so the first student does not pay for it."""
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                  origin=url, max_size=None) as ws:
        await ws.send(rerun_request())
        await Student().read_run(ws)


async def heavy_click(url: str, pid: int, seconds: float, after: float) -> dict:
    """Two students train; then a third presses Step 1,000 on the heaviest network and closes its tab."""
    ws_url = url.replace("http", "ws", 1) + "/_stcore/stream"
    pair, tasks = [Student(), Student()], []
    for student in pair:
        started = asyncio.Event()
        tasks.append(asyncio.create_task(student.train(ws_url, url, started)))
        await asyncio.wait_for(started.wait(), timeout=300)
    await asyncio.sleep(WARMUP)
    alone = await window(pid, pair, seconds)
    heavy, started = Student(query=HEAVY_QUERY, press=HEAVY_BUTTON), asyncio.Event()
    heavy_task = asyncio.create_task(heavy.train(ws_url, url, started))
    await asyncio.wait_for(started.wait(), timeout=300)
    await asyncio.sleep(WARMUP)
    during = await window(pid, pair, seconds)
    heavy_task.cancel()  # the tab closes
    await asyncio.gather(heavy_task, return_exceptions=True)
    closed = time.monotonic()
    then = await window(pid, pair, min(after, seconds))
    memory = {round(t - closed): mb for t, mb in then["rss"]}
    while time.monotonic() < closed + after:
        await asyncio.sleep(1.0)
        memory[round(time.monotonic() - closed)] = resident_bytes(pid) / 2**20
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    heavy_steps = heavy.steps[-1][1] if heavy.steps else 0
    return {"alone": alone, "during": during, "after": then, "memory_after": memory, "heavy_steps": heavy_steps}


async def window(pid: int, students: list[Student], seconds: float) -> dict:
    """The students' median steps/s and the server's CPU and peak memory over the next `seconds`."""
    begin, cpu_begin, rss = time.monotonic(), cpu_seconds(pid), []
    while time.monotonic() < begin + seconds:
        rss.append((time.monotonic(), resident_bytes(pid) / 2**20))
        await asyncio.sleep(1.0)
    end = time.monotonic()
    rates = [rate for s in students if (rate := steps_per_second(s.steps, begin, end)) is not None]
    return {"steps_per_s": statistics.median(rates) if rates else float("nan"), "rss": rss,
            "cpu_cores": (cpu_seconds(pid) - cpu_begin) / (end - begin), "rss_mb": max(mb for _, mb in rss),
            "load": os.getloadavg()[0]}


def heavy_main(seconds: float, after: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "server.log") as (url, server):
        asyncio.run(warm_up(url))
        idle = resident_bytes(server.pid) / 2**20
        result = asyncio.run(heavy_click(url, server.pid, seconds, after))
    alone, during, then = result["alone"], result["during"], result["after"]
    print(f"{os.cpu_count()} CPUs; heavy click: Step 1,000 at {HEAVY_QUERY}, its tab closed after {seconds:.0f} s "
          f"(it reached step {result['heavy_steps']:,})")
    print("| phase | steps/s per student | ratio to alone | server CPU (cores) | server memory peak (MB) | load avg |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, row in [("two students alone", alone), ("with the heavy click", during), ("after its tab closed", then)]:
        print(f"| {name} | {row['steps_per_s']:,.0f} | {row['steps_per_s'] / alone['steps_per_s']:.2f} | "
              f"{row['cpu_cores']:.2f} | {row['rss_mb']:.0f} | {row['load']:.1f} |")
    marks = {t: mb for t, mb in result["memory_after"].items() if t % 10 == 0}
    print(f"server memory: idle {idle:.0f} MB; with two students {alone['rss_mb']:.0f} MB; after the heavy tab "
          "closed: " + ", ".join(f"{t} s {mb:.0f}" for t, mb in sorted(marks.items())) + " MB")
    last = result["memory_after"][max(result["memory_after"])]
    kept = during["steps_per_s"] / alone["steps_per_s"]
    print(f"students kept {kept:.0%} of their rate (at least {KEPT_RATE:.0%}: {'yes' if kept >= KEPT_RATE else 'no'}); "
          f"memory {last - alone['rss_mb']:+.0f} MB from before the heavy tab after {max(result['memory_after'])} s "
          f"(within {MEMORY_BACK_MB} MB: {'yes' if last - alone['rss_mb'] <= MEMORY_BACK_MB else 'no'})")


def served(row: dict) -> bool:
    return row["p95"] < SERVED_P95 and row["steps_per_s"] >= SERVED_STEPS_PER_S


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=30.0, help="measurement window per level")
    parser.add_argument("--repeats", type=int, default=1, help="runs per level; the table shows medians")
    parser.add_argument("--heavy", action="store_true", help="two students and one heavy Step click (see above)")
    parser.add_argument("--after", type=float, default=60.0, help="--heavy: seconds watched after the tab closes")
    args = parser.parse_args()
    if args.heavy:
        heavy_main(args.seconds, args.after)
        return
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; served = p95 refresh < {SERVED_P95} s "
          f"and >= {SERVED_STEPS_PER_S} steps/s per student")
    print("| students | refresh p50 (s) | refresh p95 (s) | steps/s per student | server CPU (cores) | "
          "server RSS idle / busy (MB) | served | (clients' CPU) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |")
    for students in args.students:
        runs = [run_level(students, args.seconds) for _ in range(args.repeats)]
        row = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(f"| {students} | {row['p50']:.2f} | {row['p95']:.2f} | {row['steps_per_s']:,.0f} | "
              f"{row['cpu_cores']:.2f} | {row['idle_rss_mb']:.0f} / {row['rss_mb']:.0f} | "
              f"{'yes' if served(row) else 'no'} | {row['client_cpu_cores']:.2f} |", flush=True)



if __name__ == "__main__":
    main()
