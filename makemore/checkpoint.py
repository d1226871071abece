"""Checkpoints: the model's config as a dict plus its state_dict, the vocabulary and the words.

Saved with torch.save and loaded with `torch.load(..., weights_only=True)`, so a checkpoint
can hold tensors and plain values but never code: a file with a pickled payload is refused.
"""
from __future__ import annotations

import io
import pickle
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .data import Vocabulary, WordData
from .models import LanguageModel, build_model, config_from_dict, config_to_dict

FORMAT = "makemore-explorer/1"
FILENAME = "model.pt"


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
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
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
    """Rebuild the model from a checkpoint's bytes; refuse anything else with a clear message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about foreign pickle protocols; we refuse them below
            payload = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{source} was refused: it holds more than weights (e.g. pickled code), which "
            f"weights_only loading does not run ({str(err).splitlines()[0][:120]})."
        ) from None
    except Exception:
        raise CheckpointError(f"{source} is not a checkpoint (torch could not read it).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{source} is a torch file but not a makemore explorer checkpoint.")
    try:
        # keys the config no longer has are dropped: e.g. part 4's `manual_backward`, a training choice that
        # older versions kept in the model's config (now TrainConfig.gradients; a checkpoint holds no training)
        config = config_from_dict(payload["config"])
        vocab = Vocabulary.from_dict(payload["vocab"])
        model = build_model(config)
        _load_state(model, payload["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        detail = " ".join(str(err).split())[:200]  # one line: load_state_dict lists its mismatches on many
        raise CheckpointError(f"{source} is a damaged checkpoint ({type(err).__name__}: {detail}).") from None
    if config.vocab_size != vocab.size:
        raise CheckpointError(f"{source} is inconsistent: its model expects {config.vocab_size} tokens "
                              f"but its vocabulary has {vocab.size}.")
    if not all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point()):
        raise CheckpointError(f"{source} holds NaN or infinite weights (a run that diverged): "
                              "there is nothing to sample or evaluate; save a healthy run.")
    words = payload["words"].split("\n") if payload.get("words") else []
    return Checkpoint(model, vocab, words, payload.get("meta", {}))


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
