"""Property-based tests of the data pipeline: any list of strings survives reading, encoding and windowing."""
from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from makemore.data import Vocabulary, build_windows, lecture_split, parse_words

pytestmark = pytest.mark.slow  # every test here takes seconds (the quick tier: -m "not slow")

# str.splitlines() breaks lines at these; a "word" holds none of them
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
characters = st.characters(blacklist_categories=("Cs",), blacklist_characters=LINE_BREAKS)
words = st.lists(st.text(characters, min_size=1, max_size=12), min_size=1, max_size=30)
# a file's lines: maybe blank or padded with spaces; no NUL (a file with one is refused as binary)
lines = st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=LINE_BREAKS + "\x00"),
                         max_size=12), max_size=30)
fast = settings(max_examples=150, deadline=None)


def lecture_windows(words: list[str], vocab: Vocabulary, block_size: int):
    """The lecture's build_dataset loop: the reference the vectorized windows must equal."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + vocab.boundary:
            ix = vocab.stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X, dtype=torch.int64).reshape(-1, block_size), torch.tensor(Y, dtype=torch.int64)


@fast
@given(words)
def test_every_word_round_trips_through_the_vocabulary(words):
    vocab = Vocabulary.from_words(words)
    assert vocab.boundary not in vocab.chars and vocab.itos[0] == vocab.boundary
    assert all(vocab.stoi[ch] == i for i, ch in enumerate(vocab.itos))
    for word in words:
        ids = vocab.encode(word)
        assert len(ids) == len(word) and 0 not in ids
        assert vocab.decode(ids) == word


@fast
@given(words, st.integers(min_value=1, max_value=8))
def test_context_windows_are_the_lecture_loop_and_decode_back_to_the_words(words, block_size):
    vocab = Vocabulary.from_words(words)
    X, Y = build_windows(words, vocab, block_size)
    Xl, Yl = lecture_windows(words, vocab, block_size)
    assert torch.equal(X, Xl) and torch.equal(Y, Yl)
    # the targets, read in order, spell every word followed by the boundary token
    assert vocab.decode(Y.tolist()) == "".join(w + vocab.boundary for w in words)
    assert X.shape == (sum(len(w) + 1 for w in words), block_size)


@fast
@given(lines, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_reading_strips_each_line_and_drops_blank_ones(lines, newline, bom):
    expected = [line.strip() for line in lines if line.strip()]
    text = ("\ufeff" if bom else "") + newline.join(lines)
    if not expected:
        return  # an empty list is refused (tests/test_bad_input.py)
    assert parse_words(text.encode("utf-8")) == expected
    assert parse_words(text.lstrip("\ufeff")) == expected


@fast
@given(words)
def test_the_lecture_split_is_a_partition(words):
    parts = lecture_split(words)
    assert Counter(parts["train"] + parts["dev"] + parts["test"]) == Counter(words)
    n = len(words)
    assert (len(parts["train"]), len(parts["train"]) + len(parts["dev"])) == (int(0.8 * n), int(0.9 * n))
