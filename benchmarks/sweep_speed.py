"""What a sweep of K copies of the deep net costs against one run of it, in one process.

    python benchmarks/sweep_speed.py [--copies 2 4 8 16] [--threads 1 2] [--rounds 5]

One run is the project's trainer on the part-3 deep net (statistics every 10 steps, as the page),
on one thread, where it is fastest; the sweep trains K copies that differ in gain (same statistics
cadence) on 1 thread, as the app trains one, and on 2 (`Sweep(threads=2)`: faster in an idle process,
slower where a browser shares the cores, see sweep_page_speed.py).
They alternate, round by round; the table gives the median time per step of each and the median
ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from makemore.data import load_data  # noqa: E402
from makemore.presets import PRESETS  # noqa: E402
from makemore.training import build_trainer  # noqa: E402
from makemore.training.sweep import Sweep  # noqa: E402

STEPS = 100  # per round, for each side


def measure(copies: int, threads: int, data, rounds: int) -> tuple[float, float, float]:
    """Median µs per step of one run and of the sweep, and the median ratio sweep / one run."""
    preset = PRESETS["deep"]
    config = replace(preset.train, stats_every=10)
    single = build_trainer(preset.model, config, data, preset.seed)
    sweep = Sweep(preset.model, config, data, preset.seed, "gain", [0.5 + 0.25 * k for k in range(copies)],
                  threads=threads)
    times: dict[str, list[float]] = {"single": [], "sweep": []}
    for round_ in range(rounds + 1):
        for side, advance in (("single", single.advance), ("sweep", sweep.advance)):
            start = time.perf_counter()
            advance(STEPS)
            if round_:
                times[side].append((time.perf_counter() - start) / STEPS * 1e6)
    ratios = [b / a for a, b in zip(times["single"], times["sweep"])]
    return statistics.median(times["single"]), statistics.median(times["sweep"]), statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[2, 4, 8, 16])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="the sweep's torch threads")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # one run's (and the sweep's unless it says otherwise)
    data = load_data()
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, median of {args.rounds} alternating rounds\n")
    print("| copies | sweep threads | one run µs/step | sweep µs/step | sweep / one run |\n"
          "| ---: | ---: | ---: | ---: | ---: |")
    for copies in args.copies:
        for threads in args.threads:
            single, sweep, ratio = measure(copies, threads, data, args.rounds)
            print(f"| {copies} | {threads} | {single:,.0f} | {sweep:,.0f} | {ratio:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
