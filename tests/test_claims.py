"""Every number the app states in words, checked (issue 16).

A number in a walk-through stop, a preset note or a caption is either formatted from the run or the setting it
describes (an f-string field: nothing to check here), or written into the text. Each written one is listed
below: a measured figure or a setting with the computation that checks it (on the lectures' names.txt where it
is that file's, skipped with the reason where the file is absent), a name or a definition (part 2, exercise 3,
log 0 = -∞) with what it names. `test_every_written_number_is_listed` reads the sources: a number written into
such a text and listed nowhere fails it, so a sentence cannot drift from the number it states unseen.
"""
from __future__ import annotations

import ast
import inspect
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch

from makemore import layers
from makemore.charts import core as chart_core
from makemore.charts import training as training_charts
from makemore.data import LECTURE_SPLIT_SEED, build_windows, lecture_split
from makemore.lessons import bigram, mlp
from makemore.models import TransformerConfig, build_model, fitted_to
from makemore.presets import LECTURE_SEED, PRESETS
from makemore.stats import weights
from makemore.training import TrainConfig, build_trainer
from makemore.training.trainer import make_stepper
from tests.apptest_helpers import open_page
from tests.conftest import ROOT
from ui.panels import deep_net_controls as controls
from ui.runnable import Buttons
from ui.tours import mlp_tour

# the texts whose numbers this module owns: walk-through stops, preset notes, captions
SOURCES = ["ui/tours.py", "makemore/presets.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.py")),
           *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]
TEXT_CALLS = ("caption", "write", "markdown", "info", "success", "warning", "error")  # st.* that write prose
NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?:e-?\d+)?")


# ------------------------------------------------------------------------------ reading the sources
@dataclass(frozen=True)
class Written:
    """A number written into a text (not formatted into it): where, and the literal text around it."""
    file: str
    line: int
    text: str
    start: int
    end: int

    def __str__(self) -> str:
        around = self.text[max(0, self.start - 40):self.end + 25]
        return f"{self.file}:{self.line}: {self.text[self.start:self.end]!r} in …{around!r}"


def _literals(node):
    """The literal pieces of a string expression (an f-string's fields are formatted values: left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield from (v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, (ast.BinOp, ast.IfExp, ast.BoolOp)):
        for child in ast.iter_child_nodes(node):
            yield from _literals(child)


def _texts(tree):
    """(line, literal piece) of every walk-through stop, preset note, caption and paragraph of a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("Stop", *TEXT_CALLS):
                for arg in node.args[:2] if name == "Stop" else node.args[:1]:
                    yield from ((node.lineno, s) for s in _literals(arg))
            for keyword in node.keywords:
                if keyword.arg == "note":
                    yield from ((node.lineno, s) for s in _literals(keyword.value))
        elif isinstance(node, ast.Dict):  # the diagnostics page's one-click setups: {"note": ...}
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "note":
                    yield from ((node.lineno, s) for s in _literals(value))


def written_numbers() -> list[Written]:
    found = []
    for file in dict.fromkeys(SOURCES):
        for line, text in _texts(ast.parse((ROOT / file).read_text())):
            found += [Written(file, line, text, m.start(), m.end()) for m in NUMBER.finditer(text)]
    return found


# ------------------------------------------------------------------------------ the claims
@dataclass(frozen=True)
class Claim:
    """`phrase`, written in `file` ("*": any of the sources), states numbers that `check` verifies; `needs`
    names the fixture the check takes (lecture_data: the lectures' names.txt)."""
    file: str
    phrase: str
    check: Callable
    needs: str | None = None

    def covers(self, w: Written) -> bool:
        if self.file not in ("*", w.file):
            return False
        for match in re.finditer(re.escape(self.phrase), w.text):
            if match.start() <= w.start and w.end <= match.end():
                return True
        return False


def setup(name: str) -> dict:
    return controls.QUICK_SETUPS[name]


def lecture_bigram_nll(data) -> tuple[float, float, int]:
    """The lecture's loop: P = (N + 1) over every word, the float32 running sum of log P, and the exact mean."""
    P = (bigram.count_table(data.words, data.vocab, 1) + PRESETS["bigram"].model.smoothing).float()
    P /= P.sum(1, keepdim=True)
    X, Y = build_windows(data.words, data.vocab, 1)
    logs = P[X[:, 0], Y].log()
    running = np.add.accumulate(logs.numpy())[-1]  # one float32 sum, term by term, as the lecture's loop did
    return -float(running) / len(Y), -logs.double().mean().item(), len(Y)


def check_bigram_nll(data) -> None:
    running, exact, n = lecture_bigram_nll(data)
    assert (round(running, 4), round(exact, 5), n) == (2.4544, 2.45458, 228_146)


TRAINED = {}  # the neural bigram's losses per word list: two texts state the same run's


def check_neural_bigram(data) -> None:
    if id(data) not in TRAINED:
        preset = PRESETS["bigram-nn"]
        trainer = build_trainer(preset.model, preset.train, data, preset.seed)
        trainer.advance(preset.train.steps)
        X, Y = data.windows("train", 1)
        with torch.no_grad():
            nll = trainer.model.mean_nll(X, Y)
            penalty = preset.model.regularization * (trainer.model.W ** 2).mean().item()
            TRAINED[id(data)] = (torch.nn.functional.cross_entropy(trainer.model.logits(X), Y).item() + penalty, nll)
    loss, nll = TRAINED[id(data)]
    assert (round(loss, 2), round(nll, 2)) == (2.48, 2.46)  # the chart's loss (with its penalty), the table's NLL


def check_lr_valley(data) -> None:
    found = mlp.suggest(mlp.lr_sweep(PRESETS["mlp"].model, data, LECTURE_SEED))
    assert round(found.low, 1) == 0.1


def model_of(name: str):
    """The network a one-click setup of the diagnostics page builds, on 27 characters."""
    return build_model(replace(controls.setup_controls(name).model_config(), vocab_size=27))


def check_deep_net(_=None) -> None:
    """The setup is the `deep` preset, whose step-1,000 statistics test_lecture_numbers checks against the
    lecture's printout."""
    deep = controls.setup_controls(controls.DEEP)
    assert replace(deep.model_config(), vocab_size=27) == replace(PRESETS["deep"].model, vocab_size=27)
    assert (deep.depth, deep.width, deep.output_scale) == (5, 100, 0.1)


def check_split(_=None) -> None:
    words = [f"w{i}" for i in range(100)]
    split = lecture_split(words, LECTURE_SPLIT_SEED)
    assert LECTURE_SPLIT_SEED == 42 and [len(split[s]) for s in ("train", "dev", "test")] == [80, 10, 10]


def check_adamw_betas(data) -> None:
    model = build_model(replace(fitted_to(TransformerConfig(), data), vocab_size=data.vocab.size))
    assert make_stepper(model, TrainConfig(optimizer="adamw")).optimizer.param_groups[0]["betas"] == (0.9, 0.99)


def check_block_size(data) -> None:
    assert fitted_to(TransformerConfig(), data).block_size == max(len(w) for w in data.words) + 1


def tanh_marks(threshold_kind: str, below: float, above: float) -> None:
    t = layers.Tanh()
    marks = getattr(t, threshold_kind)(torch.tensor([below, above, -above]))
    assert marks.tolist() == [False, True, True]


def in_gains(*gains) -> Callable:
    return lambda _=None: all(any(abs(g - x) < 1e-9 for x in controls.GAINS) for g in gains) or pytest.fail(gains)


def is_true(condition: Callable[[], bool]) -> Callable:
    def check(_=None):
        assert condition()
    return check


def mlp_options(key: str) -> list:
    return [int(o.replace(",", "")) for o in open_page("pages/2_MLP.py").select_slider(key=f"mlp_{key}__w").options]


def lr_exponent_slider():
    return open_page("pages/3_Activations_and_BatchNorm.py").slider(key="diag_lr_exponent__w")


KAIMING = is_true(lambda: setup(controls.KAIMING)["gain"] == controls.KAIMING_TANH == 5 / 3
                  and abs(torch.nn.init.calculate_gain("tanh") - 5 / 3) < 1e-9)
OUTPUT_FIX = is_true(lambda: (setup(controls.OUTPUT_FIXED)["output_scale"], setup(controls.OUTPUT_FIXED)["b2_scale"])
                     == (0.01, 0.0))
TANH_FIX = is_true(lambda: (setup(controls.TANH_FIXED)["gain"], setup(controls.TANH_FIXED)["b1_scale"],
                            setup(controls.TANH_FIXED)["scale_by_fan_in"]) == (0.2, 0.01, False))
STEP_BUTTONS = is_true(lambda: {1, 1000} <= set(Buttons().steps))
UNIFORM_27 = is_true(lambda: f"{math.log(27):.2f}" == "3.30")
LECTURE_VOCAB = (lambda data: data.vocab.size == 27 or pytest.fail(data.vocab.size))
HEALTHY_PACE = is_true(lambda: inspect.signature(training_charts.healthy_pace_guide).parameters["guide"].default
                       == inspect.signature(training_charts.update_ratio_chart).parameters["guide"].default == -3.0)

CLAIMS = [
    # measured on the lectures' names.txt
    Claim("ui/tours.py", "all words as the lecture did, 2.4544", check_bigram_nll, "lecture_data"),
    Claim("ui/panels/bigram.py", "2.4544 on the lecture's names.txt at smoothing 1", check_bigram_nll,
          "lecture_data"),
    Claim("ui/panels/bigram.py", "(2.45458 on names.txt)", check_bigram_nll, "lecture_data"),
    Claim("makemore/presets.py", "NLL over all 228,146 bigrams", check_bigram_nll, "lecture_data"),
    Claim("ui/tours.py", "ln 27 ≈ 3.30", lambda data: LECTURE_VOCAB(data) or UNIFORM_27(), "lecture_data"),
    Claim("ui/tours.py", "flattens near 2.48 and its NLL (the table) near 2.46", check_neural_bigram, "lecture_data"),
    Claim("makemore/presets.py", "converges to about 2.48 and its NLL to about 2.46", check_neural_bigram,
          "lecture_data"),
    Claim("ui/tours.py", "left edge (about 0.1 on names.txt)", check_lr_valley, "lecture_data"),
    Claim("ui/panels/wavenet.py", "its scaled-up net on 27 characters", LECTURE_VOCAB, "lecture_data"),
    Claim("ui/panels/deep_net_controls.py", "5 x [Linear 100, BatchNorm1d, Tanh], last BatchNorm gamma * 0.1",
          check_deep_net),
    Claim("ui/panels/deep_net_controls.py", "step 1000's statistics", check_deep_net),
    Claim("makemore/presets.py", "a test loss of about 1.92", lambda _=None: pytest.skip(
        "quoted from karpathy/makemore's README (its June 2022 transformer): reproducing it takes hours of "
        "training")),
    Claim("makemore/presets.py", "June 2022's settings (transformer-2022)", lambda _=None: None),  # a date, a name
    # the part-3 stops' settings
    Claim("ui/tours.py", "W2 × 0.01, b2 × 0", OUTPUT_FIX),
    Claim("ui/panels/deep_net_controls.py", "W2 * 0.01 and b2 * 0", OUTPUT_FIX),
    Claim("ui/tours.py", "W1 × 0.2, b1 × 0.01", TANH_FIX),
    Claim("ui/panels/deep_net_controls.py", "W1 * 0.2, b1 * 0.01", TANH_FIX),
    Claim("ui/tours.py", "0.2 was found by trying", TANH_FIX),
    Claim("ui/tours.py", "more than 0.2", is_true(lambda: 5 / 3 / math.sqrt(controls.BLOCK_SIZE * controls.N_EMBD)
                                                  > setup(controls.TANH_FIXED)["gain"])),
    Claim("ui/panels/deep_net_controls.py", "hand-picked 0.2", TANH_FIX),
    Claim("*", "5/3", KAIMING),
    Claim("ui/tours.py", "to 0.5 or 3", in_gains(0.5, 3.0)),
    Claim("ui/tours.py", "try gain 1 (the activations shrink layer by layer) or 3", in_gains(1.0, 3.0)),
    Claim("ui/tours.py", "five tanh layers of 100", check_deep_net),
    Claim("ui/panels/deep_net_controls.py", "momentum 0.001", is_true(
        lambda: model_of(controls.BATCHNORM).layers[1].momentum == 0.001)),
    Claim("ui/tours.py", "learning rate to 10^-2", is_true(lambda: (s := lr_exponent_slider()).min <= -2 <= s.max)),
    # buttons and settings the texts name
    Claim("*", "Step 1,000**", STEP_BUTTONS),
    Claim("*", "Step 1**", STEP_BUTTONS),
    Claim("*", "Step 1 ", STEP_BUTTONS),
    Claim("*", "Step 1 again", STEP_BUTTONS),
    Claim("ui/tours.py", "step 1,000's batch", STEP_BUTTONS),
    Claim("ui/tours.py", "**Run the finder**: 1,000 steps", is_true(lambda: mlp.SWEEP_STEPS == 1000)),
    Claim("ui/tours.py", "rising from 10⁻³ to 1", is_true(
        lambda: [inspect.signature(mlp.lr_sweep).parameters[p].default for p in ("low", "high")] == [-3.0, 0.0])),
    Claim("pages/2_MLP.py", "from 10⁻³ to 10⁰", is_true(
        lambda: [inspect.signature(mlp.lr_sweep).parameters[p].default for p in ("low", "high")] == [-3.0, 0.0])),
    Claim("ui/panels/mlp.py", "cannot train even at lr 0.001", is_true(
        lambda: 10 ** inspect.signature(mlp.lr_sweep).parameters["low"].default == 0.001)),  # the sweep's first lr
    Claim("ui/live.py", "try lr = 10^-1", is_true(lambda: controls.LECTURE_TRAINING["lr_exponent"] == -1.0)),
    Claim("pages/1_Bigram.py", "a 27 x 27 matrix for names", lambda data: data.vocab.size == 27 or pytest.fail(),
          "default_data"),
    Claim("ui/tours.py", "Batch size 1 makes every step noisy; 512", is_true(
        lambda: {1, 512} <= set(mlp_options("batch_size")))),
    Claim("ui/tours.py", "Hidden size 500", is_true(lambda: mlp_tour()[-1].settings["mlp_n_hidden"] == 500)),
    Claim("ui/panels/mlp.py", "Set the embedding size to 2", is_true(lambda: 2 in mlp_options("n_embd"))),
    Claim("ui/panels/diagnostics.py", "the middle 80% of those steps' losses", is_true(
        lambda: "quantile([0.1, 0.9])" in inspect.getsource(chart_core.window_means))),
    Claim("*", "(|t| > 0.97)", lambda _=None: tanh_marks("saturated", 0.969, 0.971)),
    Claim("ui/panels/diagnostics.py", "|h| > 0.99", lambda _=None: tanh_marks("dead", 0.989, 0.991)),
    Claim("*", "About -3 (dashed)", HEALTHY_PACE),
    Claim("*", "about -3 (dashed)", HEALTHY_PACE),
    Claim("ui/panels/models.py", "the longest word of this list + 1", check_block_size, "default_data"),
    Claim("ui/panels/models.py", "AdamW betas (0.9, 0.99)", check_adamw_betas, "default_data"),
    Claim("pages/0_Data.py", "shuffled with seed 42, then 80 % / 10 % / 10 %", check_split),
    Claim("ui/panels/inside_model.py", "a thousandth of the scale (update:data 1e-3", is_true(  # a quarter colour
        lambda: weights.update_shade(np.array([1e-3, -1e-2]), 1.0).tolist() == pytest.approx([0.25, -0.5]))),
]

# names and definitions: what each names, nothing to measure
REFERENCES = {
    "Part 2's": "the lecture", "Lecture 3 made live": "", "exercise 1's network": "", "exercise 4's": "",
    "UTF-8": "an encoding", "part 2's": "the lecture", "part 3 ended": "the lecture", "lecture 3 fixes": "",
    "part 1 adds": "", "Exercise 3's": "the lecture's exercise", "(exercise 1)": "", "torch 2's": "torch's version",
    "torch 2.0 changed": "", "n-1 in the forward pass": "Bessel's correction", "With 3-D input": "a tensor's rank",
    "num_samples=1": "the lecture's code", "sum(1)": "the lecture's code",
    "`lossi.view(-1, ": "the lecture's code", ".mean(1)`": "the lecture's code",
    "probability 0, and log 0 = -∞": "log's definition", "P = 0 with smoothing 0": "", "smoothing 0 (now ": "",
    "log 0 = -∞": "", "smoothing 0 its probability is 0": "", "Grey cells (0)": "a count", "at step 0": "",
    "At step 0": "", "start near 0": "", "b2 * 0:": "the output fix (checked above)", "towards 0": "",
    "Not 0:": "", "at most 1,": "a probability", "probability 1.": "", "sum to 1": "", "near 1/": "uniform",
    "-ln(1/vocab)": "uniform", "(-1, 1)": "tanh's range", "at ±1": "", "mean 0, std 1": "BatchNorm's output",
    "wider than 1": "", "with 1/√fan_in keeps it near 1": "Kaiming's rule", "at std 1": "LayerNorm's output",
}
REFERENCE_CLAIMS = [Claim("*", phrase, lambda _=None: None) for phrase in REFERENCES]


def test_every_written_number_is_listed():
    claims = CLAIMS + REFERENCE_CLAIMS
    unlisted = [str(w) for w in written_numbers() if not any(c.covers(w) for c in claims)]
    assert not unlisted, "numbers written into texts, listed nowhere here:\n" + "\n".join(unlisted)


def test_every_listed_phrase_is_still_written():
    texts = {file: [t for _, t in _texts(ast.parse((ROOT / file).read_text()))] for file in dict.fromkeys(SOURCES)}
    stale = [c.phrase for c in CLAIMS + REFERENCE_CLAIMS
             if not any(c.phrase in t for file, ts in texts.items() if c.file in ("*", file) for t in ts)]
    assert not stale, f"listed here, written nowhere any more: {stale}"


SLOW = {check_neural_bigram}  # seconds of training


@pytest.mark.parametrize("claim", [pytest.param(c, marks=pytest.mark.slow) if c.check in SLOW else c for c in CLAIMS],
                         ids=lambda c: f"{Path(c.file).name}: {c.phrase[:40]}")
def test_claim(claim, request):
    claim.check(request.getfixturevalue(claim.needs)) if claim.needs else claim.check()


def test_a_new_written_number_is_caught():
    """The scan finds a number written into a caption, and leaves a formatted one alone."""
    tree = ast.parse('st.caption(f"about {x:.2f} or 2.71 here")\nStop("t", "0.5")')
    found = [(line, text) for line, text in _texts(tree)]
    assert [NUMBER.findall(t) for _, t in found] == [[], ["2.71"], [], ["0.5"]]
