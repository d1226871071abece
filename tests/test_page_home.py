"""The home page: the learning map's links and the shared settings, rendered with AppTest."""
from tests.apptest_helpers import open_page
from ui.navigation import existing_pages, page_name

PAGE = "streamlit_app.py"
LECTURE_ORDER = ["1 · Bigram", "2 · MLP", "3 · Activations & BatchNorm", "4 · Backprop by hand", "5 · WaveNet"]


def map_stops(at) -> list[tuple[str, str]]:
    """(label, page name) of every stop of the map, in page order."""
    def walk(node):
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)
    return [(node.proto.label, node.proto.page) for node in walk(at.main) if node.type == "page_link"]


def test_the_map_links_every_page_once():
    at = open_page(PAGE)
    assert not at.exception
    stops = map_stops(at)
    pages = existing_pages()[1:]  # every page but home itself
    assert sorted(stops) == sorted((page.label, page_name(page.path)) for page in pages)


def test_the_lectures_come_in_the_lectures_order():
    labels = [label for label, _ in map_stops(open_page(PAGE))]
    assert [label for label in labels if label in LECTURE_ORDER] == LECTURE_ORDER
    assert labels[0] == "The data set"


def test_each_stop_says_what_it_shows():
    at = open_page(PAGE)
    sentences = [m.value for m in at.main.markdown if m.value.endswith(".") and "coming soon" not in m.value]
    assert len(sentences) == (len(existing_pages()) - 1) + 1  # one sentence per stop, and the introduction


def test_shared_settings_are_shown(default_data):
    at = open_page(PAGE)
    assert at.metric[0].value == f"{len(default_data.words):,}"
    assert at.metric[1].value == "27" and at.metric[2].value == "2147483647" and at.metric[3].value == "cpu"
