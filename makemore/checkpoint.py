"""Checkpoints: the model's config as a dict plus its state_dict, the vocabulary and the words.

Saved with torch.save and loaded with `torch.load(..., weights_only=True)`, so a checkpoint
can hold tensors and plain values but never code: a file with a pickled payload is refused.
"""
from __future__ import annotations

import io
import math
import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

from . import validation
from .data import MAX_VOCAB, Vocabulary, WordData
from .models import FAMILIES, LanguageModel, build_model, config_to_dict
from .training.trainer import train_config_from_dict

FORMAT = "makemore-explorer/1"
FILENAME = "model.pt"
ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive
# Numbers (weights and buffers) a checkpoint's model may hold: 2.5 times the largest network the app's
# controls build (the deep net at depth 8, width 500: about 1.8 million), 20 MB of float32.
MAX_MODEL_VALUES = 5_000_000
# Their storage: the fast engine keeps every weight in one flat buffer beside its gradients, and checkpoints
# written by earlier versions saved that whole buffer.
MAX_STORAGE_BYTES = 2 * 4 * MAX_MODEL_VALUES
MAX_WORDS_CHARS = 50_000_000  # the training words kept in a checkpoint (word lists are at most 5 MB)
# keys the config no longer has, dropped: part 4's `manual_backward`, a training choice older versions kept in
# the model's config (now TrainConfig.gradients; a checkpoint holds no training)
LEGACY_MODEL_FIELDS = frozenset({"manual_backward"})


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint, with a message meant for people."""


@dataclass
class Checkpoint:
    model: LanguageModel
    vocab: Vocabulary
    words: list[str]  # the training words, to tell new samples from copies
    meta: dict = field(default_factory=dict)  # preset, seed, sample_seed, steps, losses ...


def to_bytes(model: LanguageModel, vocab: Vocabulary, words: list[str], meta: dict | None = None) -> bytes:
    """The checkpoint as bytes (for a download button or a file)."""
    payload = {
        "format": FORMAT,
        "config": config_to_dict(model.config),
        # cloned: a parameter of the fast engine is a view of one buffer that also holds the gradients
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "vocab": vocab.to_dict(),
        "words": "\n".join(words),
        "meta": dict(meta or {}),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def save(path: str | Path, model: LanguageModel, vocab: Vocabulary, words: list[str],
         meta: dict | None = None) -> Path:
    """Write the checkpoint; a directory gets `model.pt` inside it."""
    path = Path(path)
    if path.suffix != ".pt":
        path.mkdir(parents=True, exist_ok=True)
        path = path / FILENAME
    path.write_bytes(to_bytes(model, vocab, words, meta))
    return path


def from_bytes(raw: bytes, source: str = "the file") -> Checkpoint:
    """Rebuild the model from a checkpoint's bytes; refuse anything else with a clear message.

    Everything is checked before anything is built: the file's kind, every field's type (see
    makemore/validation.py), the model's size (counted without allocating it) and every tensor's
    name, shape, dtype and storage against the model its config describes.
    """
    if not raw.startswith(ZIP_MAGIC):
        raise CheckpointError(f"{source} is not a checkpoint: a makemore explorer checkpoint is a torch file "
                              "(a .pt saved by this app or by `python -m makemore train --out`).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about foreign pickle protocols; we refuse them below
            payload = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(f"{source} was refused: it holds more than tensors and plain values (for example "
                              "pickled code), and checkpoints are loaded without running any.") from None
    except Exception:
        raise CheckpointError(f"{source} is not a checkpoint (torch could not read it).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{source} is a torch file but not a makemore explorer checkpoint.")
    try:
        return _checked(payload)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        detail = " ".join(str(err).split())[:300]  # one line: load_state_dict lists its mismatches on many
        missing = f"it has no {err}" if isinstance(err, KeyError) else detail
        raise CheckpointError(f"{source} cannot be loaded: {missing}.") from None


def _checked(payload: dict) -> Checkpoint:
    """The checkpoint in `payload`, each part checked (raises ValueError/TypeError/KeyError/RuntimeError)."""
    config = model_config_from_dict(payload["config"])
    vocab = _vocabulary(payload["vocab"])
    if config.vocab_size != vocab.size:
        raise ValueError(f"its model expects {config.vocab_size} tokens but its vocabulary has {vocab.size}")
    state = payload["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError("its weights must be a table of tensors")
    model = _build_within(config, MAX_MODEL_VALUES)
    _check_state(state, model.state_dict())
    _load_state(model, state)
    if not all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point()):
        raise ValueError("it holds NaN or infinite weights (a run that diverged): there is nothing to sample or "
                         "evaluate; save a healthy run")
    words = validation.text(payload.get("words", ""), "its word list", MAX_WORDS_CHARS)
    meta = validation.run_meta(payload.get("meta", {}))
    if "train_config" in payload.get("meta", {}):
        meta["train_config"] = train_config_from_dict(payload["meta"]["train_config"])
    return Checkpoint(model, vocab, words.split("\n") if words else [], meta)


def model_config_from_dict(data) -> object:
    """The model config a checkpoint describes, every field checked, its size bounded (MAX_MODEL_VALUES)."""
    if not isinstance(data, dict) or data.get("family") not in FAMILIES:
        family = data.get("family") if isinstance(data, dict) else data
        raise ValueError(f"its model family must be one of {', '.join(FAMILIES)}, not {validation.shown(family)}")
    config_cls, _ = FAMILIES[data["family"]]
    fields = {k: v for k, v in data.items() if k != "family"}
    return validation.dataclass_from_plain(config_cls, fields, "its model settings", LEGACY_MODEL_FIELDS)


def _vocabulary(data) -> Vocabulary:
    if not isinstance(data, dict) or not isinstance(data.get("chars"), list) or not isinstance(data.get("boundary"), str):
        raise ValueError("its vocabulary must list its characters and its boundary token")
    chars = data["chars"]
    if len(chars) > MAX_VOCAB or not all(isinstance(c, str) and len(c) == 1 for c in chars):
        raise ValueError(f"its vocabulary must be at most {MAX_VOCAB:,} single characters")
    return Vocabulary(tuple(chars), data["boundary"])


def _build_within(config, limit: int) -> LanguageModel:
    """The config's model, refused before it allocates more than `limit` numbers in all."""
    with _AllocationBudget(limit):
        return build_model(config)


class _AllocationBudget(TorchFunctionMode):
    """Counts the numbers every tensor factory (randn, zeros, empty, ...) is asked for and raises before
    the one that would pass the budget: a config that asks for a huge model never gets its memory."""

    FACTORIES = {torch.randn, torch.rand, torch.zeros, torch.ones, torch.empty, torch.full}

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit, self.asked = limit, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in self.FACTORIES:
            sizes = args[0] if args and isinstance(args[0], (tuple, list, torch.Size)) else \
                [a for a in args if isinstance(a, int)]
            self.asked += math.prod(int(n) for n in sizes)
            if self.asked > self.limit:
                raise ValueError(f"its model would hold more than {self.limit:,} numbers, the most that can be "
                                 "loaded here")
        return func(*args, **(kwargs or {}))


def _check_state(state: dict, expected: dict[str, torch.Tensor]) -> None:
    """Every tensor named, shaped and typed as the model's, each owning just its own storage."""
    if set(state) != set(expected):
        extra, missing = sorted(set(state) - set(expected)), sorted(set(expected) - set(state))
        raise ValueError(f"its weights do not fit its model (missing: {', '.join(missing[:4]) or 'none'}; "
                         f"unexpected: {', '.join(map(str, extra[:4])) or 'none'})")
    for name, tensor in state.items():
        want = expected[name]
        per_position = name.endswith(("running_mean", "running_var")) and tensor.dim() == 2  # part 5's bug
        if tensor.dtype != want.dtype or (tensor.shape != want.shape and not per_position):
            raise ValueError(f"its tensor {name} is {tuple(tensor.shape)} {tensor.dtype}, but the model needs "
                             f"{tuple(want.shape)} {want.dtype}")
        if per_position and (tensor.shape[1:] != want.shape or tensor.numel() > MAX_MODEL_VALUES):
            raise ValueError(f"its tensor {name} has the wrong shape {tuple(tensor.shape)}")
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in state.values()}
    if sum(storages.values()) > MAX_STORAGE_BYTES:  # e.g. a small view of a huge storage
        raise ValueError(f"its tensors carry {sum(storages.values()):,} bytes of storage; at most "
                         f"{MAX_STORAGE_BYTES:,} can be loaded here")


def data_for(ckpt: Checkpoint, data: WordData, source: str = "the checkpoint") -> WordData:
    """The word list encoded with the checkpoint's vocabulary; refused if the list has characters the
    model never saw (a checkpoint for another vocabulary)."""
    unseen = sorted(set(data.vocab.chars) - set(ckpt.vocab.chars))
    if unseen:
        shown = " ".join(repr(ch) for ch in unseen[:8]) + (" …" if len(unseen) > 8 else "")
        raise CheckpointError(
            f"{source} was trained on another vocabulary ({ckpt.vocab.size} tokens): {data.name} uses "
            f"{len(unseen):,} character(s) it has never seen ({shown}); use a word list with its characters.")
    return WordData(data.words, ckpt.vocab, data.splits, data.name)


def load(path: str | Path) -> Checkpoint:
    path = Path(path)
    if path.is_dir():
        path = path / FILENAME
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path} (train with --out DIR first).")
    return from_bytes(path.read_bytes(), source=str(path))


def _load_state(model: LanguageModel, state: dict) -> None:
    """load_state_dict, first giving buffers the saved shapes (BatchNorm's running stats can
    change shape, e.g. per-position statistics under part 5's BatchNorm bug)."""
    for name, module in model.named_modules():
        for buffer_name, buffer in list(module.named_buffers(recurse=False)):
            key = f"{name}.{buffer_name}" if name else buffer_name
            if key in state and state[key].shape != buffer.shape:
                setattr(module, buffer_name, torch.empty_like(state[key]))
    model.load_state_dict(state)
