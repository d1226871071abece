"""The Data page: sizes, charts and the bigram matrix checked against the package."""
import pytest

from makemore.data import load_data
from makemore.lessons import bigram
from tests.apptest_helpers import chart_with_columns, open_page, with_word_list

PAGE = "pages/0_Data.py"


def matrix(at):
    """The bigram matrix as drawn: pair -> value."""
    frame = chart_with_columns(at, "pair", "value", "first", "second")[0]["data"][0]
    return frame.set_index("pair")["value"]


@pytest.mark.slow
def test_sizes_match_the_word_list(default_data):
    at = open_page(PAGE)
    assert not at.exception
    words = default_data.words
    shown = {m.label: m.value for m in at.metric}
    assert shown["Words"] == f"{len(words):,}" and shown["Vocabulary"] == "27"
    assert shown["Shortest / longest"] == f"{min(map(len, words))} / {max(map(len, words))}"
    assert shown["Bigrams"] == f"{sum(map(len, words)) + len(words):,}"
    assert at.dataframe[0].value["word"].tolist() == words[:15]


def test_length_and_character_charts(default_data):
    at = open_page(PAGE)
    lengths = chart_with_columns(at, "length", "words")[0]["data"][0]
    assert lengths["words"].sum() == len(default_data.words)
    chars = chart_with_columns(at, "label", "count", "share")[0]
    assert chars["spec"]["title"] == "Share of each character among all characters"
    frame = chars["data"][0]
    assert frame["count"].is_monotonic_decreasing and frame["label"].iloc[0] == "a"


def test_count_matrix_is_the_lectures_figure(default_data):
    at = open_page(PAGE)
    cells = matrix(at)
    N = bigram.count_table(default_data.words, default_data.vocab, 1)
    stoi = default_data.vocab.stoi
    assert len(cells) == 27 * 27
    for pair in [".a", "em", "a.", "qu"]:
        assert cells[pair] == N[stoi[pair[0]], stoi[pair[1]]]
    spec = chart_with_columns(at, "pair", "value", "first", "second")[0]["spec"]
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text", "text"]  # pair and count in each cell


def test_toggle_to_row_normalized_probabilities(default_data):
    at = open_page(PAGE)
    at.radio(key="data_matrix_view__w").set_value("probabilities").run()
    assert not at.exception
    frame = chart_with_columns(at, "pair", "value", "first", "second")[0]["data"][0]
    assert frame.groupby("first")["value"].sum().to_numpy() == pytest.approx(1.0)
    N = bigram.count_table(default_data.words, default_data.vocab, 1).double()
    e, m = default_data.vocab.stoi["e"], default_data.vocab.stoi["m"]
    assert frame.set_index("pair").loc["em", "value"] == pytest.approx((N[e, m] / N[e].sum()).item())


def test_a_list_with_many_characters_shows_the_most_frequent(tmp_path):
    path = tmp_path / "cities.txt"
    words = ["são paulo", "zürich", "kraków", "reykjavík", "Ōsaka", "québec", "ålesund", "łódź", "göteborg",
             "málaga", "straße"] * 3 + ["new york", "la paz", "san josé"] * 5
    path.write_text("\n".join(words), encoding="utf-8")
    at = open_page(PAGE, **with_word_list(path))
    assert not at.exception
    data = load_data(path)
    cells = matrix(at)
    assert len(cells) == 28 * 28 and data.vocab.size > 28
    assert "a␣" in cells.index  # the space is shown, as '␣'
    assert any("most frequent" in c.value for c in at.caption)


def test_lecture_counts(lecture_names_path):
    at = open_page(PAGE, **with_word_list(lecture_names_path))
    cells = matrix(at)
    # the lecture's figure: N['.', 'a'] = 4410, N['n', '.'] = 6763, N['a', 'n'] = 5438
    assert (cells[".a"], cells["n."], cells["an"]) == (4410, 6763, 5438)
