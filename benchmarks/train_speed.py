"""Steps per second: the lectures' notebook loops against the project's trainer, in one process.

    python benchmarks/train_speed.py [--rounds 5] [--input FILE] [--gradients autograd]

For each case both train the same preset on the same data from the same seed. They alternate,
round by round, so that load from other processes on the machine hits both alike; the table
gives each one's median steps/s and the median of the rounds' ratios trainer / notebook.
One torch thread.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from benchmarks.notebook_loops import NotebookDeep, NotebookMLP, NotebookWaveNet  # noqa: E402
from makemore.data import load_data  # noqa: E402
from makemore.presets import PRESETS  # noqa: E402
from makemore.training import GRADIENTS, build_trainer  # noqa: E402


@dataclass(frozen=True)
class Case:
    label: str
    preset: str
    stats_every: int  # the trainer's statistics cadence (the page's default is 10)
    notebook: Callable  # (X, Y) -> a NotebookLoop
    steps: int  # steps per round, for each side
    target: float  # the ratio the issue asks for


CASES = [
    Case("mlp (stats every 10)", "mlp", 10, NotebookMLP, 1000, 1.7),
    Case("deep, stats every 10 vs notebook + diagnostics", "deep", 10,
         lambda X, Y: NotebookDeep(X, Y, diagnostics=True), 200, 4.0),
    Case("deep, stats every step vs notebook + diagnostics", "deep", 1,
         lambda X, Y: NotebookDeep(X, Y, diagnostics=True), 200, 2.0),
    Case("deep, no stats vs notebook without diagnostics", "deep", 0,
         lambda X, Y: NotebookDeep(X, Y, diagnostics=False), 200, 0.0),
    Case("wavenet (stats every 10)", "wavenet", 10, NotebookWaveNet, 200, 2.0),
]


def measure(case: Case, data, rounds: int, gradients: str) -> tuple[float, float, float]:
    """Median notebook steps/s, trainer steps/s and per-round ratio, alternating `rounds` times
    after one warm-up round (medians shrug off bursts of load from other processes)."""
    preset = PRESETS[case.preset]
    trainer = build_trainer(preset.model, replace(preset.train, stats_every=case.stats_every, gradients=gradients),
                            data, preset.seed)
    loop = case.notebook(trainer.X, trainer.Y)
    rates: dict[str, list[float]] = {"notebook": [], "trainer": []}
    for round_ in range(rounds + 1):
        for side, run in (("notebook", loop.run), ("trainer", trainer.advance)):
            start = time.perf_counter()
            run(case.steps)
            if round_:
                rates[side].append(case.steps / (time.perf_counter() - start))
    ratios = [t / n for t, n in zip(rates["trainer"], rates["notebook"])]
    return statistics.median(rates["notebook"]), statistics.median(rates["trainer"]), statistics.median(ratios)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternations per case (after one warm-up)")
    parser.add_argument("--input", help="word list (default: the shipped data/names.txt)")
    parser.add_argument("--gradients", choices=GRADIENTS, default="fast",
                        help="the trainer's way to compute gradients (autograd: the lecture's own operations)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = load_data(args.input)
    print(f"torch {torch.__version__}, 1 thread, median of {args.rounds} alternating rounds per case"
          f"{'' if args.gradients == 'fast' else f', gradients {args.gradients}'}\n")
    print("| case | notebook steps/s | trainer steps/s | ratio | target |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for case in CASES:
        notebook, trainer, ratio = measure(case, data, args.rounds, args.gradients)
        target = f">= {case.target:g}x" if case.target else "-"
        print(f"| {case.label} | {notebook:,.0f} | {trainer:,.0f} | {ratio:.2f}x | {target} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
