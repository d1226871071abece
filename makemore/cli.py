"""The command line: python -m makemore presets | train | sample | diagnose | reproduce | gradcheck.

Results go to stdout (the last line of `train` and `diagnose --json` is one JSON object);
progress and errors go to stderr. Bad input exits with status 2 and a one-line message.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from . import checkpoint, reproduce
from .data import MAKEMORE_SEED, DataError, load_data
from .lessons import backprop
from .models import ConfigError, build_model, fitted_to, layers_of
from .presets import PRESETS, get_preset
from .sampling import sample_names
from .stats import diagnostics
from .training import GRADIENTS, Trainer, build_trainer

CHUNK = 500  # steps between progress updates
DIAGNOSE_STEPS = 1001  # the lecture stops its deep net after step 1000
LECTURE_NAMES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "names.txt"  # reproduce's default


MAX_SEED = 2**53 - 1  # as the app's seed boxes
MAX_STEPS = 10_000_000


class UsageError(Exception):
    """A mistake on the command line, reported in one line."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line on stderr (its own prints the usage first), status 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def whole(low: int, high: int):
    """An argparse type: a whole number from low to high."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value if abs(value) < 10**12 else 'the number'} is outside "
                                             f"{low:,} to {high:,}")
        return value
    return parse


def above_zero(high: float):
    """An argparse type: a number above 0 and at most high."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
        if not 0 < value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{text[:40]} is not above 0 and at most {high:g}")
        return value
    return parse


def device(text: str) -> str:
    """An argparse type: cpu, or cuda[:N] where that GPU exists."""
    if text == "cpu":
        return text
    name, _, index = text.partition(":")
    if name != "cuda" or index and not index.isdigit():
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a device: use cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{text} asked for, but no CUDA GPU is available here")
    if index and int(index) >= torch.cuda.device_count():
        raise argparse.ArgumentTypeError(f"{text} asked for, but this machine has {torch.cuda.device_count()} GPU(s)")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        return args.run(args)
    except (DataError, ConfigError, checkpoint.CheckpointError, UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m makemore", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=whole(1, 1024), default=1,
                        help="torch threads (1 is fastest for these small nets)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("presets", help="list the lecture presets")
    p.set_defaults(run=cmd_presets)

    p = sub.add_parser("train", help="train a preset; the last stdout line is a JSON summary")
    add_data_args(p)
    p.add_argument("--steps", type=whole(0, MAX_STEPS), help="steps to train (default: the lecture's schedule)")
    add_seed_arg(p, "generator seed (default: the lecture's)")
    p.add_argument("--lr", type=above_zero(100.0), help="base learning rate (the decay step stays)")
    p.add_argument("--batch-size", type=whole(1, 100_000), help="examples per step")
    p.add_argument("--stats-every", type=whole(0, MAX_STEPS),
                   help="diagnostics snapshot every K steps (0: none; default: 10, as in the app)")
    add_gradients_arg(p)
    p.add_argument("--out", help="directory to save the checkpoint (model.pt) and run.json in (or a .pt file's path)")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("sample", help="sample names from a checkpoint saved by train --out")
    p.add_argument("--out", required=True, help="the directory given to train --out")
    p.add_argument("-n", type=whole(0, 100_000), default=20, help="how many names")
    p.add_argument("--temperature", type=above_zero(100.0), default=1.0, help="<1 safer, >1 wilder")
    add_seed_arg(p, "sampling seed (default: the preset's)")
    p.set_defaults(run=cmd_sample)

    p = sub.add_parser("evaluate", help="a checkpoint's loss on a word list's splits (one JSON object)")
    p.add_argument("--out", required=True, help="the directory given to train --out")
    add_word_list_args(p)
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("diagnose", help="train N steps, print part 3's statistics of the last batch")
    add_data_args(p)
    p.add_argument("--steps", type=whole(1, MAX_STEPS), default=DIAGNOSE_STEPS, help="steps before the snapshot")
    add_seed_arg(p, "generator seed (default: the lecture's)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=cmd_diagnose)

    p = sub.add_parser("reproduce", help="train the lecture presets' full schedules; lecture vs ours")
    p.add_argument("--input", help=f"the lectures' names.txt (default: {LECTURE_NAMES})")
    p.add_argument("--preset", choices=reproduce.PRESET_NAMES, help="only this preset (default: all of them)")
    p.add_argument("--steps", type=whole(1, MAX_STEPS), help="stop each schedule after N steps (a quick check)")
    add_gradients_arg(p)
    add_device_arg(p)
    p.set_defaults(run=cmd_reproduce)

    p = sub.add_parser("gradcheck", help="part 4: every hand-written gradient against autograd (exit 1 if one fails)")
    add_input_arg(p)
    add_seed_arg(p, "generator seed for the init and the minibatch (default: the lecture's)")
    p.add_argument("--mistake", choices=list(backprop.MISTAKES), help="plant a typical mistake to see it caught")
    p.set_defaults(run=cmd_gradcheck)
    return parser


def add_gradients_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gradients", choices=GRADIENTS,
                   help="how each step's gradients are computed: fast (the fused engine), autograd (the lecture's "
                        "own operations) or by_hand (part 4's backward pass; its MLP only); default: the preset's")


def add_data_args(p: argparse.ArgumentParser) -> None:
    """--preset, the word list (--input, --split) and --device: what train and diagnose need."""
    p.add_argument("--preset", required=True, help=f"one of: {', '.join(PRESETS)}")
    add_word_list_args(p)
    add_device_arg(p)


def add_device_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", type=device, default="cpu", help="cpu, or cuda (cuda:N) where a GPU exists")


def add_seed_arg(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--seed", type=whole(0, MAX_SEED), help=help_text)


def add_word_list_args(p: argparse.ArgumentParser) -> None:
    add_input_arg(p)
    p.add_argument("--split", choices=["lecture", "makemore", "none"], default="lecture",
                   help="lecture: 80/10/10 after random.seed(42) shuffle; makemore: makemore.py's (1,000 test "
                        "words drawn by torch.randperm after the run's seed, 3407 for its models, the rest "
                        "train); none: train on all words")


def add_input_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", help="a UTF-8 text file, one word per line (default: data/names.txt)")


# ---------------------------------------------------------------------------------- commands
def cmd_presets(args) -> int:
    vocab_size = load_data().vocab.size
    width = max(len(name) for name in PRESETS)
    print(f"{'preset':<{width}} {'part':<11} {'params':>8}  description")
    for preset in PRESETS.values():
        params = build_model(replace(preset.model, vocab_size=vocab_size)).num_params()
        print(f"{preset.name:<{width}} {preset.part:<11} {params:>8,}  {preset.description}")
    return 0


def make_trainer(args, **train_overrides) -> tuple[Trainer, object]:
    try:
        preset = get_preset(args.preset)
    except KeyError as err:
        raise UsageError(err.args[0]) from None
    seed = args.seed if args.seed is not None else preset.seed
    data = load_data(args.input, split=args.split, seed=seed)  # makemore.py's split follows its --seed
    overrides = {k: v for k, v in train_overrides.items() if v is not None}
    model_config = fitted_to(preset.model, data)  # sequence models read the longest word + 1
    return build_trainer(model_config, replace(preset.train, **overrides), data, seed, args.device), preset


def run_with_progress(trainer: Trainer, steps: int, snapshot_last: bool = False) -> None:
    bar = ProgressBar(steps)
    while trainer.step < steps and not trainer.diverged:
        last_chunk = trainer.step + CHUNK >= steps
        trainer.advance(min(CHUNK, steps - trainer.step), snapshot_last=snapshot_last and last_chunk)
        bar.update(trainer)
    bar.close(trainer)


def out_files(out: str) -> list[Path]:
    """Where train --out writes (model.pt and run.json), its folder made: refused before any training when they
    cannot be written (a file where the folder should be, a folder where a file should be, no permission)."""
    path = Path(out)
    checkpoint_path = path if path.suffix == ".pt" else path / checkpoint.FILENAME
    files = [checkpoint_path, checkpoint_path.parent / "run.json"]
    folder = checkpoint_path.parent
    existing = next(p for p in [folder, *folder.parents] if p.exists())  # "." or "/" at the latest
    if not existing.is_dir():
        raise UsageError(f"--out {out}: {existing} is a file, not a folder")
    for file in files:
        if file.is_dir():
            raise UsageError(f"--out {out}: {file} is a folder; the run writes a file there")
        if not os.access(file if file.exists() else existing, os.W_OK):
            raise UsageError(f"--out {out}: no permission to write {file}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"--out {out}: cannot make the folder {folder} ({err.strerror})") from None
    return files


def cmd_train(args) -> int:
    files = out_files(args.out) if args.out else None  # before training: a run is not lost to a bad path
    trainer, preset = make_trainer(args, steps=args.steps, lr=args.lr, batch_size=args.batch_size,
                                   stats_every=args.stats_every, gradients=args.gradients)
    run_with_progress(trainer, trainer.config.steps)
    losses = trainer.final_losses() if not trainer.diverged else {"train_loss": None, "dev_loss": None, "test_loss": None}
    summary = {
        "preset": preset.name, "params": trainer.model.num_params(), "steps": trainer.step,
        "first_loss": trainer.first_loss, **losses,
        "seconds": round(trainer.seconds, 3), "steps_per_s": _finite(trainer.steps_per_s),
        "diverged": trainer.diverged, "diverged_at": trainer.diverged_at,
        "lr": trainer.base_lr, "batch_size": trainer.config.batch_size, "seed": args.seed if args.seed is not None else preset.seed,
        "split": args.split, "input": args.input or "data/names.txt",
    }
    if files:
        meta = {**summary, "sample_seed": preset.sample_seed}
        path = checkpoint.save(files[0], trainer.model, trainer.data.vocab, trainer.data.splits["train"], meta)
        files[1].write_text(json.dumps(summary, indent=2) + "\n")
        print(f"saved {path}", file=sys.stderr)
    print(json.dumps(_json_safe(summary)))
    return 0


def cmd_sample(args) -> int:
    ckpt = checkpoint.load(args.out)
    seed = args.seed if args.seed is not None else ckpt.meta.get("sample_seed", 2147483647 + 10)
    try:
        samples = sample_names(ckpt.model, ckpt.vocab, args.n, seed, args.temperature)
    except ValueError as err:
        raise UsageError(str(err)) from None
    for s in samples:
        print(s.name)
    return 0


def cmd_evaluate(args) -> int:
    ckpt = checkpoint.load(args.out)
    words = load_data(args.input, split=args.split, seed=ckpt.meta.get("seed", MAKEMORE_SEED))
    data = checkpoint.data_for(ckpt, words, source=args.out)
    losses = {f"{split}_loss": ckpt.model.mean_nll(*ckpt.model.examples(data, split)) for split in data.split_names}
    print(json.dumps({"input": args.input or "data/names.txt", "split": args.split, **losses}))
    return 0


def cmd_diagnose(args) -> int:
    trainer, preset = make_trainer(args, steps=args.steps, stats_every=0)
    if not layers_of(trainer.model):
        raise UsageError(f"preset {preset.name} has no layers to diagnose; try mlp-bn, deep or wavenet")
    run_with_progress(trainer, args.steps, snapshot_last=True)
    snap = trainer.snapshot
    report = {
        "preset": preset.name, "steps": trainer.step, "diverged": trainer.diverged,
        "activations": diagnostics.activation_table(snap).drop(columns=["label"]).to_dict("records"),
        "gradients": diagnostics.gradient_table(snap).drop(columns=["label"]).to_dict("records"),
        "parameters": diagnostics.parameter_table(snap)[
            ["name", "shape", "grad_std", "grad_data_ratio", "update_data_log10"]].to_dict("records"),
    }
    if args.json:
        print(json.dumps(_json_safe(report)))
    else:
        print_report(report)
    return 0


def cmd_reproduce(args) -> int:
    path = Path(args.input) if args.input else LECTURE_NAMES
    if not path.is_file():
        raise UsageError(f"reproduce needs the lectures' names.txt: none at {path}; pass --input FILE")
    data = load_data(path)
    rows = []
    for name in [args.preset] if args.preset else reproduce.PRESET_NAMES:
        print(name, file=sys.stderr)
        start = time.perf_counter()
        trainer = reproduce.trainer_for(name, data, args.steps, args.gradients, args.device)
        run_with_progress(trainer, trainer.config.steps)
        rows.append(reproduce.result(name, trainer, time.perf_counter() - start))
    print(reproduce.markdown_table(rows))
    return 0


def cmd_gradcheck(args) -> int:
    preset = PRESETS["backprop"]
    data = load_data(args.input)
    seed = args.seed if args.seed is not None else preset.seed
    table = backprop.gradcheck(*backprop.lecture_batch(preset.model, data, seed), mistake=args.mistake)
    print("\n".join(backprop.cmp_lines(table)))
    print(backprop.verdict(table))
    return 0 if table["approximate"].all() else 1


def print_report(report: dict) -> None:
    print(f"{report['preset']} after {report['steps']} steps")
    kind = max(len(row["kind"]) for row in report["activations"] + report["gradients"])
    for row in report["activations"]:
        sat = "" if math.isnan(row["saturated_pct"]) else f", saturated: {row['saturated_pct']:.2f}%"
        print(f"layer {row['layer']:2d} ({row['kind']:>{kind}}): mean {row['mean']:+.2f}, std {row['std']:.2f}{sat}")
    for row in report["gradients"]:
        print(f"layer {row['layer']:2d} ({row['kind']:>{kind}}): grad mean {row['mean']:+f}, std {row['std']:e}")
    name = max(len(row["name"]) for row in report["parameters"])
    shape = max(len(str(row["shape"])) for row in report["parameters"])
    for row in report["parameters"]:
        print(f"{row['name']:>{name}} {str(row['shape']):>{shape}} | grad std {row['grad_std']:e} | "
              f"grad:data {row['grad_data_ratio']:e} | update:data log10 {row['update_data_log10']:+.2f}")


# ---------------------------------------------------------------------------------- helpers
class ProgressBar:
    """Training progress on stderr. On a terminal, a bar redrawn in place (at most 5 times a second);
    anywhere else (a file, a pipe, a CI log) a plain line at each tenth of the schedule, because a
    bar's carriage returns would make one line of every redraw (a log of `reproduce` was one 60 KB line).
    """

    def __init__(self, total: int, width: int = 30, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.in_place = getattr(self.stream, "isatty", lambda: False)()
        self.total, self.width, self.last = max(total, 1), width, 0.0
        self.shown_tenth, self.shown_step = 0, -1  # of the last plain line

    def update(self, trainer: Trainer, force: bool = False) -> None:
        done = min(trainer.step / self.total, 1.0)
        if not self.in_place:
            tenth = int(10 * done)
            if tenth > self.shown_tenth or (force and trainer.step != self.shown_step):
                self.shown_tenth, self.shown_step = tenth, trainer.step
                print(f"step {self._status(trainer)}", file=self.stream, flush=True)
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        bar = "#" * int(done * self.width)
        print(f"\r[{bar:<{self.width}}] {self._status(trainer)}", end="", file=self.stream, flush=True)

    def _status(self, trainer: Trainer) -> str:
        row = trainer.loss_history.last()
        loss = f"{row.item():.4f}" if row is not None else "-"
        return f"{trainer.step}/{self.total} loss {loss} {trainer.steps_per_s:,.0f} steps/s"

    def close(self, trainer: Trainer) -> None:
        self.update(trainer, force=True)
        note = f"diverged at step {trainer.diverged_at}" if trainer.diverged else ""
        if self.in_place:
            print(f"  {note}" if note else "", file=self.stream)
        elif note:
            print(note, file=self.stream)


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 1)


def _json_safe(obj):
    """NaN and inf are not JSON: write them as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    return obj
