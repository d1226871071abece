"""The diagnostics page training live in a real server and browser, timed by the browser, against the headless trainer.

    python benchmarks/live_browser_speed.py [--rounds 3] [--seconds 15] [--viewport 1280x800]

As a class sees it: `streamlit run` and headless Chromium on this machine, sharing its cores. Each round
trains the page's default deep net headless in this process for `--seconds` (no page open), then opens the
diagnostics page in a new session, presses Train and, from the first redraw on, watches for as long: the
browser notes when the status line's step changes (a redraw, by its own clock) and samples every element's
opacity (tests/browser.py). It prints, per round, the headless steps/s, the steps/s the page shows and their
ratio, the redraw intervals' median and 95th percentile, the share of samples in which any element was faded
("stale"), and what each redraw cost: CPU seconds of the server and of Chromium (all its processes) and the
page's main thread (script, style and layout) as Chromium's own metrics count them.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from makemore.data import load_data  # noqa: E402
from makemore.models import DeepMLPConfig  # noqa: E402
from makemore.presets import LECTURE_SEED  # noqa: E402
from makemore.train import TrainConfig, build_trainer  # noqa: E402
from tests.browser import (CHROMIUM, FADED, faded_shares, headless_chromium, opened, press_until,  # noqa: E402
                           start_watching, wait_for_redraw, watched, widget)
from tests.streamlit_server import running_app, url_path  # noqa: E402
from ui.controls import DEFAULTS  # noqa: E402
from ui.settings import TORCH_THREADS  # noqa: E402

PAGE = url_path("pages/3_Activations_and_BatchNorm.py")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PRIORITY = -15  # autogroup nice of --first: about 28 times the CPU share of a group at the default 0
MAIN_THREAD_METRICS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration")  # Chromium's, busy seconds


def headless_rate(data, seconds: float) -> float:
    """Steps/s of the page's default network trained alone in this process."""
    config = TrainConfig(steps=10**9, batch_size=DEFAULTS["batch_size"], lr=10 ** DEFAULTS["lr_exponent"],
                         lr_decay_at=None, stats_every=DEFAULTS["stats_every"])
    trainer = build_trainer(DeepMLPConfig(), config, data, LECTURE_SEED)
    trainer.advance_for(0.5)  # warm up
    start = time.perf_counter()
    steps = trainer.advance_for(seconds)
    return steps / (time.perf_counter() - start)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def chromium_pids() -> list[int]:
    """This process's descendants that are Chromium's (Playwright's driver starts them)."""
    parent, name = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            text = stat.read_text()
            pid = int(stat.parent.name)
            name[pid] = text[text.index("(") + 1:text.rindex(")")]
            parent[pid] = int(text.rsplit(")", 1)[1].split()[1])

    def ours(pid: int) -> bool:
        while pid in parent and pid != os.getpid():
            pid = parent[pid]
        return pid == os.getpid()

    return [pid for pid in name if "chrom" in name[pid] and ours(pid)]


@contextlib.contextmanager
def first_in_line(pids: list[int]) -> Iterator[None]:
    """Raise the scheduling priority of these processes' autogroups (Chromium starts its own session, so its
    own group) above everything else on the machine, and restore them on exit (the group outlives this
    process when a shell started it)."""
    groups = {pid: Path(f"/proc/{pid}/autogroup") for pid in pids}
    before = {pid: int(group.read_text().split("nice")[1]) for pid, group in groups.items()}
    try:
        for group in groups.values():
            group.write_text(str(PRIORITY))
        yield
    finally:
        for pid, group in groups.items():
            with contextlib.suppress(OSError):
                group.write_text(str(before[pid]))


def page_round(browser, url: str, seconds: float, server_pid: int, viewport: dict) -> dict:
    """Train on the page for `seconds` from its first redraw: what the browser saw and what it cost."""
    with opened(browser, url + PAGE, viewport) as page:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        press_until(page, "diag_train", widget(page, "diag_pause"))
        wait_for_redraw(page)
        chromium = chromium_pids()
        before = (cpu_seconds([server_pid]), cpu_seconds(chromium), metrics(cdp))
        start_watching(page)
        time.sleep(seconds)
        seen = watched(page)
        after = (cpu_seconds([server_pid]), cpu_seconds(chromium), metrics(cdp))
        press_until(page, "diag_pause", widget(page, "diag_train"))
    times = [t / 1000 for t, _ in seen["redraws"]]
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    redraws = max(len(gaps), 1)
    steps = seen["redraws"][-1][1] - seen["redraws"][0][1] if seen["redraws"] else 0
    faded = sum(any(opacity < FADED for opacity, _ in row["elements"].values()) for row in seen["samples"])
    worst = max(faded_shares(seen["samples"]).items(), key=lambda item: item[1][0], default=("–", (0.0, 0.0)))
    return {"rate": steps / (times[-1] - times[0]) if len(times) > 1 else float("nan"),
            "p50": percentile(gaps, 0.5), "p95": percentile(gaps, 0.95),
            "faded": faded / max(len(seen["samples"]), 1), "worst": worst,
            "server_cpu": (after[0] - before[0]) / redraws, "chromium_cpu": (after[1] - before[1]) / redraws,
            **{name: (after[2][name] - before[2][name]) / redraws for name in MAIN_THREAD_METRICS}}


def measured_round(browser, url: str, server_pid: int, data, seconds: float, viewport: dict, number: int) -> dict:
    """One round, headless then on the page, printed as a table row."""
    alone = headless_rate(data, seconds)
    row = page_round(browser, url, seconds, server_pid, viewport)
    row["ratio"] = row["rate"] / alone
    main_thread = sum(row[name] for name in MAIN_THREAD_METRICS)
    print(f"| {number} | {alone:,.0f} | {row['rate']:,.0f} | {row['ratio']:.2f} | {row['p50']:.2f} | "
          f"{row['p95']:.2f} | {row['faded']:.0%} | {row['server_cpu']:.2f} | {row['chromium_cpu']:.2f} | "
          f"{main_thread:.2f} |", flush=True)
    return row


def metrics(cdp) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1] if len(values) > 1 \
        else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0, help="of training per round, headless and on the page")
    parser.add_argument("--viewport", default="1280x800", help="the browser window (a laptop's, by default)")
    parser.add_argument("--first", action="store_true",
                        help="give this benchmark's processes (server, Chromium) priority over the machine's other "
                             "work, as on a laptop that runs only the app and its browser (Linux autogroups; root)")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        parser.exit(2, f"this benchmark drives Chromium at {CHROMIUM} (apt-get install chromium)\n")
    width, height = (int(n) for n in args.viewport.split("x"))
    torch.set_num_threads(TORCH_THREADS)
    data = load_data()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; the "
          f"diagnostics page's defaults (redraw every {DEFAULTS['redraw']} s), a {width}x{height} window, "
          f"{args.seconds:.0f} s a round{' (first in line)' if args.first else ''}\n")
    print("| round | headless steps/s | page steps/s | page / headless | redraw p50 s | redraw p95 s "
          "| samples with a faded element | server CPU s / redraw | Chromium CPU s / redraw "
          "| page script + style + layout s / redraw |\n"
          "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "server.log") as (url, server), \
            headless_chromium() as browser:
        priority = first_in_line([os.getpid(), *chromium_pids()]) if args.first else contextlib.nullcontext()
        with priority:
            rows = [measured_round(browser, url, server.pid, data, args.seconds, {"width": width, "height": height},
                                   round_) for round_ in range(1, args.rounds + 1)]
    print(f"\nmedian: page / headless {statistics.median(r['ratio'] for r in rows):.2f}, redraw p50 "
          f"{statistics.median(r['p50'] for r in rows):.2f} s, p95 {statistics.median(r['p95'] for r in rows):.2f} s; "
          f"load average now {os.getloadavg()[0]:.1f}")
    name, (faded, _) = max((row["worst"] for row in rows), key=lambda worst: worst[1][0])
    print(f"most often faded: {name} ({faded:.0%} of samples)" if faded else "no element was ever faded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
