"""The lectures' final losses, reproduced: each preset's full schedule, ours beside the lecture's."""
from __future__ import annotations

from dataclasses import dataclass, replace

from .data import WordData
from .presets import PRESETS
from .training import Trainer, build_trainer

TOLERANCE = 0.01  # how close to the lecture's final train and dev losses counts as reproduced
PRESET_NAMES = [name for name, p in PRESETS.items() if p.lecture.train is not None and p.lecture.dev is not None]


@dataclass
class Reproduction:
    preset: str
    steps: int
    lecture_train: float
    lecture_dev: float
    train: float
    dev: float
    seconds: float  # training and evaluating

    @property
    def matches(self) -> bool:
        return abs(self.train - self.lecture_train) <= TOLERANCE and abs(self.dev - self.lecture_dev) <= TOLERANCE


def trainer_for(name: str, data: WordData, steps: int | None = None, gradients: str | None = None,
                device: str = "cpu") -> Trainer:
    """The preset's trainer with its lecture seed; no diagnostics (only the final losses count).
    gradients: how to compute them (see TrainConfig.gradients; None: the preset's way)."""
    preset = PRESETS[name]
    config = replace(preset.train, stats_every=0, steps=steps or preset.train.steps,
                     gradients=gradients or preset.train.gradients)
    return build_trainer(preset.model, config, data, preset.seed, device)


def result(name: str, trainer: Trainer, seconds: float) -> Reproduction:
    lecture = PRESETS[name].lecture
    return Reproduction(name, trainer.step, lecture.train, lecture.dev, trainer.evaluate("train"),
                        trainer.evaluate("dev"), seconds)


def markdown_table(rows: list[Reproduction]) -> str:
    lines = ["| preset | steps | train: lecture / ours | dev: lecture / ours | within 0.01 | time |",
             "| --- | ---: | ---: | ---: | :---: | ---: |"]
    for r in rows:
        lines.append(f"| `{r.preset}` | {r.steps:,} | {r.lecture_train:.4f} / {r.train:.4f} | "
                     f"{r.lecture_dev:.4f} / {r.dev:.4f} | {'yes' if r.matches else 'no'} | {_duration(r.seconds)} |")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{seconds:.1f} s"
