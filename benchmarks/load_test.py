"""Load test: N students training live on the diagnostics page, on one Streamlit server or through the class
server (deploy/class-server.sh: HAProxy in front of R replicas).

    python benchmarks/load_test.py [--students 1 2 4 8] [--seconds 30] [--repeats 1]
    python benchmarks/load_test.py --replicas 1 2 --students 1 2 4 6 [--leave [--classes 2]] [--session-ttl 120]
    python benchmarks/load_test.py --heavy [--seconds 30] [--after 60]

Each student is a websocket client that speaks Streamlit's own protocol, as a browser tab does: it
opens the page, presses Train, then asks for the live area's rerun every `run_every` seconds (the
browser's timer) and notes when each redraw's status line ("Step N") arrives. Rendering happens in the students' own
browsers, so the clients cost this machine almost nothing and the numbers are the server's. Through the proxy a
student first loads the page, as a browser does, and keeps the affinity cookie HAProxy gives it.

For each row (a fresh server or class server each time) it prints the p50/p95 time between chart refreshes over
all students, the slowest, median and fastest student's steps/s and their total, the CPU the servers (and the
proxy) use, the steps trained per CPU second they got (less sensitive than steps/s to other work on the machine),
each replica's resident memory (VmRSS) before the students come and while they train, and the machine's load
average. A server "serves" N students while the p95 refresh stays under SERVED_P95 seconds and each student's
network still trains at SERVED_STEPS_PER_S or more.

With --leave the students then close their tabs: it notes when the replicas' CPU falls to idle (training stopped).
Then --classes - 1 more classes of as many students come and go, each after the reconnect window (--session-ttl)
and one page view per replica (the next visitor: Streamlit drops expired sessions when another session disconnects);
it prints each class's peak memory and the memory once the last one left, the window passed, a next visitor came
and the app's garbage collector ran (ui/process_tuning.py): does each class fit in the memory the one before left?
With --replicas it ends with the issue's targets, as ratios of rows measured in the same run.

With --heavy, one heavy click against two students on one plain `streamlit run`: two train (each one's steps/s over
--seconds is its own baseline), then a third opens the page with the heaviest network the controls allow (HEAVY_QUERY)
and presses Step 1,000, keeping its live area ticking as a tab does (Step trains in the ticks); after --seconds its tab
closes. It prints each student's steps/s before, during and after as ratios to its baseline, the server's memory (idle
before the students, with the two, the peak, and every 10 s for --after seconds after the heavy tab closed), the load
average, and a verdict for each target: the students keep at least KEPT_RATE of their rate, and the memory is back
within MEMORY_BACK_MB within MEMORY_BACK_SECONDS of the tab closing (and stays there), against the server's figure
before the heavy tab opened (the two still train, so that is its idle figure without the heavy session) and, stricter,
against its figure before any student came.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.class_server import COOKIE, class_server  # noqa: E402
from tests.streamlit_server import resident_bytes, running_app, url_path  # noqa: E402
from ui.process_tuning import COLLECT_SECONDS  # noqa: E402

PAGE = url_path("pages/3_Activations_and_BatchNorm.py").lstrip("/")
SERVED_P95 = 2.0  # seconds between redraws a student still reads as "live"
SERVED_STEPS_PER_S = 100  # the lecture's first 1,000 steps (the hockey stick and more) within 10 s
WARMUP = 5.0  # seconds after the last Train press before measuring
STEP_PREFIX = "**Step "  # the status line: "**Step 1,234** · ..."
IDLE_CORES = 0.1  # replicas' CPU at or below this (cores, over SAMPLE_SECONDS): nobody trains any more
SAMPLE_SECONDS = 0.5
# the targets for 2 replicas against 1 (docs/classroom.md)
TWO_STUDENTS_ALONE_SHARE = 0.8  # each of 2 students on 2 replicas trains at >= 80% of one student alone
TWO_STUDENTS_P95 = 0.6
TOTAL_SPEEDUP = 1.7  # at 4 and 6 students, 2 replicas' total steps/s against 1 replica's
FAIR_SHARE = 0.5  # no student below half the mean
SESSION_TTL_VARIABLE = "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"  # server.disconnectedSessionTTL
DEFAULT_SESSION_TTL = 120  # Streamlit's
# --heavy: the largest network the diagnostics page's controls allow (ui/panels/deep_net_controls.py), its biggest Step
HEAVY_QUERY = "depth=8&width=500&batch=512&k=1"
HEAVY_BUTTON = "Step 1,000"
KEPT_RATE = 0.5  # of its own rate each other student keeps while the heavy click trains
MEMORY_BACK_MB = 100  # how close to its idle figure the server's memory comes back ...
MEMORY_BACK_SECONDS = 60  # ... this soon after the heavy tab closed


def rerun_request(fragment_id: str = "", pressed: str = "", query: str = "") -> bytes:
    """A BackMsg asking for a run of the page (or of one fragment) at the address's `query`, optionally with a button
    pressed."""
    msg = BackMsg()
    state = msg.rerun_script
    state.page_name, state.query_string = PAGE, query
    if fragment_id:
        state.fragment_id, state.is_auto_rerun = fragment_id, True
    if pressed:
        widget = state.widget_states.widgets.add()
        widget.id, widget.trigger_value = pressed, True
    return msg.SerializeToString()


def stream_url(url: str) -> str:
    return url.replace("http", "ws", 1) + "/_stcore/stream"


def connect(url: str, cookie: str = ""):
    """A websocket to the app as a browser tab opens it (with the proxy's affinity cookie, if any)."""
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else None
    return websockets.connect(stream_url(url), subprotocols=["streamlit"], origin=url, max_size=None,
                              additional_headers=headers)


def affinity_cookie(url: str, cookie: str = "") -> str:
    """Load the page as a browser does; the replica the proxy chose (its cookie's value), or `cookie` kept."""
    request = urllib.request.Request(url + "/", headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return jar[COOKIE].value if COOKIE in jar else cookie


@dataclass
class Student:
    """One browser tab's worth of traffic, and what it saw."""
    steps: list[tuple[float, int]] = field(default_factory=list)  # (arrival, step counter) of each redraw
    replica: str = ""  # the proxy's cookie: which replica serves this student
    query: str = ""  # the page's address's query (the controls it opens with)
    press: str = "Train"  # the button it presses

    async def train(self, url: str, started: asyncio.Event, proxied: bool) -> None:
        """Open the page, press its button and keep the live area redrawing until cancelled (the tab closes)."""
        if proxied:
            self.replica = await asyncio.to_thread(affinity_cookie, url)
        async with connect(url, self.replica) as ws:
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
                                                                msg.auto_rerun.interval))
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

    async def _tick(self, ws, fragment_id: str, interval: float) -> None:
        """The browser's timer: ask for the live area's rerun every `interval` seconds."""
        while True:
            await asyncio.sleep(interval)
            await ws.send(rerun_request(fragment_id, query=self.query))


@dataclass
class Class:
    """Students training at once on the servers `replicas` (pids), reached at `url`, through a proxy or not."""
    url: str
    replicas: list[int]
    proxy: int | None = None  # the proxy's pid (its CPU counts too)

    async def train(self, students: int, seconds: float) -> dict:
        """`students` arrive, train for WARMUP + `seconds`, then close their tabs: what they saw in `seconds`."""
        crowd = [Student() for _ in range(students)]
        started = [asyncio.Event() for _ in crowd]
        tasks = []
        for student, event in zip(crowd, started):
            tasks.append(asyncio.create_task(student.train(self.url, event, self.proxy is not None)))
            await asyncio.sleep(0.2)  # students arrive one after another
        await asyncio.wait_for(asyncio.gather(*(event.wait() for event in started)), timeout=300)
        await asyncio.sleep(WARMUP)
        proxy = [self.proxy] if self.proxy else []
        begin, cpu_begin, client_begin, rss = time.monotonic(), total_cpu(self.replicas), time.process_time(), []
        proxy_begin = total_cpu(proxy)
        while time.monotonic() < begin + seconds:
            rss.append(max(resident_bytes(pid) for pid in self.replicas))
            await asyncio.sleep(1.0)
        end = time.monotonic()
        cpu = (total_cpu(self.replicas) - cpu_begin) / (end - begin)
        proxy_cpu = (total_cpu(proxy) - proxy_begin) / (end - begin)
        client_cpu = (time.process_time() - client_begin) / (end - begin)
        for task in tasks:  # the tabs close
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        gaps = [b - a for s in crowd for (a, _), (b, _) in zip(s.steps, s.steps[1:]) if begin <= a and b <= end]
        rates = [rate for s in crowd if (rate := steps_per_second(s.steps, begin, end)) is not None]
        return {"students": students, "redraws": len(gaps), "p50": percentile(gaps, 50), "p95": percentile(gaps, 95),
                "steps_min": min(rates, default=float("nan")), "steps_median": median(rates),
                "steps_max": max(rates, default=float("nan")), "steps_total": sum(rates), "fair": fair(rates, students),
                "cpu_cores": cpu + proxy_cpu, "proxy_cores": proxy_cpu, "client_cpu_cores": client_cpu,
                "rss_mb": max(rss) / 2**20,
                "spread": "/".join(str(sum(s.replica == f"r{i}" for s in crowd))
                                   for i in range(1, len(self.replicas) + 1))}

    async def departure(self, students: int, seconds: float, session_ttl: float, classes: int) -> dict:
        """After the tabs closed: seconds until the replicas' CPU is idle (training stopped). Then `classes` - 1 more
        classes of `students` come and go, each after the reconnect window and a next visitor's page view (Streamlit
        drops expired sessions when another session disconnects): each one's peak memory, and the memory once the
        last one left and the app's collector ran (ui/process_tuning.py)."""
        left, cpu, stopped = time.monotonic(), total_cpu(self.replicas), None
        while stopped is None and time.monotonic() < left + 30:
            await asyncio.sleep(SAMPLE_SECONDS)
            cpu_now = total_cpu(self.replicas)
            if (cpu_now - cpu) / SAMPLE_SECONDS <= IDLE_CORES:
                stopped = time.monotonic() - left - SAMPLE_SECONDS  # when the idle window began
            cpu = cpu_now
        peaks = []
        for _ in range(classes - 1):
            await self.next_visitor(left + session_ttl + 5)
            peaks.append((await self.train(students, seconds))["rss_mb"])
            left = time.monotonic()
        await self.next_visitor(left + session_ttl + 5)
        await asyncio.sleep(COLLECT_SECONDS + 5)
        return {"stopped_s": stopped, "later_peaks_mb": peaks,
                "rss_after_mb": max(resident_bytes(pid) for pid in self.replicas) / 2**20}

    async def next_visitor(self, at: float) -> None:
        """At monotonic time `at`, one page view on each replica, opened and closed."""
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        for number in range(1, len(self.replicas) + 1):
            await warm_up(self.url, f"r{number}" if self.proxy else "")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def total_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def measure(servers: Class, students: int, seconds: float, classes: int, session_ttl: float) -> dict:
    load = os.getloadavg()[0]  # as the students arrive: this benchmark adds about 1 per replica, the rest is others
    result = {**await servers.train(students, seconds), "load": load}
    return {**result, **(await servers.departure(students, seconds, session_ttl, classes) if classes else {})}


def steps_per_second(steps: list[tuple[float, int]], begin: float, end: float) -> float | None:
    window = [(t, n) for t, n in steps if begin <= t <= end]
    if len(window) < 2 or window[-1][0] == window[0][0]:
        return None
    return (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])


def fair(rates: list[float], students: int) -> bool:
    """Every student measured, and none below FAIR_SHARE of the mean."""
    return len(rates) == students and min(rates) >= FAIR_SHARE * statistics.mean(rates)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_level(students: int, seconds: float, classes: int, session_ttl: float) -> dict:
    """One fresh `streamlit run`, warmed by one page view, then `students` training at once."""
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "server.log") as (url, server):
        asyncio.run(warm_up(url))
        idle_rss = resident_bytes(server.pid) / 2**20
        result = asyncio.run(measure(Class(url, [server.pid]), students, seconds, classes, session_ttl))
        return {**result, "replicas": 0, "idle_rss_mb": idle_rss}


def run_proxied_level(replicas: int, students: int, seconds: float, classes: int, session_ttl: float) -> dict:
    """A fresh class server with `replicas` replicas, each warmed by one page view, then `students` at once."""
    with tempfile.TemporaryDirectory() as tmp, class_server(replicas, Path(tmp)) as server:
        for number in range(1, replicas + 1):
            asyncio.run(warm_up(server.url, f"r{number}"))
        pids = [server.replica_pid(number) for number in range(1, replicas + 1)]
        idle_rss = max(resident_bytes(pid) for pid in pids) / 2**20
        servers = Class(server.url, pids, server.proxy_pid())
        result = asyncio.run(measure(servers, students, seconds, classes, session_ttl))
        return {**result, "replicas": replicas, "idle_rss_mb": idle_rss}


async def warm_up(url: str, replica: str = "") -> None:
    """Open the page once (imports torch, reads the word list) so the first student does not pay for it."""
    async with connect(url, replica) as ws:
        await ws.send(rerun_request())
        await Student().read_run(ws)


async def heavy_click(url: str, pid: int, seconds: float, after: float) -> dict:
    """Two students train; then a third presses Step 1,000 on the heaviest network, and its tab closes after
    `seconds`: the two's windows before, during and after, the server's memory each second after the tab closed."""
    pair, tasks = [Student(), Student()], []
    for student in pair:
        started = asyncio.Event()
        tasks.append(asyncio.create_task(student.train(url, started, False)))
        await asyncio.wait_for(started.wait(), timeout=300)
    await asyncio.sleep(WARMUP)
    alone = await window(pid, pair, seconds)
    heavy, started = Student(query=HEAVY_QUERY, press=HEAVY_BUTTON), asyncio.Event()
    heavy_task = asyncio.create_task(heavy.train(url, started, False))
    await asyncio.wait_for(started.wait(), timeout=300)
    await asyncio.sleep(WARMUP)
    during = await window(pid, pair, seconds)
    heavy_task.cancel()  # the tab closes
    await asyncio.gather(heavy_task, return_exceptions=True)
    closed = time.monotonic()
    then = await window(pid, pair, min(after, seconds))
    memory = [(t - closed, mb) for t, mb in then["rss"]]
    while time.monotonic() < closed + after:
        await asyncio.sleep(1.0)
        memory.append((time.monotonic() - closed, resident_bytes(pid) / 2**20))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"alone": alone, "during": during, "after": then, "memory_after": memory,
            "heavy_steps": heavy.steps[-1][1] if heavy.steps else 0}


async def window(pid: int, students: list[Student], seconds: float) -> dict:
    """Each student's steps/s, the server's CPU and its memory each second (monotonic time, MB) over `seconds`."""
    begin, cpu_begin, rss = time.monotonic(), cpu_seconds(pid), []
    while time.monotonic() < begin + seconds:
        rss.append((time.monotonic(), resident_bytes(pid) / 2**20))
        await asyncio.sleep(1.0)
    end = time.monotonic()
    return {"rates": [steps_per_second(s.steps, begin, end) or float("nan") for s in students], "rss": rss,
            "cpu_cores": (cpu_seconds(pid) - cpu_begin) / (end - begin), "load": os.getloadavg()[0]}


def heavy_main(seconds: float, after: float) -> None:
    """--heavy: one plain `streamlit run`, warmed by one page view; print the phases, the memory and the verdicts."""
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "server.log") as (url, server):
        asyncio.run(warm_up(url))
        idle = resident_bytes(server.pid) / 2**20
        result = asyncio.run(heavy_click(url, server.pid, seconds, after))
    phases = [("two students alone", result["alone"]), ("with the heavy click", result["during"]),
              ("after its tab closed", result["after"])]
    baseline = result["alone"]["rates"]
    print(f"{os.cpu_count()} CPUs; heavy click: {HEAVY_BUTTON} at {HEAVY_QUERY}, its tab closed after {seconds:.0f} s "
          f"(it reached step {result['heavy_steps']:,})")
    print("| phase | steps/s, student 1 / 2 | ratio to its own baseline, 1 / 2 | server CPU (cores) | "
          "server memory peak (MB) | load average |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, row in phases:
        print(f"| {name} | {' / '.join(f'{r:,.0f}' for r in row['rates'])} | "
              f"{' / '.join(f'{r / b:.2f}' for r, b in zip(row['rates'], baseline))} | {row['cpu_cores']:.2f} | "
              f"{max(mb for _, mb in row['rss']):.0f} | {row['load']:.1f} |")
    memory, before = result["memory_after"], max(mb for _, mb in result["alone"]["rss"])
    peak = max(mb for _, row in phases for _, mb in row["rss"])
    marks = {}
    for t, mb in memory:
        marks.setdefault(int(t // 10) * 10, (t, mb))  # the first sample of each 10 s
    print(f"server memory: idle {idle:.0f} MB; with two students {before:.0f} MB; "
          f"peak {peak:.0f} MB; after the heavy tab closed: "
          + ", ".join(f"{t:.0f} s {mb:.0f}" for t, mb in marks.values()) + " MB")
    kept = min(r / b for r, b in zip(result["during"]["rates"], baseline))
    print(f"target: each student keeps at least {KEPT_RATE:.0%} of its rate during the click: the slower kept "
          f"{kept:.0%}: {'met' if kept >= KEPT_RATE else 'missed'}")
    for name, figure in [("the server before the heavy tab (two students training)", before),
                         ("the server idle (no students; the two still train)", idle)]:
        back = memory_back(memory, figure)
        print(f"target: memory within {MEMORY_BACK_MB} MB of {name}, {figure:.0f} MB, within {MEMORY_BACK_SECONDS} s of "
              f"the tab closing: last {memory[-1][1] - figure:+.0f} MB, " + (
                  f"back (and staying) from {back:.0f} s: {'met' if back <= MEMORY_BACK_SECONDS else 'missed'}"
                  if back is not None else f"not back in {after:.0f} s: missed"))


def memory_back(memory: list[tuple[float, float]], figure: float) -> float | None:
    """Seconds after the tab closed from which every sample is within MEMORY_BACK_MB of `figure` (None: never)."""
    return next((t for i, (t, _) in enumerate(memory) if all(mb - figure <= MEMORY_BACK_MB for _, mb in memory[i:])),
                None)


def headless_rate(seconds: float, rates) -> None:
    """Steps/s of the diagnostics page's default network trained alone in this process (no server): into `rates`."""
    import torch

    from makemore.data import load_data
    from makemore.models import DeepMLPConfig
    from makemore.training import TrainConfig, build_trainer
    torch.set_num_threads(1)  # as the app trains
    trainer = build_trainer(DeepMLPConfig(), TrainConfig(steps=10**8, batch_size=32, lr=0.1, lr_decay_at=None,
                                                         stats_every=10), load_data(), 1)
    trainer.advance(100)
    start, first = time.perf_counter(), trainer.step
    while time.perf_counter() - start < seconds:
        trainer.advance(100)
    rates.put((trainer.step - first) / (time.perf_counter() - start))


def machine_ceiling(seconds: float = 5.0, rounds: int = 3) -> list[float]:
    """How much two training processes at once train against one alone, on this machine now, round by round (1, then
    2, alternating): the most a second replica can add (2.0 on two free cores; less where other work holds a core)."""
    context = multiprocessing.get_context("spawn")
    ratios = []
    for _ in range(rounds):
        totals = []
        for count in (1, 2):
            rates = context.Queue()
            workers = [context.Process(target=headless_rate, args=(seconds, rates)) for _ in range(count)]
            for worker in workers:
                worker.start()
            totals.append(sum(rates.get() for _ in workers))
            for worker in workers:
                worker.join()
        ratios.append(totals[1] / totals[0])
    return ratios


def served(row: dict) -> bool:
    return row["p95"] < SERVED_P95 and row["steps_min"] >= SERVED_STEPS_PER_S


def print_row(row: dict, leave: bool) -> None:
    servers = "1 (no proxy)" if row["replicas"] == 0 else f"{row['replicas']}"
    proxy = f" (proxy {row['proxy_cores']:.2f})" if row["replicas"] else ""
    line = (f"| {servers} | {row['students']} | {row['p50']:.2f} | {row['p95']:.2f} | "
            f"{row['steps_min']:,.0f} / {row['steps_median']:,.0f} / {row['steps_max']:,.0f} | "
            f"{row['steps_total']:,.0f} | {row['cpu_cores']:.2f}{proxy} | "
            f"{row['steps_total'] / row['cpu_cores']:,.0f} | "
            f"{row['idle_rss_mb']:.0f} / {row['rss_mb']:.0f} | "
            f"{row['spread'] if row['replicas'] else '-'} | {'yes' if served(row) else 'no'} | "
            f"{'yes' if row['fair'] else 'no'} | {row['load']:.1f} |")
    if leave:
        stopped = "> 30" if row["stopped_s"] is None else f"{row['stopped_s']:.1f}"
        peaks = " / ".join(f"{mb:.0f}" for mb in [row["rss_mb"], *row["later_peaks_mb"]])
        line += f" {stopped} | {peaks} | {row['rss_after_mb']:.0f} |"
    print(line, flush=True)


def print_targets(rows: dict[tuple[int, int], dict]) -> None:
    """The issue's targets for 2 replicas against 1, from rows of this run."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"

    alone, pair = rows.get((1, 1)), rows.get((2, 2))
    if alone and pair:
        share = pair["steps_min"] / alone["steps_median"]
        print(f"2 students on 2 replicas: the slower trains at {share:.2f} of one student alone (target >= "
              f"{TWO_STUDENTS_ALONE_SHARE}: {verdict(share >= TWO_STUDENTS_ALONE_SHARE)}); "
              f"redraw p95 {pair['p95']:.2f} s "
              f"(target <= {TWO_STUDENTS_P95}: {verdict(pair['p95'] <= TWO_STUDENTS_P95)})")
    for students in sorted({s for _, s in rows if s >= 4}):
        one, two = rows.get((1, students)), rows.get((2, students))
        if one and two:
            speedup = two["steps_total"] / one["steps_total"]
            print(f"{students} students: total steps/s, 2 replicas / 1 = {speedup:.2f} (target >= {TOTAL_SPEEDUP}: "
                  f"{verdict(speedup >= TOTAL_SPEEDUP)})")
    unfair = [f"{r} replica(s) x {s} students" for (r, s), row in rows.items() if not row["fair"]]
    print(f"fairness (no student below {FAIR_SHARE:.0%} of the mean): "
          + ("every row" if not unfair else "missed in " + ", ".join(unfair)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=30.0, help="measurement window per level")
    parser.add_argument("--repeats", type=int, default=1, help="runs per level; the table shows medians")
    parser.add_argument("--replicas", type=int, nargs="+", default=[],
                        help="through the class server with this many replicas (each in turn, per student count); "
                             "without it, one plain `streamlit run`")
    parser.add_argument("--leave", action="store_true",
                        help="then close the tabs: when training stops; and the memory as --classes classes come and "
                             "go (each after --session-ttl and a next visitor), and once the last one left")
    parser.add_argument("--classes", type=int, default=2, help="with --leave: classes one after another")
    parser.add_argument("--session-ttl", type=int, default=DEFAULT_SESSION_TTL,
                        help="server.disconnectedSessionTTL for the servers (s): how long a closed tab's session waits "
                             "for a reconnect")
    parser.add_argument("--heavy", action="store_true", help="two students and one heavy Step click (see above)")
    parser.add_argument("--after", type=float, default=60.0, help="--heavy: seconds watched after its tab closes")
    args = parser.parse_args()
    if args.heavy:
        heavy_main(args.seconds, args.after)
        return
    os.environ[SESSION_TTL_VARIABLE] = str(args.session_ttl)  # the servers started below inherit it
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}; served = p95 refresh < {SERVED_P95} s "
          f"and >= {SERVED_STEPS_PER_S} steps/s for every student; fair = none below {FAIR_SHARE:.0%} of the mean")
    leave_header = (" tabs closed: CPU idle after (s) | busy RSS per replica, class after class (MB) | RSS once all "
                    "left (MB) |")
    leave_columns = (leave_header, " ---: | ---: | ---: |") if args.leave else ("", "")
    print("| replicas | students | refresh p50 (s) | refresh p95 (s) | steps/s per student min / median / max | "
          "total steps/s | CPU, the proxy's included (cores) | steps per CPU second | RSS per replica idle / busy (MB) | "
          "students per replica | served | fair | load average |"
          + leave_columns[0])
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | :---: | :---: | ---: |"
          + leave_columns[1])
    ceiling = machine_ceiling() if 2 in args.replicas else None
    rows = {}
    for students in args.students:
        for replicas in args.replicas or [0]:
            classes = args.classes if args.leave else 0
            runs = [run_proxied_level(replicas, students, args.seconds, classes, args.session_ttl) if replicas
                    else run_level(students, args.seconds, classes, args.session_ttl) for _ in range(args.repeats)]
            row = {**runs[0], **{key: statistics.median(r[key] for r in runs) for key, value in runs[0].items()
                                 if isinstance(value, float)}}
            rows[(replicas, students)] = row
            print_row(row, bool(args.leave))
    if args.replicas:
        print_targets(rows)
    if ceiling is not None:
        print(f"this machine, before the rows: 2 training processes at once trained {statistics.median(ceiling):.2f} "
              f"times as much as one (rounds: {', '.join(f'{r:.2f}' for r in ceiling)}; 2.00 on two free cores): "
              "the most a second replica could add")


if __name__ == "__main__":
    main()
