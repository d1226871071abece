"""Classroom mode on every lesson page: walk-throughs that set the controls, and shareable links."""
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.apptest_helpers import open_page, open_with_url
from tests.conftest import ROOT
from ui.navigation import page_path
from ui.panels.deep_net_controls import SETUP_SLUGS, URL_PARAMS, setup_values
from ui.state import SESSION_PARAM

DIAGNOSTICS = "pages/3_Activations_and_BatchNorm.py"

TOURS = {  # page -> (prefix, a control key, its value at the last stop)
    "pages/1_Bigram.py": ("bigram", "bigram_reg", 0.01),
    "pages/2_MLP.py": ("mlp", "mlp_n_hidden", 500),
    "pages/4_Backprop.py": ("backprop", "backprop_mistake", "none"),
    "pages/5_WaveNet.py": ("wavenet", "wavenet_n_hidden", 128),
}


@pytest.mark.slow
@pytest.mark.parametrize("page", list(TOURS))
def test_walkthrough_runs_to_the_end_setting_the_controls(page):
    prefix, key, last_value = TOURS[page]
    at = open_page(page)
    at = at.button(key=f"{prefix}_tour_start").click().run()
    stops = 1
    while not at.button(key=f"{prefix}_tour_next").disabled:
        at = at.button(key=f"{prefix}_tour_next").click().run()
        assert not at.exception, at.exception
        stops += 1
    assert stops >= 5
    assert at.session_state[key] == last_value
    at = at.button(key=f"{prefix}_tour_back").click().run()
    assert at.session_state[f"{prefix}_tour"] == stops - 2


@pytest.mark.slow
def test_closing_a_walkthrough_puts_the_controls_back_as_they_were():
    # the Bigram tour's stops set the smoothing to 0, then 100, ...; closing left it at 100, and the page's
    # captions (written for smoothing 1) were false on screen
    at = open_page("pages/1_Bigram.py")
    at = at.select_slider(key="bigram_smoothing__w").set_value(10.0).run()
    before = at.session_state["bigram_smoothing"]
    at = at.button(key="bigram_tour_start").click().run()
    for _ in range(3):
        at = at.button(key="bigram_tour_next").click().run()
    assert at.session_state["bigram_smoothing"] != before
    at = at.button(key="bigram_tour_close").click().run()
    assert not at.exception and "bigram_tour" not in at.session_state
    assert at.session_state["bigram_smoothing"] == before
    table = at.dataframe[0].value  # the table on screen is the one of the restored smoothing
    assert table.loc["bigram", "dev"] != float("inf")


@pytest.mark.slow
def test_bigram_tour_stop_shows_infinite_nll_without_smoothing():
    at = open_page("pages/1_Bigram.py")
    at = at.button(key="bigram_tour_start").click().run()
    at = at.button(key="bigram_tour_next").click().run()
    assert at.session_state["bigram_smoothing"] == 0.0
    table = at.dataframe[0].value
    assert table.loc["bigram", "dev"] == float("inf")


@pytest.mark.parametrize("page, params, key, expected", [
    ("pages/1_Bigram.py", {"smoothing": "10"}, "bigram_smoothing", 10.0),
    ("pages/6_Generate.py", {"preset": "mlp-bn", "steps": "1000"}, "gen_preset", "mlp-bn"),
    ("pages/5_WaveNet.py", {"block_size": "3", "levels": "1", "bug": "1"}, "wavenet_bn_bug", True),
    ("pages/4_Backprop.py", {"mistake": "forget_bessel"}, "backprop_mistake", "forget_bessel"),
])
def test_links_set_each_pages_controls(page, params, key, expected):
    at = open_with_url(page, **params)
    assert not at.exception
    assert at.session_state[key] == expected
    for name, value in params.items():
        assert at.query_params[name] == value  # and the URL keeps saying so


def test_a_bad_link_value_on_a_lesson_page_falls_back_with_a_notice():
    at = open_with_url("pages/2_MLP.py", lr="fast", n_hidden="7")
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "lr=fast" in notices and "n_hidden=7" in notices
    assert at.session_state["mlp_lr"] == 0.1 and at.session_state["mlp_n_hidden"] == 200


def sidebar_link(at) -> str:
    """The Copy link (the sidebar's other link, under "Your runs", is the session's own: ?s=CODE alone)."""
    session = f"?{SESSION_PARAM}={at.query_params[SESSION_PARAM]}"
    links = [block.value for block in at.sidebar.code if block.value.startswith("http")
             and not block.value.endswith(session)]
    assert len(links) == 1, links
    return links[0]


@pytest.mark.parametrize("page", ["streamlit_app.py", "pages/0_Data.py", "pages/1_Bigram.py", "pages/2_MLP.py",
                                  "pages/4_Backprop.py", "pages/5_WaveNet.py", "pages/6_Generate.py",
                                  "pages/7_Models.py", "pages/8_Compare.py", "pages/9_Class.py"])
@pytest.mark.slow
def test_every_page_has_a_copy_link_with_its_controls(page):
    at = open_page(page)
    assert not at.exception, at.exception
    link = sidebar_link(at)
    code = at.query_params[SESSION_PARAM]
    assert code and code not in link and SESSION_PARAM not in dict(parse_qsl(urlsplit(link).query))  # never in it
    for name, value in at.query_params.items():
        if name != SESSION_PARAM:
            assert f"{name}={value[0] if isinstance(value, list) else value}" in link


def test_copy_link_follows_a_changed_control():
    at = open_page("pages/1_Bigram.py")
    assert "count=7" not in sidebar_link(at)
    at = at.number_input(key="bigram_sample_count__w").set_value(7).run()
    assert "count=7" in sidebar_link(at)


# ------------------------------------------------------------------------------------ links in the documents
LINK = re.compile(r"/([A-Za-z_]\w*)\?(\w+=[^\s`)\"'\]]*)")  # /Page?param=value&param=value
LINK_SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "ui" / "tours.py"]


def shared_links() -> list[tuple[str, str, str]]:
    """(document, page name, query) of every `/Page?param=value` link in the README, docs/ and the walk-throughs."""
    return [(path.name, name, query) for path in LINK_SOURCES if path.is_file()
            for name, query in LINK.findall(path.read_text(encoding="utf-8"))]


def test_the_readmes_classroom_links_are_found():
    links = [(name, query) for where, name, query in shared_links() if where == "README.md"]
    assert ("Bigram", "smoothing=10&present=1") in links and len(links) >= 2


def same_value(shown: str, written: str) -> bool:
    """The page writes a value back in its own format (gain=1.667 stays 1.667, lr_exp=-1.0 becomes -1)."""
    try:
        return float(shown) == pytest.approx(float(written), rel=1e-3)
    except ValueError:
        return shown == written


@pytest.mark.slow
@pytest.mark.parametrize("where, name, query", shared_links())
def test_every_link_in_the_documents_opens_its_page_with_its_values(where, name, query):
    page = page_path(name)
    assert page, f"{where}: there is no page /{name}"
    params = dict(parse_qsl(query, keep_blank_values=True))
    at = open_with_url(page, **params)
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    controls = open_page(page).query_params  # the params this page's controls read and write
    for param, value in params.items():
        if param in controls:
            assert same_value(at.query_params[param], value), (where, param, at.query_params[param])
        else:
            assert param == "preset" and page == DIAGNOSTICS, f"{where}: /{name} reads no {param}"
            others = {key: v for key, v in setup_values("diag", SETUP_SLUGS[value]).items()
                      if URL_PARAMS[key.removeprefix("diag_")] not in params}  # the setup's, where the link is silent
            assert {key: at.session_state[key] for key in others} == others
            assert param not in at.query_params  # applied once: the controls carry it on
