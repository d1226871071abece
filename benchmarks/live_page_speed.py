"""Steps per second of the live diagnostics page against the headless trainer, in one process.

    python benchmarks/live_page_speed.py [--ticks 12] [--stats-every 10] [--budget S] [--tick S] [--inside]

The page trains inside an `st.fragment(run_every=pacing.TICK_SECONDS)`: each run redraws with
`ui.panels.diagnostics.draw` and then calls the live run's `train_for` (ui.live.LiveRun) for the paced
budget (`ui.pacing.Pace`: what is left of the tick once the charts are drawn, and at least a third of the
wall clock), in a process tuned as the server is (`ui.process_tuning`). This script does the same without a browser (Streamlit's bare mode: every element is
built, nothing is sent), waiting out the rest of each tick interval as the browser's timer would, and
alternates it with the headless `Trainer.advance_for` over as much wall time. It prints both rates and
the ratio, and the average time a tick spends training and drawing; --tick 1.0 measures the page's
"redraw every 1 s" setting, --budget fixed seconds of training per tick instead of the paced ones. One torch thread.
--inside draws the page with its views inside the network open (ui/panels/inside_model.py: the weights of every
matrix, a neuron's contexts and histogram, the clickable saturation image): bare mode keeps no widget state,
so the expanders' content is drawn as if they were open.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from makemore.data import load_data  # noqa: E402
from makemore.models import DeepMLPConfig  # noqa: E402
from makemore.presets import LECTURE_SEED  # noqa: E402
from makemore.training import TrainConfig, build_trainer  # noqa: E402
from ui import live, pacing, process_tuning  # noqa: E402
from ui.panels import diagnostics, inside_model  # noqa: E402

PREFIX = "bench"


def open_the_inside_views() -> None:
    """Draw the diagnostics page with its weights and neuron views open (see --inside)."""
    import streamlit as st
    inside_model.lazy_expander = lambda label, key, draw, *args, **kwargs: draw()
    st.session_state[inside_model.neurons_key(PREFIX)] = True  # the saturation image answers clicks


def page_round(run: live.LiveRun, ticks: int, pace: pacing.Pace, budget: float | None,
               interval: float) -> tuple[int, float, float, float]:
    """(steps, wall seconds, seconds training, seconds drawing) of `ticks` fragment runs, each drawing and then
    training, as the page's do."""
    steps, training, drawing = 0, 0.0, 0.0
    start = time.perf_counter()
    for _ in range(ticks):
        tick_start = time.perf_counter()
        diagnostics.draw(run, PREFIX)
        drawn = time.perf_counter()
        pace.note_draw(drawn - tick_start)
        pace.note_training_start(drawn)
        steps += run.train_for(budget or pace.budget(interval))
        done = time.perf_counter()
        pace.note_training_end(done)
        training, drawing = training + done - drawn, drawing + drawn - tick_start
        time.sleep(max(0.0, interval - (done - tick_start)))  # the browser's timer
    return steps, time.perf_counter() - start, training, drawing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=12, help="fragment runs per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of page and headless")
    parser.add_argument("--stats-every", type=int, default=10, help="the page's statistics cadence")
    parser.add_argument("--budget", type=float, help="fixed seconds of training per tick (default: paced)")
    parser.add_argument("--tick", type=float, default=pacing.TICK_SECONDS, help="seconds between fragment runs")
    parser.add_argument("--inside", action="store_true", help="with the weights and neuron views open")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # Streamlit's bare mode warns about the missing runtime at every element
    process_tuning.tune_process()  # one torch thread, as the server's sessions
    if args.inside:
        open_the_inside_views()
    data = load_data()
    config = TrainConfig(steps=10**9, lr_decay_at=None, stats_every=args.stats_every)
    page_trainer = build_trainer(DeepMLPConfig(), config, data, LECTURE_SEED)
    run = live.LiveRun(page_trainer, {}, "bench", "deep net", "benchmark", "shipped names", LECTURE_SEED, 0,
                       running=True)
    headless = build_trainer(DeepMLPConfig(), config, data, LECTURE_SEED)
    pace = pacing.Pace()
    page_round(run, 3, pace, args.budget, args.tick)  # warm up both (and the pace's drawing estimate)
    headless.advance_for(0.5)
    totals = {"page_steps": 0, "page_s": 0.0, "train_s": 0.0, "draw_s": 0.0, "headless_steps": 0, "headless_s": 0.0}
    for _ in range(args.rounds):
        steps, wall, training, drawing = page_round(run, args.ticks, pace, args.budget, args.tick)
        totals["page_steps"] += steps
        totals["page_s"] += wall
        totals["train_s"] += training
        totals["draw_s"] += drawing
        start = time.perf_counter()
        totals["headless_steps"] += headless.advance_for(wall)
        totals["headless_s"] += time.perf_counter() - start
    page = totals["page_steps"] / totals["page_s"]
    alone = totals["headless_steps"] / totals["headless_s"]
    ticks = args.rounds * args.ticks
    budget = (f"{args.budget} s of training" if args.budget else
              f"paced training (the tick less {pacing.SEND_SECONDS} s to send and the drawing time)")
    views = ", with the weights and neuron views open" if args.inside else ""
    print(f"deep net, statistics every {args.stats_every} steps{views}; a tick every {args.tick} s with {budget}\n")
    print("| | steps/s | ratio |\n| --- | ---: | ---: |")
    print(f"| headless trainer (advance_for) | {alone:,.0f} | 1.00 |")
    print(f"| live page (draw + tick per fragment run) | {page:,.0f} | {page / alone:.2f} |")
    print(f"\nper tick: training {totals['train_s'] / ticks:.3f} s, drawing {totals['draw_s'] / ticks:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
