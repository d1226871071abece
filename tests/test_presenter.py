"""Presenter mode is a dashboard a room can read: on a 1280 x 800 projector and on a 1920 x 1080 screen, each
lecture page, opened with ?present=1, its walk-through started and training, shows its run controls and key
charts without scrolling, draws no chart text under 18 px, and cuts no label or button text short, with the
sidebar closed or open.

One session per page (its run trains throughout); the window is resized to each size in turn. While it trains
it photographs each page at each size (in a temporary folder and, when MAKEMORE_SCREENSHOTS names one,
docs/screenshots, there too). On the diagnostics page it also puts a chart in the Spotlight and back.
"""
import pytest

from makemore.charts.projector import MIN_TEXT_PX
from tests.browser import CHROMIUM, opened, press_until, wait_for_redraw, widget
from tests.streamlit_server import url_path

SIZES = {"1280x800": {"width": 1280, "height": 800}, "1920x1080": {"width": 1920, "height": 1080}}
CHARTS = '.st-key-presenter_charts [data-testid="stVegaLiteChart"]'
GRID_CHARTS = '[class*="st-key-presenter_cell_"] [data-testid="stVegaLiteChart"]'
LECTURES = {  # widget-key prefix: (page, its key charts, how many, its story's controls)
    "bigram": ("pages/1_Bigram.py", CHARTS, 3, ["lr", "reg"]),
    "mlp": ("pages/2_MLP.py", CHARTS, 2, ["n_embd", "lr"]),
    "diag": ("pages/3_Activations_and_BatchNorm.py", GRID_CHARTS, 4, ["batchnorm", "gain", "lr_exponent"]),
    "backprop": ("pages/4_Backprop.py", CHARTS, 1, ["steps"]),
    "wavenet": ("pages/5_WaveNet.py", CHARTS, 2, ["block_size", "levels"]),
}
SETTLE_MS = 1500  # for the page to lay out and redraw at a new window size
SIDEBAR_MS = 700  # for the sidebar to slide in or out

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.is_file(),
                                                   reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")]

BOXES = """(selectors) => selectors.flatMap(selector => [...document.querySelectorAll(selector)]
    .filter(el => el.getClientRects().length).map(el => {
        const r = el.getBoundingClientRect();
        const name = el.querySelector('.role-title text')?.textContent || el.closest('[class*="st-key-"]')?.className
            .match(/st-key-(\\S+)/)?.[1] || selector;
        const cell = el.closest('[class*="st-key-presenter_cell_"]')?.getBoundingClientRect();  // it scrolls
        const box = rect => ({top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right});
        return {name, ...box(r), cell: cell ? box(cell) : box(r)};
    }))"""
CHART_TEXT = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg text')]
    .filter(t => t.textContent.trim() && t.getClientRects().length)
    .map(t => [parseFloat(getComputedStyle(t).fontSize), t.textContent.trim()])"""
CUT_TEXT = """() => {
    const shown = el => {  // on the screen (a closed sidebar is moved off it)
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > 0 && r.left < innerWidth;
    };
    const cut = [...document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *')].filter(el => {
        if (!shown(el) || !el.textContent.trim() || el.closest('svg')) return false;
        const style = getComputedStyle(el);
        const ellipsis = style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1;
        const button = el.matches('button [data-testid="stMarkdownContainer"]') && el.scrollWidth > el.clientWidth + 1;
        return ellipsis || button;
    }).map(el => el.textContent.trim().slice(0, 80));
    const svg = [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg text')]
        .map(t => t.textContent.trim()).filter(text => text.endsWith('…'));
    return [...cut, ...svg];
}"""


@pytest.mark.parametrize("prefix", LECTURES)
def test_a_lecture_page_is_a_readable_dashboard_while_it_trains(prefix, app_url, browser, screenshots):
    page_file, key_charts, count, story = LECTURES[prefix]
    first = next(iter(SIZES.values()))
    with opened(browser, app_url + url_path(page_file) + "?present=1", first) as page:
        # the walk-through open, at its first stop: its text must not push the charts down
        page.locator('.st-key-presenter_notes [data-testid="stExpander"] summary').click()
        press_until(page, f"{prefix}_tour_start", widget(page, f"{prefix}_tour_next"))
        press_until(page, f"{prefix}_train", widget(page, f"{prefix}_pause"))
        wait_for_redraw(page)
        for size_name, size in SIZES.items():
            page.set_viewport_size(size)
            page.wait_for_timeout(SETTLE_MS)
            top_of_page(page)
            screenshots(page, f"presenter-{prefix}-{size_name}")
            where = f"{page_file} at {size_name}"
            charts = page.evaluate(BOXES, [key_charts])
            assert len(charts) == count, f"{where}: {len(charts)} key charts on the stage, not {count}: {charts}"
            controls = page.evaluate(BOXES, [f".st-key-{prefix}_{name}" for name in ("pause", "reset")]
                                     + [f".st-key-{prefix}_{name}__w" for name in story])  # remembered widgets
            assert len(controls) == 2 + len(story), f"{where}: controls missing, found {controls}"
            screen = {"top": 0, "left": 0, "bottom": size["height"], "right": size["width"]}
            outside = [box["name"] for box in charts + controls
                       if not inside(box, screen) or not inside(box, box["cell"])]  # and in its cell's view
            assert not outside, f"{where}: out of the first screen: {outside}"

            sizes = page.evaluate(CHART_TEXT)
            smallest = min(sizes)
            assert smallest[0] >= MIN_TEXT_PX, f"{where}: chart text of {smallest[0]} px: {smallest[1]!r}"
            nothing_cut_with_the_sidebar_closed_or_open(page, where)
            if prefix == "diag" and size_name == "1280x800":
                spotlight_and_back(page, size)


def test_the_data_page_cuts_no_headline_number_short(app_url, browser):
    with opened(browser, app_url + url_path("pages/0_Data.py") + "?present=1", SIZES["1280x800"]) as page:
        for size_name, size in SIZES.items():
            page.set_viewport_size(size)
            page.wait_for_timeout(SETTLE_MS)
            nothing_cut_with_the_sidebar_closed_or_open(page, f"the Data page at {size_name}")


def nothing_cut_with_the_sidebar_closed_or_open(page, where: str) -> None:
    """No label, button or chart text cut short with an ellipsis, the sidebar closed, then open (and closed again)."""
    for sidebar in ("closed", "open"):
        if sidebar == "open":
            toggle_sidebar(page, "stExpandSidebarButton")
        cut = page.evaluate(CUT_TEXT)
        assert not cut, f"{where}, sidebar {sidebar}: text cut short: {cut}"
    toggle_sidebar(page, "stSidebarCollapseButton")


def spotlight_and_back(page, size: dict) -> None:
    """One click on a key chart's Spotlight shows it alone, filling the screen; one more puts it back."""
    chart = page.locator('[data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"])').first
    chart.locator('button[aria-label="Fullscreen"]').click()  # shown without hovering: it is labelled Spotlight
    page.wait_for_timeout(SETTLE_MS)
    box = chart.locator('[data-testid="stVegaLiteChart"]').bounding_box()
    assert box["width"] > 0.9 * size["width"] and box["height"] > 0.7 * size["height"], box
    page.locator('button[aria-label="Close fullscreen"]').click()
    page.wait_for_timeout(SETTLE_MS)
    top_of_page(page)
    box = chart.locator('[data-testid="stVegaLiteChart"]').bounding_box()
    assert box["width"] < 0.6 * size["width"] and box["y"] + box["height"] <= size["height"], box


def inside(box: dict, frame: dict) -> bool:
    """Whether the box lies within the frame (both as top, bottom, left, right), give or take a pixel."""
    return box["top"] >= frame["top"] - 1 and box["left"] >= frame["left"] - 1 \
        and box["bottom"] <= frame["bottom"] + 1 and box["right"] <= frame["right"] + 1


def top_of_page(page) -> None:
    """Back to the top of the main area (a click scrolls the button it presses into view)."""
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.wait_for_timeout(200)


def toggle_sidebar(page, button: str) -> None:
    page.locator(f'[data-testid="{button}"]').first.click()
    page.mouse.move(0, 0)
    page.wait_for_timeout(SIDEBAR_MS)
