"""A Transformer preset's test loss, measured the way makemore.py reports it.

    python benchmarks/transformer_loss.py --input names.txt [--preset transformer-2022] [--steps 30000]
                                          [--every 500] [--seed 1337]

makemore.py evaluates every 500 steps and keeps the best model: its test loss is the mean of up
to 10 batch means over shuffled batches of 100 test words, and the number it reports is the best
such evaluation so far. This trains a Transformer preset (`transformer`: makemore.py's defaults
today; `transformer-2022`: June 2022's, when its README's ~1.92 was written) on makemore.py's
split for the seed (makemore.py seeds its split and its init with one seed; by default the
preset's) and prints, at each evaluation, that estimate, the best so far, and the exact
per-character loss over the whole test set, with the training minutes. The last line is one
JSON summary.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from makemore.data import Vocabulary, WordData, makemore_split, read_words  # noqa: E402
from makemore.models import fitted_to  # noqa: E402
from makemore.presets import PRESETS  # noqa: E402
from makemore.training import build_trainer  # noqa: E402

EVAL_BATCH = 100  # words per batch in makemore.py's evaluate()
EVAL_BATCHES = 10  # its max_batches


def makemore_style_loss(model, X: torch.Tensor, Y: torch.Tensor, generator: torch.Generator) -> float:
    """makemore.py's evaluate(): the mean of up to 10 batch means over a shuffled test set."""
    order = torch.randperm(X.shape[0], generator=generator)
    means = [model.mean_nll(X[rows], Y[rows])
             for rows in order.split(EVAL_BATCH)[:EVAL_BATCHES]]
    return sum(means) / len(means)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the lectures' names.txt")
    parser.add_argument("--preset", choices=["transformer", "transformer-2022"], default="transformer")
    parser.add_argument("--steps", type=int, help="default: the preset's schedule")
    parser.add_argument("--every", type=int, default=500, help="steps between evaluations (makemore.py: 500)")
    parser.add_argument("--seed", type=int, help="default: the preset's")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)

    preset = PRESETS[args.preset]
    args.steps = args.steps or preset.train.steps
    args.seed = preset.seed if args.seed is None else args.seed
    words = read_words(args.input)
    data = WordData(words, Vocabulary.from_words(words), makemore_split(words, args.seed), Path(args.input).name)
    train = replace(preset.train, steps=args.steps)
    trainer = build_trainer(fitted_to(preset.model, data), train, data, args.seed, args.device)
    X, Y = trainer.model.examples(data, "test")
    shuffler = torch.Generator().manual_seed(args.seed)
    best = (float("inf"), 0)
    print(f"{'step':>7} {'minutes':>8} {'makemore-style':>15} {'best so far':>12} {'whole test set':>15}", flush=True)
    start = time.perf_counter()
    while trainer.step < args.steps:
        trainer.advance(min(args.every, args.steps - trainer.step))
        estimate = makemore_style_loss(trainer.model, X, Y, shuffler)
        best = min(best, (estimate, trainer.step))
        exact = trainer.model.mean_nll(X, Y)
        minutes = (time.perf_counter() - start) / 60
        print(f"{trainer.step:>7} {minutes:>8.1f} {estimate:>15.4f} {best[0]:>12.4f} {exact:>15.4f}", flush=True)
    print(json.dumps({"preset": preset.name, "seed": args.seed, "steps": trainer.step,
                      "best_makemore_style": round(best[0], 4), "best_at": best[1],
                      "final_whole_test_set": round(exact, 4), "train_minutes": round(trainer.seconds / 60, 2),
                      "device": args.device}))


if __name__ == "__main__":
    main()
