"""makemore/data.py: reading, vocabulary, context windows, split."""
import random

import pytest
import torch

from makemore.data import (
    DEFAULT_WORDS_PATH,
    DataError,
    Vocabulary,
    WordData,
    build_windows,
    lecture_split,
    load_data,
    parse_words,
)


def lecture_windows(words, stoi, block_size):
    """The lecture's build_dataset loop, as the reference."""
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X).reshape(-1, block_size), torch.tensor(Y)


def test_vocabulary_is_lectures_for_lowercase_names():
    vocab = Vocabulary.from_words(["emma", "olivia", "zoe"])
    assert vocab.itos[0] == "." and vocab.stoi["a"] == 1
    assert vocab.decode(vocab.encode("emma")) == "emma"


def test_boundary_token_never_collides_with_data():
    vocab = Vocabulary.from_words(["st.john", "a|b", "x#y"])
    assert vocab.boundary not in vocab.chars
    assert vocab.boundary == "~"  # '.', '|' and '#' are taken
    vocab = Vocabulary.from_words(["".join(map(chr, range(33, 127)))])
    assert vocab.boundary not in vocab.chars


def test_unicode_vocabulary_follows_the_file():
    words = ["zoë", "józef", "李娜", "renée"]
    vocab = Vocabulary.from_words(words)
    assert {"ë", "ó", "李", "娜", "é"} <= set(vocab.chars)
    X, Y = build_windows(words, vocab, 3)
    assert vocab.decode(Y[:4].tolist()) == "zoë."


@pytest.mark.parametrize("block_size", [1, 2, 3, 8])
def test_windows_match_the_lecture_loop(block_size):
    words = ["emma", "olivia", "ava", "x", "isabella"]
    vocab = Vocabulary.from_words(words)
    X, Y = build_windows(words, vocab, block_size)
    Xl, Yl = lecture_windows(words, vocab.stoi, block_size)
    assert torch.equal(X, Xl) and torch.equal(Y, Yl)


def test_windows_of_default_data_match_the_loop(default_data):
    words = default_data.splits["train"][:3000]
    X, Y = build_windows(words, default_data.vocab, 3)
    Xl, Yl = lecture_windows(words, default_data.vocab.stoi, 3)
    assert torch.equal(X, Xl) and torch.equal(Y, Yl)


def test_lecture_split_is_random_seed_42_shuffle():
    words = [f"w{i}" for i in range(101)]
    expected = list(words)
    random.seed(42)
    random.shuffle(expected)
    split = lecture_split(words)
    assert split["train"] == expected[:80] and split["dev"] == expected[80:90] and split["test"] == expected[90:]
    assert words == [f"w{i}" for i in range(101)]  # the caller's list is untouched


def test_lecture_split_sizes_on_names(lecture_data):
    sizes = [lecture_data.windows(s, 3)[0].shape[0] for s in ("train", "dev", "test")]
    assert sizes == [182625, 22655, 22866]
    assert lecture_data.vocab.size == 27 and len(lecture_data.words) == 32033


def test_no_split_trains_on_all_words(lecture_names_path):
    data = load_data(lecture_names_path, split="none")
    assert data.split_names == ("train",)
    assert data.windows("train", 1)[0].shape[0] == 228146


def test_default_data_is_shipped_and_not_the_lectures():
    data = load_data()
    assert DEFAULT_WORDS_PATH.is_file()
    assert 32000 < len(data.words) < 33000 and data.words[:3] == ["emma", "olivia", "ava"]
    assert data.vocab.size == 27


@pytest.mark.parametrize("raw, message", [
    (b"", "empty"),
    (b"\n\n   \n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    (b"caf\xe9\n", "not UTF-8"),
    (b"a" * 300, "characters long"),
])
def test_bad_files_are_refused_with_a_message(raw, message):
    with pytest.raises(DataError, match=message):
        parse_words(raw, "upload.txt")


def test_windows_line_endings_and_bom_are_handled():
    assert parse_words("\ufeffanna\r\nbob\r\n\r\n  cy  \n".encode("utf-8")) == ["anna", "bob", "cy"]


def test_too_few_words_for_the_split_says_so():
    with pytest.raises(DataError, match="too few"):
        WordData.from_words(["anna", "bob"], split="lecture")
    assert WordData.from_words(["anna"], split="none").windows("train", 3)[0].shape == (5, 3)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_data(tmp_path / "nope.txt")
