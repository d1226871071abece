"""The diagnostics page's Sweep in a real server and browser against the same sweep trained headless.

    python benchmarks/sweep_page_speed.py [--rounds 3] [--threads 1]

As a teacher runs the app on a laptop: `streamlit run` and headless Chromium on this machine. The
browser opens the page, opens the Sweep panel, presses "Train sweep" with its defaults (five gains,
2,000 steps) and reads the progress line twice a second until the sweep is done. The line reports
the sweep's own speed (steps over the seconds spent training, drawing excluded); wall-clock speed is
the steps over the time from the first line that moved to the last. Headless, the same sweep (the
panel's own `build_sweep`) trains in chunks of the page's budget in this process. Rounds alternate
the two. `--threads 2` trains the page's sweeps (the server's MAKEMORE_SWEEP_THREADS) and the headless
ones on two torch threads instead of the app's one, to see what that costs.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.getLogger("streamlit.runtime.caching.cache_data_api").addFilter(  # the panel's module, imported outside
    lambda record: "No runtime found" not in record.getMessage())  # a server: its caches work in memory, as wanted

import torch  # noqa: E402

from makemore.data import load_data  # noqa: E402
from makemore.presets import LECTURE_SEED  # noqa: E402
from tests.browser import CHROMIUM, follow_sweep, headless_chromium, opened, start_sweep  # noqa: E402
from tests.streamlit_server import running_app, url_path  # noqa: E402
from ui.pacing import TICK_SECONDS  # noqa: E402
from ui.panels.sweep import DEFAULT_STEPS, WHAT_VARIES, build_sweep, parse_values  # noqa: E402
from ui.process_tuning import SWEEP_THREADS_VARIABLE, TORCH_THREADS  # noqa: E402

PAGE = url_path("pages/3_Activations_and_BatchNorm.py")


def train_in_browser(browser, url: str) -> tuple[float, float]:
    """(the sweep's reported steps/s, wall-clock steps/s) of one sweep trained on the page."""
    with opened(browser, url + PAGE) as page:
        start_sweep(page)
        seen = follow_sweep(page)
    (t0, s0, _), (t1, s1, reported) = seen[0], seen[-1]
    return float(reported), (s1 - s0) / (t1 - t0) if t1 > t0 else float("nan")


def train_headless(data, threads: int) -> float:
    """Steps/s of the panel's default sweep trained as the page trains it, in chunks of its budget."""
    sweep = build_sweep(data, LECTURE_SEED, "cpu", "gain", parse_values(WHAT_VARIES["gain"][1]), batchnorm=False,
                        steps=DEFAULT_STEPS, threads=threads)
    while not sweep.done:
        sweep.advance_for(TICK_SECONDS)
    return sweep.steps_per_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=TORCH_THREADS, help="torch threads of the sweeps")
    args = parser.parse_args()
    if not CHROMIUM.is_file():
        parser.exit(2, f"this benchmark drives Chromium at {CHROMIUM} (apt-get install chromium)\n")
    torch.set_num_threads(TORCH_THREADS)
    os.environ[SWEEP_THREADS_VARIABLE] = str(args.threads)  # the server below inherits it
    data = load_data()  # the shipped list: the page's default
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, sweeps on {args.threads} torch thread(s); the panel's "
          f"default sweep (gains {WHAT_VARIES['gain'][1]}, {DEFAULT_STEPS:,} steps)\n")
    print("| round | headless steps/s | page: training steps/s | page: wall-clock steps/s | training / headless |\n"
          "| ---: | ---: | ---: | ---: | ---: |")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "server.log") as (url, _), \
            headless_chromium() as browser:
        for round_ in range(1, args.rounds + 1):
            headless = train_headless(data, args.threads)
            reported, wall = train_in_browser(browser, url)
            ratios.append(reported / headless)
            print(f"| {round_} | {headless:,.0f} | {reported:,.0f} | {wall:,.0f} | {ratios[-1]:.2f} |", flush=True)
    print(f"\nmedian training / headless: {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
