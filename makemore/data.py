"""Word lists: reading, the vocabulary, context windows and the lecture's train/dev/test split."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

DEFAULT_WORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "names.txt"
MAX_FILE_BYTES = 5 * 1024 * 1024  # uploads and --input files larger than this are refused
MAX_WORD_CHARS = 200  # one item per line: a longer line is almost certainly not a word list
MAX_VOCAB = 2000  # distinct characters; beyond this the output layer stops being "small"
LECTURE_SPLIT_SEED = 42
MAKEMORE_SEED = 3407  # makemore.py's default --seed, which also draws its split
SPLITS = ("train", "dev", "test")
# the boundary token: '.' as in the lectures, unless the data itself uses '.'
BOUNDARY_CANDIDATES = ".|#~^_*$@+=%&;:!?/\\<>" + "·¶§¤"


class DataError(ValueError):
    """A word list that cannot be used, with a message meant for people."""


def parse_words(raw: bytes | str, source: str = "the file") -> list[str]:
    """Decode UTF-8 text and return its items, one per line (stripped, blank lines dropped)."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_FILE_BYTES:
            raise DataError(_too_large(source, len(raw)))
        if b"\x00" in raw:
            raise DataError(f"{source} looks like a binary file (it contains NUL bytes), not a text list.")
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise DataError(
                f"{source} is not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}); "
                "save it as UTF-8 and try again."
            ) from None
    if not raw.strip():
        raise DataError(f"{source} is empty: it needs one word per line.")
    words = [line.strip() for line in raw.splitlines()]
    words = [word for word in words if word]
    for number, word in enumerate(words, start=1):
        if len(word) > MAX_WORD_CHARS:
            raise DataError(
                f"item {number} of {source} is {len(word):,} characters long; the limit is "
                f"{MAX_WORD_CHARS} (one word or name per line)."
            )
    return words


def read_words(path: str | Path) -> list[str]:
    """Read a word list from a file, refusing missing, oversized, binary or non-UTF-8 files."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(_too_large(str(path), path.stat().st_size))
    return parse_words(path.read_bytes(), source=str(path))


def _too_large(source: str, size: int) -> str:
    return (f"{source} is {size:,} bytes, over the limit of {MAX_FILE_BYTES // 2**20} MB ({MAX_FILE_BYTES:,} bytes); "
            "split it or keep the first part.")


@dataclass(frozen=True)
class Vocabulary:
    """The data's own characters (sorted) plus a boundary token that never occurs in the data.

    As in the lectures, the boundary token has index 0 and the characters follow in order:
    for names.txt, stoi = {'.': 0, 'a': 1, ..., 'z': 26}.
    """

    chars: tuple[str, ...]
    boundary: str = "."
    stoi: dict[str, int] = field(init=False, repr=False, compare=False)
    _codepoints: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.boundary in self.chars:
            raise ValueError(f"boundary token {self.boundary!r} occurs in the data")
        object.__setattr__(self, "stoi", {ch: i for i, ch in enumerate(self.itos)})
        object.__setattr__(self, "_codepoints", np.array([ord(c) for c in self.chars], dtype=np.uint32))

    @classmethod
    def from_words(cls, words: list[str]) -> "Vocabulary":
        chars = tuple(sorted(set("".join(words))))
        if len(chars) > MAX_VOCAB:
            raise DataError(
                f"the list uses {len(chars):,} distinct characters; the limit is {MAX_VOCAB:,}."
            )
        return cls(chars, boundary_for(chars))

    @property
    def itos(self) -> tuple[str, ...]:
        return (self.boundary,) + self.chars

    @property
    def size(self) -> int:
        return len(self.chars) + 1

    def encode(self, word: str) -> list[int]:
        return self.encode_text(word).tolist()

    def decode(self, ids) -> str:
        itos = self.itos
        return "".join(itos[int(i)] for i in ids)

    def encode_text(self, text: str) -> np.ndarray:
        """Indices (1..size-1) of every character of `text`, vectorized."""
        codepoints = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        positions = np.searchsorted(self._codepoints, codepoints)
        positions = np.minimum(positions, len(self.chars) - 1)
        unknown = self._codepoints[positions] != codepoints
        if unknown.any():
            bad = chr(int(codepoints[unknown.argmax()]))
            raise DataError(f"the character {bad!r} is not in this model's vocabulary.")
        return positions.astype(np.int64) + 1

    def to_dict(self) -> dict:
        return {"chars": list(self.chars), "boundary": self.boundary}

    @classmethod
    def from_dict(cls, data: dict) -> "Vocabulary":
        return cls(tuple(data["chars"]), data["boundary"])


def boundary_for(chars) -> str:
    """'.' unless the data uses it; then the first unused candidate, else a private-use character."""
    used = set(chars)
    for candidate in BOUNDARY_CANDIDATES:
        if candidate not in used:
            return candidate
    codepoint = 0xE000
    while chr(codepoint) in used:
        codepoint += 1
    return chr(codepoint)


def build_windows(words: list[str], vocab: Vocabulary, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context, next character) pair of every word, in the lecture's order.

    Each word w gives len(w) + 1 examples: the context starts as block_size boundary tokens and
    slides over the word; the last target is the boundary. X is (N, block_size), Y is (N,).
    """
    if block_size < 1:
        raise ValueError("block_size must be at least 1")
    # one padded stream per word: block_size boundaries, the word, one closing boundary
    lengths, word_starts, stream = _padded_streams(words, vocab, lead=block_size, tail=1)
    examples = lengths + 1
    starts = np.repeat(word_starts, examples) + _ranks(examples)
    X = stream[starts[:, None] + np.arange(block_size)]
    Y = stream[starts + block_size]
    return torch.from_numpy(X), torch.from_numpy(Y)


def build_sequences(words: list[str], vocab: Vocabulary, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """makemore.py's examples: one row per word, x = [0] + word + 0-padding, y = word + [0] + -1 padding.

    Row i predicts every character of a word and its end at once (-1 marks positions with no
    target). A word too long for the block (len + 1 > block_size) gets extra rows, one per
    remaining target, whose input is the last block_size tokens before it and whose only target
    is the last position: exactly the context sampling gives the model. X and Y are (N, block_size).
    """
    if block_size < 1:
        raise ValueError("block_size must be at least 1")
    # one stream per word: the opening boundary, the word, the closing boundary, block_size zeros
    lengths, word_starts, stream = _padded_streams(words, vocab, lead=1, tail=1 + block_size)
    rows_per_word = 1 + np.maximum(lengths + 1 - block_size, 0)
    row_word = np.repeat(np.arange(len(words)), rows_per_word)
    row_rank = _ranks(rows_per_word)  # 0: the word's first row; k: the k-th extra row
    starts = word_starts[row_word] + row_rank
    positions = np.arange(block_size)
    X = stream[starts[:, None] + positions]
    Y = stream[starts[:, None] + positions + 1]
    active = np.where((row_rank == 0)[:, None], positions <= lengths[row_word][:, None],
                      positions == block_size - 1)
    Y[~active] = -1
    return torch.from_numpy(X), torch.from_numpy(Y)


def _padded_streams(words: list[str], vocab: Vocabulary, lead: int,
                    tail: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All words encoded in one array, each with `lead` boundary tokens (code 0) before it and `tail`
    after it: (word lengths, where each word's padded stream starts, the stream)."""
    lengths = np.fromiter((len(w) for w in words), dtype=np.int64, count=len(words))
    padded = lengths + lead + tail
    word_starts = np.cumsum(padded) - padded
    stream = np.zeros(int(padded.sum()), dtype=np.int64)
    stream[np.repeat(word_starts + lead, lengths) + _ranks(lengths)] = vocab.encode_text("".join(words))
    return lengths, word_starts, stream


def _ranks(counts: np.ndarray) -> np.ndarray:
    """For counts [2, 3]: [0, 1, 0, 1, 2], the position of each element inside its group."""
    total = int(counts.sum())
    group_starts = np.cumsum(counts) - counts
    return np.arange(total) - np.repeat(group_starts, counts)


def lecture_split(words: list[str], seed: int = LECTURE_SPLIT_SEED) -> dict[str, list[str]]:
    """The lectures' split: random.seed(42); random.shuffle(words); 80% / 10% / 10%."""
    shuffled = list(words)
    random.Random(seed).shuffle(shuffled)  # same permutation as seeding the global RNG
    n1, n2 = int(0.8 * len(shuffled)), int(0.9 * len(shuffled))
    return {"train": shuffled[:n1], "dev": shuffled[n1:n2], "test": shuffled[n2:]}


def makemore_split(words: list[str], seed: int = MAKEMORE_SEED) -> dict[str, list[str]]:
    """makemore.py's split: torch.manual_seed(seed) (its default 3407); torch.randperm; the last min(1000, 10%)
    are the test set."""
    test_size = min(1000, int(len(words) * 0.1))
    order = torch.randperm(len(words), generator=torch.Generator().manual_seed(seed)).tolist()
    return {"train": [words[i] for i in order[:len(words) - test_size]],
            "test": [words[i] for i in order[len(words) - test_size:]]}


@dataclass
class WordData:
    """A word list, its vocabulary and its splits; context windows are built once per block size."""

    words: list[str]
    vocab: Vocabulary
    splits: dict[str, list[str]]
    name: str = "words"
    _windows: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_words(cls, words: list[str], split: str = "lecture", name: str = "words",
                   seed: int = MAKEMORE_SEED) -> "WordData":
        """The words, their vocabulary and a split: "lecture", "makemore" (drawn with `seed`, as
        makemore.py draws it with its --seed) or "none"."""
        if not words:
            raise DataError("the list has no words.")
        vocab = Vocabulary.from_words(words)
        if split == "lecture":
            splits = lecture_split(words)
            empty = [name for name, part in splits.items() if not part]
            if empty:
                raise DataError(
                    f"{len(words)} word(s) are too few for the lectures' 80/10/10 split (the "
                    f"{' and '.join(empty)} part{'s' if len(empty) > 1 else ''} would be empty): add words, at "
                    "least 10 (on the command line, --split none trains on all of them)."
                )
        elif split == "none":
            splits = {"train": list(words)}
        elif split == "makemore":
            splits = makemore_split(words, seed)
            if not splits["test"]:
                raise DataError(f"{len(words)} word(s) are too few for makemore.py's split (10% test): "
                                "add words, at least 10.")
        else:
            raise ValueError(f"unknown split {split!r}: use 'lecture', 'makemore' or 'none'")
        return cls(list(words), vocab, splits, name)

    @property
    def split_names(self) -> tuple[str, ...]:
        return tuple(name for name in SPLITS if name in self.splits)

    def windows(self, split: str, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        key = (split, block_size)
        if key not in self._windows:
            self._windows[key] = build_windows(self.splits[split], self.vocab, block_size)
        return self._windows[key]

    def sequences(self, split: str, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """makemore.py-style rows of a split (see build_sequences), built once per block size."""
        key = ("sequences", split, block_size)
        if key not in self._windows:
            self._windows[key] = build_sequences(self.splits[split], self.vocab, block_size)
        return self._windows[key]

    @property
    def max_word_length(self) -> int:
        return max(len(w) for w in self.words)


def load_data(path: str | Path | None = None, split: str = "lecture", seed: int = MAKEMORE_SEED) -> WordData:
    """The word list at `path` (default: the shipped names) with its vocabulary and split (`seed`: see
    WordData.from_words)."""
    path = Path(path) if path is not None else DEFAULT_WORDS_PATH
    return WordData.from_words(read_words(path), split=split, name=path.name, seed=seed)
