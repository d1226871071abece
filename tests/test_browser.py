"""The whole app in a real browser: `streamlit run` on a free port, every page in headless Chromium.

On the diagnostics page it moves a slider with the keyboard, presses Train, waits for step 200 and
checks that the charts are drawn and no exception box appears; it trains two runs there and finds
them on the Compare page (the same session, through the sidebar) with both charts drawn; then it
trains the Sweep panel's default sweep to its end and checks its two charts and table. The views inside the network
(issue 19): part 4's graph drawn by Graphviz in the page, red where the check is, and walked through backward; the
MLP page's weights and embedding redrawn while it trains; a click on the saturation image picking that column's
neuron. Screenshots go to a temporary folder and, when MAKEMORE_SCREENSHOTS names a folder (e.g. docs/screenshots),
there too.
"""
import contextlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from makemore.charts.backprop import VERDICT_COLORS
from makemore.charts.backprop_graph import HIGHLIGHT
from makemore.lessons import backprop
from makemore.presets import PRESETS
from tests.browser import (
    CHROMIUM,
    TIMEOUT_MS,
    VIEWPORT,
    follow_sweep,
    opened,
    press,
    press_until,
    start_sweep,
    sweep_panel,
    wait_until_idle,
    widget,
)
from tests.streamlit_server import running_app, url_path
from ui.navigation import existing_pages
from ui.panels.sweep import DEFAULT_STEPS

DIAGNOSTICS = "pages/3_Activations_and_BatchNorm.py"
STEP_COUNTER = r"Step ([\d,]+)"  # the status line's "**Step 1,234**"
TARGET_STEP = 200
PROJECTOR = {"width": 1024, "height": 768}  # a classroom projector, the sidebar open

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


LOG_LINES = 40  # of the server's log, at the end of a failed live test's message


@pytest.fixture(scope="module")
def server_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("streamlit") / "server.log"


@pytest.fixture(scope="module")
def app_url(server_log):
    with running_app(server_log) as (url, _):
        yield url


@contextlib.contextmanager
def diagnostics_page(browser, app_url: str, server_log: Path) -> Iterator:
    """A new session on the diagnostics page, closed on exit; a failure inside it ends with the server's log."""
    try:
        with opened(browser, app_url + url_path(DIAGNOSTICS)) as page:
            yield page
    except Exception as err:
        lines = server_log.read_text(errors="replace").splitlines()[-LOG_LINES:] if server_log.exists() else []
        raise AssertionError(f"{err}\n\nthe server's log ends:\n" + "\n".join(lines or ["(empty)"])) from err


def one_layer_fewer(page) -> None:
    """Move the depth slider from 5 hidden layers to 4 with the keyboard: a new network, and a notice saying so."""
    depth = widget(page, "diag_depth__w").locator("input[type='range']")  # the slider thumb
    depth.focus()
    depth.press("ArrowLeft")
    page.get_by_text("hidden layers 5 → 4").wait_for(timeout=TIMEOUT_MS)
    assert depth.input_value() == "4"


def exceptions(page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def step_counter(page) -> int:
    text = page.locator("strong", has_text=re.compile(STEP_COUNTER)).first.inner_text()
    return int(re.search(STEP_COUNTER, text).group(1).replace(",", ""))


def drawn_charts(page) -> tuple[int, int]:
    """(Vega-Lite charts on the page, those with a canvas or svg drawn inside)."""
    return page.evaluate("""() => {
        const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
        return [charts.length, charts.filter(c => c.querySelector('canvas, svg.marks')).length];
    }""")


@pytest.fixture(scope="module")
def every_page(app_url, browser):
    """Every page that exists, opened at once (one session each), once each has run: {file: page}."""
    pages = {}
    for page_file, _, _ in existing_pages():
        pages[page_file] = browser.new_page(viewport=VIEWPORT)
        pages[page_file].goto(app_url + url_path(page_file), wait_until="commit", timeout=TIMEOUT_MS)
    for page in pages.values():
        wait_until_idle(page)
    yield pages
    for page in pages.values():
        page.close()


@pytest.mark.slow
@pytest.mark.parametrize("page_file", [page for page, _, _ in existing_pages()])
def test_every_page_opens_without_an_exception(page_file, every_page, screenshots):
    page = every_page[page_file]
    screenshots(page, Path(page_file).stem)
    assert not exceptions(page), exceptions(page)
    assert page.locator('[data-testid="stSidebar"]').is_visible()


@contextlib.contextmanager
def resized(page, viewport: dict) -> Iterator:
    """The page at another window size, once its layout settles; back to the usual size after."""
    page.set_viewport_size(viewport)
    try:
        page.wait_for_timeout(300)
        yield page
    finally:
        page.set_viewport_size(VIEWPORT)


@pytest.mark.slow
@pytest.mark.parametrize("page_file", [page for page, _, _ in existing_pages()])
def test_no_button_label_is_cut_short_on_a_1024_pixel_projector(page_file, every_page):
    with resized(every_page[page_file], PROJECTOR) as page:
        assert not cut_button_labels(page), cut_button_labels(page)


WIDE_WITH_SIDEBAR = {"width": 1400, "height": 4200}  # a laptop, the sidebar open


@pytest.mark.slow
@pytest.mark.parametrize("page_file", [page for page, _, _ in existing_pages()])
def test_no_table_hides_columns_at_1400_pixels_with_the_sidebar_open(page_file, every_page):
    with resized(every_page[page_file], WIDE_WITH_SIDEBAR) as page:
        assert page.locator('[data-testid="stSidebar"]').is_visible()
        assert not sideways_tables(page), sideways_tables(page)


def sideways_tables(page) -> list[dict]:
    """The main area's tables whose columns do not fit their width (the rest scroll out of view, cut)."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]')]
        .filter(table => table.offsetParent).map(table => table.querySelector('.dvn-scroller'))
        .filter(grid => grid && grid.scrollWidth > grid.clientWidth + 1)
        .map(grid => ({columns: grid.scrollWidth, shown: grid.clientWidth}))""")


def cut_button_labels(page) -> list[str]:
    """Labels of the main area's visible buttons that their button is too narrow to show whole."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] button')]
        .filter(button => button.offsetParent)
        .flatMap(button => [...button.querySelectorAll('[data-testid="stMarkdownContainer"]')])
        .filter(label => label.scrollWidth > label.clientWidth + 1).map(label => label.innerText)""")


@pytest.mark.slow
def test_a_presenter_link_opens_with_the_sidebar_folded_away(app_url, browser):
    with opened(browser, app_url + url_path(DIAGNOSTICS) + "?present=1", PROJECTOR) as page:
        page.locator('[data-testid="stExpander"] summary', has_text="Controls").wait_for(timeout=TIMEOUT_MS)
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.count() == 0 or sidebar.bounding_box() is None or sidebar.bounding_box()["width"] < 5
        assert not cut_button_labels(page), cut_button_labels(page)


@pytest.mark.slow
def test_diagnostics_page_trains_live_and_draws_its_charts(app_url, server_log, browser, screenshots):
    with diagnostics_page(browser, app_url, server_log) as page:
        one_layer_fewer(page)

        press_until(page, "diag_train", widget(page, "diag_pause"))
        page.wait_for_function(
            f"""() => [...document.querySelectorAll('strong')].some(el => {{
                const m = el.innerText.match(/{STEP_COUNTER}/);
                return m && parseInt(m[1].replace(/,/g, '')) > {TARGET_STEP};
            }})""", timeout=TIMEOUT_MS)
        press_until(page, "diag_pause", widget(page, "diag_train"))  # a still picture for the screenshot
        wait_until_idle(page)
        assert step_counter(page) > TARGET_STEP
        total, drawn = drawn_charts(page)
        assert total >= 7 and drawn == total, (total, drawn)
        screenshots(page, "diagnostics-trained")
        assert not exceptions(page), exceptions(page)


@pytest.mark.slow
def test_runs_trained_on_the_diagnostics_page_are_compared_on_the_compare_page(app_url, server_log, browser,
                                                                              screenshots):
    with diagnostics_page(browser, app_url, server_log) as page:
        for fewer in (False, True):  # the default net, then one layer fewer: two runs
            if fewer:
                one_layer_fewer(page)
            press_until(page, "diag_train", widget(page, "diag_pause"))
            press_until(page, "diag_pause", widget(page, "diag_train"))  # pausing keeps the run
            wait_until_idle(page)
        page.locator('[data-testid="stSidebar"] a', has_text="Compare").first.click()  # the same session
        page.get_by_text("Settings side by side").wait_for(timeout=TIMEOUT_MS)
        wait_until_idle(page)
        kept = page.locator('[data-testid="stExpander"] summary').all_inner_texts()  # "Manage and export": a run each
        assert len(kept) == 2 and "5x100 tanh" in kept[0] and "4x100 tanh" in kept[1], kept
        total, drawn = drawn_charts(page)
        assert total == 2 and drawn == 2, (total, drawn)  # the losses and one weight's update:data ratio
        screenshots(page, "compare")
        assert not exceptions(page), exceptions(page)


@pytest.mark.slow
def test_the_sweep_panel_trains_every_copy_and_draws_them(app_url, server_log, browser, screenshots):
    with diagnostics_page(browser, app_url, server_log) as page:
        start_sweep(page)  # the panel's defaults: five gains, 2,000 steps
        assert follow_sweep(page)[-1][1] == DEFAULT_STEPS
        wait_until_idle(page)
        panel = sweep_panel(page)
        charts = panel.locator('[data-testid="stVegaLiteChart"]')
        assert charts.count() == 2 and all(chart.locator("canvas, svg.marks").count() for chart in charts.all())
        assert panel.locator('[data-testid="stDataFrame"]').count() == 1
        screenshots(page, "sweep-trained")
        assert not exceptions(page), exceptions(page)


# ------------------------------------------------------------------------------ inside the network (issue 19)
WEIGHTS, NEURON = "The weights, and each step's update", "A neuron: the contexts that drive it"
WALK = "Gradient {} of 26: d{}"
TRAIN_SECONDS = 4  # between two looks at the MLP page while it trains


def open_view(page, label: str) -> None:
    page.locator('[data-testid="stExpander"] summary', has_text=label).first.click()
    wait_until_idle(page)


def expander(page, label: str):
    return page.locator('[data-testid="stExpander"]', has_text=label).first


def graph_nodes(page) -> dict[str, dict]:
    """The rendered graph's nodes: {name: {"fill": ..., "stroke": ...}} of each node's outline."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '[data-testid="stGraphVizChart"] g.node')].map(g => {
        const shape = g.querySelector('ellipse, polygon');
        return [g.querySelector('title').textContent,
                {fill: (shape.getAttribute('fill') || '').toUpperCase(),
                 stroke: (shape.getAttribute('stroke') || '').toUpperCase()}];
    }))""")


@pytest.mark.slow
def test_the_graph_is_red_where_the_check_is_and_walks_backward(app_url, browser, default_data, screenshots):
    with opened(browser, app_url + url_path("pages/4_Backprop.py") + "?mistake=forget_bessel") as page:
        page.locator('[data-testid="stGraphVizChart"] svg').first.wait_for(timeout=TIMEOUT_MS)
        exercise_1 = replace(PRESETS["backprop"].model, n_hidden=backprop.EXERCISE_1_HIDDEN)  # the page's network
        table = backprop.gradcheck(*backprop.lecture_batch(exercise_1, default_data, 2147483647), "forget_bessel")
        nodes = graph_nodes(page)
        assert set(backprop.CHECK_ORDER) < set(nodes)
        red = {name for name, shape in nodes.items() if shape["fill"] == VERDICT_COLORS["wrong"].upper()}
        assert red == set(table.loc[~table["approximate"], "tensor"])
        for step in (1, 2, 3):  # the walk's step 0 is the loss, then the table's rows top down
            press_until(page, "backprop_walk_next", page.get_by_text(WALK.format(step, backprop.CHECK_ORDER[step - 1])))
            wait_until_idle(page)
        walked = backprop.CHECK_ORDER[2]
        page.wait_for_function(f"""() => [...document.querySelectorAll(
                '[data-testid="stGraphVizChart"] g.node')].some(g => g.querySelector('title').textContent === '{walked}'
            && (g.querySelector('ellipse, polygon').getAttribute('stroke') || '').toUpperCase() === '{HIGHLIGHT}')""",
                               timeout=TIMEOUT_MS)
        graph = page.locator('[data-testid="stGraphVizChart"]').first
        graph.scroll_into_view_if_needed()
        screenshots(graph, "backprop-graph")


@pytest.mark.slow
def test_the_weights_and_the_embedding_redraw_while_the_mlp_trains(app_url, browser, screenshots):
    with opened(browser, app_url + url_path("pages/2_MLP.py")) as page:
        open_view(page, WEIGHTS)
        press_until(page, "mlp_train", widget(page, "mlp_pause"))
        weights = expander(page, WEIGHTS).locator('[data-testid="stVegaLiteChart"]').first
        weights.wait_for(timeout=TIMEOUT_MS)
        embedding = page.locator('[data-testid="stVegaLiteChart"]').nth(1)  # beside the loss chart
        looks = []
        for _ in range(2):
            looks.append((step_counter(page), embedding.screenshot(), weights.screenshot()))
            page.wait_for_timeout(TRAIN_SECONDS * 1000)
        (step_before, embedding_before, weights_before), (step_after, embedding_after, weights_after) = looks
        assert step_after > step_before  # still training: both pictures were redrawn in between
        assert embedding_after != embedding_before and weights_after != weights_before
        screenshots(page.locator('[data-testid="stMainBlockContainer"]'), "mlp-inside-training")
        press_until(page, "mlp_pause", widget(page, "mlp_train"))


@pytest.mark.slow
def test_a_click_on_the_saturation_image_picks_that_neuron(app_url, browser, screenshots):
    with opened(browser, app_url + url_path("pages/3_Activations_and_BatchNorm.py")) as page:
        press(page, "diag_step100")
        wait_until_idle(page)
        open_view(page, NEURON)
        neuron = widget(page, "diag_neuron_2_100")
        assert neuron.locator("input").input_value() == "neuron 0"
        plot = widget(page, "diag_sat_pick").locator("canvas").first
        box = plot.bounding_box()
        picked = []
        for share in (0.3, 0.6):  # two columns: each click picks the neuron the tooltip names there
            page.mouse.move(box["x"] + box["width"] * share, box["y"] + box["height"] / 2)
            tooltip = page.locator("#vg-tooltip-element")
            tooltip.get_by_text("neuron").wait_for(timeout=TIMEOUT_MS)
            under = int(re.search(r"neuron\s*(\d+)", tooltip.inner_text()).group(1))
            page.mouse.down()
            page.mouse.up()
            page.wait_for_function(f"""() => [...document.querySelectorAll('.st-key-diag_neuron_2_100')]
                .some(e => e.querySelector('input').value === 'neuron {under}')""", timeout=TIMEOUT_MS)
            wait_until_idle(page)
            picked.append(under)
        assert picked[0] != picked[1]
        page.mouse.move(0, 0)
        view = expander(page, NEURON)
        view.scroll_into_view_if_needed()
        screenshots(view, "diagnostics-neuron")
        open_view(page, WEIGHTS)
        view = expander(page, WEIGHTS)
        view.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1000)
        screenshots(view, "diagnostics-weights")
        assert not page.locator('[data-testid="stException"]').count()
