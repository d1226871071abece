"""The whole app in a real browser: `streamlit run` on a free port, every page in headless Chromium.

On the diagnostics page it moves a slider with the keyboard, presses Train, waits for step 200 and
checks that the charts are drawn and no exception box appears; then it trains the Sweep panel's
default sweep to its end and checks its two charts and table. Screenshots go to a temporary folder
and, when MAKEMORE_SCREENSHOTS names a folder (e.g. docs/screenshots), there too.
"""
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, TIMEOUT_MS, VIEWPORT, headless_chromium, press, wait_until_idle, widget
from tests.conftest import ROOT
from tests.streamlit_server import running_app, url_path
from ui.navigation import existing_pages

DIAGNOSTICS = "pages/3_Activations_and_BatchNorm.py"
STEP_COUNTER = r"Step ([\d,]+)"  # the status line's "**Step 1,234**"
TARGET_STEP = 200

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("streamlit") / "server.log") as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def screenshots(tmp_path):
    """save(page, name): a full-window PNG in tmp_path (and in $MAKEMORE_SCREENSHOTS when set)."""
    extra = os.environ.get("MAKEMORE_SCREENSHOTS")

    def save(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path))
        if extra:
            target = ROOT / extra  # a relative folder is under the repo; an absolute one stays itself
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target / path.name)
        return path

    return save


def pause(page) -> None:
    """Press Pause until Train is back: a click that lands while a tick redraws the page can be lost."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for _ in range(3):
        if widget(page, "diag_pause").count():
            press(page, "diag_pause")
        try:
            widget(page, "diag_train").wait_for(timeout=TIMEOUT_MS // 3)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("Pause did not stop the run")


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


@pytest.mark.parametrize("page_file", [page for page, _, _ in existing_pages()])
def test_every_page_opens_without_an_exception(page_file, every_page, screenshots):
    page = every_page[page_file]
    screenshots(page, Path(page_file).stem)
    assert not exceptions(page), exceptions(page)
    assert page.locator('[data-testid="stSidebar"]').is_visible()


def test_diagnostics_page_trains_live_and_draws_its_charts(app_url, browser, screenshots):
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app_url + url_path(DIAGNOSTICS), timeout=TIMEOUT_MS)
        wait_until_idle(page)
        depth = widget(page, "diag_depth__w").locator("input[type='range']")  # the slider thumb
        depth.focus()
        depth.press("ArrowLeft")  # 5 hidden layers -> 4: a new network, and a notice saying so
        page.get_by_text("depth 5 → 4").wait_for(timeout=TIMEOUT_MS)
        assert depth.input_value() == "4"

        press(page, "diag_train")
        page.wait_for_function(
            f"""() => [...document.querySelectorAll('strong')].some(el => {{
                const m = el.innerText.match(/{STEP_COUNTER}/);
                return m && parseInt(m[1].replace(/,/g, '')) > {TARGET_STEP};
            }})""", timeout=TIMEOUT_MS)
        pause(page)  # a still picture for the screenshot
        wait_until_idle(page)
        assert step_counter(page) > TARGET_STEP
        total, drawn = drawn_charts(page)
        assert total >= 7 and drawn == total, (total, drawn)
        screenshots(page, "diagnostics-trained")
        assert not exceptions(page), exceptions(page)
    finally:
        page.close()


def test_the_sweep_panel_trains_every_copy_and_draws_them(app_url, browser, screenshots):
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app_url + url_path(DIAGNOSTICS), timeout=TIMEOUT_MS)
        wait_until_idle(page)
        page.get_by_text("Sweep: several copies at once").first.click()
        panel = page.locator('[data-testid="stExpander"]', has_text="Sweep: copies side by side").first
        press(page, "sweep_train")  # the panel's defaults: five gains, 2,000 steps
        panel.get_by_text(re.compile(r"Step 2,000 of 2,000")).wait_for(timeout=4 * TIMEOUT_MS)
        wait_until_idle(page)
        charts = panel.locator('[data-testid="stVegaLiteChart"]')
        assert charts.count() == 2 and all(chart.locator("canvas, svg.marks").count() for chart in charts.all())
        assert panel.locator('[data-testid="stDataFrame"]').count() == 1
        screenshots(page, "sweep-trained")
        assert not exceptions(page), exceptions(page)
    finally:
        page.close()
