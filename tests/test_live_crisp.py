"""Every live area stays crisp while its run trains: no chart, table or status line greyed out.

While a run of a fragment is under way, Streamlit's frontend marks the elements that fragment drew as stale
until the run sends them again (`data-stale`), and after half a second fades them to a third of their
opacity. On each live page (and the diagnostics page's Sweep panel) this presses Train, waits for the first
redraw, then samples every shown element's opacity and stale marker about three times a second for a few
seconds, in a laptop-sized window; it fails when any element is faded, or marked, in more than a small
share of the samples. (Before ui/pacing.py drew in a fragment of its own, the update:data chart of the
diagnostics page was faded in most samples.) It photographs the diagnostics page, the MLP page and the Sweep
panel while they train, in a temporary folder and, when MAKEMORE_SCREENSHOTS names one (docs/screenshots),
there too.
"""
import time
from pathlib import Path

import pytest

from tests.browser import (CHROMIUM, FADED, SWEEP_EXPANDER, SWEEP_PROGRESS, VIEWPORT, faded_shares, opened, press_until, start_watching, sweep_panel, wait_for_redraw, wait_until_idle,
                           watch_counts, watched, widget)
from tests.streamlit_server import url_path

LIVE_PAGES = {  # widget-key prefix: page
    "diag": "pages/3_Activations_and_BatchNorm.py",
    "mlp": "pages/2_MLP.py",
    "bigram": "pages/1_Bigram.py",
    "backprop": "pages/4_Backprop.py",
    "wavenet": "pages/5_WaveNet.py",
    "models": "pages/7_Models.py",
}
SWEEP = "sweep"
SWEEP_PANEL = '[data-testid="stExpander"]:has([data-testid="stProgress"])'  # the panel, once it trains
LAPTOP = {"width": 1280, "height": 800}
SCREENSHOTS = {"diag": "diagnostics-training", "mlp": "mlp-training", SWEEP: "sweep-training"}  # taken mid-training
SETTLE_MS = 2000  # for the page to lay out again and redraw at a new window size
SAMPLE_SECONDS = 6  # at least; longer where the machine is so busy that fewer samples or redraws come
EVERY_SECONDS = 0.3
MIN_SAMPLES = 16  # a browser starved of CPU runs its timer late
MIN_REDRAWS = 4  # the run trained and redrew while it was sampled
MAX_SECONDS = 60
MAX_STALE_SHARE = 0.1  # of an element's samples

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.is_file(),
                                                   reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")]


@pytest.mark.parametrize("prefix", [*LIVE_PAGES, SWEEP])
def test_nothing_is_greyed_out_while_a_run_trains(prefix, app_url, browser, screenshots):
    page_file = LIVE_PAGES.get(prefix, LIVE_PAGES["diag"])
    with opened(browser, app_url + url_path(page_file), LAPTOP) as page:
        if prefix == SWEEP:
            root = SWEEP_PANEL
            more_sweep_steps(page)
            press_until(page, "sweep_train", page.get_by_text(SWEEP_PROGRESS).first)
        else:
            root = '[data-testid="stMain"]'
            press_until(page, f"{prefix}_train", widget(page, f"{prefix}_pause"))
        wait_for_redraw(page, root)
        start_watching(page, root, EVERY_SECONDS)
        started = time.monotonic()
        while (waited := time.monotonic() - started) < MAX_SECONDS and (waited < SAMPLE_SECONDS or too_few(page)):
            page.wait_for_timeout(500)
        seen = watched(page)
        if prefix in SCREENSHOTS:  # still training: the page's main area (or the panel), at a desktop's width
            page.set_viewport_size(VIEWPORT)
            page.wait_for_timeout(SETTLE_MS)
            shown = sweep_panel(page) if prefix == SWEEP else page.locator('[data-testid="stMainBlockContainer"]')
            screenshots(shown, SCREENSHOTS[prefix])
    assert len(seen["samples"]) >= MIN_SAMPLES, f"only {len(seen['samples'])} samples in {waited:.0f} s"
    assert len(seen["redraws"]) >= MIN_REDRAWS, f"only {len(seen['redraws'])} redraws in {waited:.0f} s"
    shares = faded_shares(seen["samples"])
    assert len(shares) >= 3, shares  # the sampler found the area's elements
    stale = {name: f"faded in {faded:.0%} of samples, marked stale in {marked:.0%}"
             for name, (faded, marked) in sorted(shares.items(), key=lambda item: item[1], reverse=True)
             if max(faded, marked) > MAX_STALE_SHARE}
    assert not stale, f"{Path(page_file).stem}: elements greyed out (opacity < {FADED}) while training: {stale}"


def too_few(page) -> bool:
    samples, redraws = watch_counts(page)
    return samples < MIN_SAMPLES or redraws < MIN_REDRAWS


def more_sweep_steps(page) -> None:
    """Open the Sweep panel and move its steps two notches up (2,000 -> 10,000): a sweep that trains past the
    sampling."""
    page.get_by_text(SWEEP_EXPANDER).first.click()
    steps = widget(page, "sweep_steps").locator("input[type='range']")
    steps.focus()
    steps.press("ArrowRight")
    steps.press("ArrowRight")
    assert steps.get_attribute("aria-valuetext") == "10000"
    wait_until_idle(page)
