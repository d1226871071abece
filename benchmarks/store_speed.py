"""What saving a run costs a live page: the save against a training tick of the same run, in one process.

    python benchmarks/store_speed.py [--rounds 7] [--warmup 3] [--input FILE] [--no-postgres]

For each preset the run trains `--warmup` seconds, then ticks (one live-page tick of training,
ui.pacing's default budget) alternate with saves, round by round, so that load from other processes hits
both alike. A save is what the page does: the run's record without evaluating the splits, its checkpoint
bytes, its update:data history as a table, and the store's write (SQLite in a temporary folder; PostgreSQL
too where Debian's binaries are installed, on a server this script starts). Columns: the median tick and
save, save / tick (how much the one tick that saves is slowed) and save / AUTOSAVE_SECONDS (the share of
the wall clock saving takes when a training run is saved every AUTOSAVE_SECONDS). The "full history" row
saves a synthetic update:data table at the trainer's capacity (2,048 rows per weight), the largest a run
ever keeps. One torch thread.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from makemore.data import load_data  # noqa: E402
from makemore.presets import PRESETS  # noqa: E402
from makemore.training import build_trainer  # noqa: E402
from tests.postgres_server import fresh_database, running_postgres, unavailable  # noqa: E402
from ui import runs  # noqa: E402
from ui.pacing import Pace  # noqa: E402
from ui.store import AUTOSAVE_SECONDS, SavedRun, Session, Store  # noqa: E402

PRESET_NAMES = ("mlp", "deep", "wavenet", "transformer")
HISTORY_ROWS = 2048  # the trainer's update_history capacity


def saved_run(trainer, preset: str, full_history: bool) -> SavedRun:
    """The run as the live page would save it while it trains."""
    rec = runs.from_trainer(trainer, f"bench-{preset}", preset, "benchmark", "names", 0, 0, evaluate=False)
    updates = rec.update_curve if not full_history else full_update_curve(trainer)
    return SavedRun(rec.run_id, rec.label, rec.page, rec.steps, runs.checkpoint_bytes(rec),
                    {"preset": preset}, {"update_curve": updates})


def full_update_curve(trainer) -> pd.DataFrame:
    names = trainer.param_names
    return pd.DataFrame({"step": np.repeat(np.arange(HISTORY_ROWS) * 10, len(names)),
                         "name": np.tile(names, HISTORY_ROWS),
                         "block": np.tile(np.arange(len(names)), HISTORY_ROWS),
                         "log10_ratio": np.random.default_rng(0).normal(-3, 0.3, HISTORY_ROWS * len(names))})


def measure(trainer, preset: str, session: Session, rounds: int, full_history: bool) -> dict:
    budget = Pace().budget()
    ticks, saves, db_parts, size, rows = [], [], [], 0, 0
    for round_ in range(rounds + 1):  # the first round warms up
        start = time.perf_counter()
        trainer.advance_for(budget)
        tick = time.perf_counter() - start
        start = time.perf_counter()
        run = saved_run(trainer, preset, full_history)
        prepared = time.perf_counter()
        session.save_run(run)
        end = time.perf_counter()
        if round_:
            ticks.append(tick)
            saves.append(end - start)
            db_parts.append(end - prepared)
            size, rows = len(run.checkpoint), len(run.frames["update_curve"])
    tick, save = statistics.median(ticks), statistics.median(saves)
    return {"tick": tick, "save": save, "db": statistics.median(db_parts), "size": size, "rows": rows}


@contextlib.contextmanager
def backends(postgres: bool) -> Iterator[list[tuple[str, Store]]]:
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        stores = [("SQLite", Store(f"sqlite:///{folder}/store.sqlite3"))]
        if postgres:
            server = stack.enter_context(running_postgres())
            stores.append(("PostgreSQL", Store(stack.enter_context(fresh_database(server)))))
        try:
            yield stores
        finally:
            for _, store in stores:
                store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="tick/save alternations per case (after one warm-up)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds each run trains before measuring")
    parser.add_argument("--input", help="word list (default: the shipped data/names.txt)")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = load_data(args.input)
    postgres = not args.no_postgres and not unavailable()
    print(f"torch {torch.__version__}, 1 thread, median of {args.rounds} alternating rounds; a tick trains "
          f"{Pace().budget():.2f} s (ui.pacing's default budget); autosave every {AUTOSAVE_SECONDS:g} s"
          f"{'' if postgres else '; PostgreSQL: ' + (unavailable() or 'not asked')}\n")
    print("| preset | store | checkpoint KB | history rows | tick ms | save ms (db part) | save / tick | "
          f"save / {AUTOSAVE_SECONDS:g} s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with backends(postgres) as stores:
        for name in PRESET_NAMES:
            preset = PRESETS[name]
            trainer = build_trainer(preset.model, preset.train, data, preset.seed)
            trainer.advance_for(args.warmup)
            for label, store in stores:
                session = store.new_session()
                for full in (False, True):
                    m = measure(trainer, name, session, args.rounds, full)
                    print(f"| {name}{' (full history)' if full else ''} | {label} | {m['size'] / 1024:,.0f} | "
                          f"{m['rows']:,} | {m['tick'] * 1000:.0f} | {m['save'] * 1000:.1f} ({m['db'] * 1000:.1f}) | "
                          f"{m['save'] / m['tick']:.1%} | {m['save'] / AUTOSAVE_SECONDS:.2%} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
