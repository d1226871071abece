"""What a word list looks like: lengths, character frequencies, and printable characters."""
from __future__ import annotations

import unicodedata
from collections import Counter

import pandas as pd

VISIBLE = {" ": "␣", "\t": "⇥"}  # characters a chart label would otherwise hide


def visible(ch: str) -> str:
    """A label a person can see: '␣' for a space, the code point for other invisible characters."""
    if ch in VISIBLE:
        return VISIBLE[ch]
    if unicodedata.category(ch)[0] in "CZM":  # control, separator, combining mark
        return f"U+{ord(ch):04X}"
    return ch


def is_vowel(ch: str) -> bool:
    """a, e, i, o, u with or without accents (the lecture's embedding plot groups them)."""
    base = unicodedata.normalize("NFD", ch)[:1].lower()
    return base in "aeiou"


def length_counts(words: list[str]) -> pd.DataFrame:
    """How many words have each length: length, words."""
    counts = Counter(len(word) for word in words)
    return pd.DataFrame(sorted(counts.items()), columns=["length", "words"])


def char_counts(words: list[str]) -> pd.DataFrame:
    """Each character's count and share of all characters, most frequent first: char, label, count, share."""
    counts = Counter("".join(words))
    total = sum(counts.values())
    rows = [(ch, visible(ch), n, n / total) for ch, n in counts.most_common()]
    return pd.DataFrame(rows, columns=["char", "label", "count", "share"])
