"""Headless Chromium (Debian's, through Playwright) on the app: what the browser test and the benchmarks share."""
from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import Iterator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # no network here: without these Chromium stalls on its own connections
VIEWPORT = {"width": 1500, "height": 4200}  # Streamlit's main area scrolls inside itself: a tall window shows it all
TIMEOUT_MS = 60_000
SWEEP_EXPANDER = "Sweep: several copies at once"  # on the diagnostics page
SWEEP_PROGRESS = re.compile(r"Step ([\d,]+) of ([\d,]+)(?: · ([\d,]+) steps/s)?")  # the panel's progress line
STALL_SECONDS = 90.0  # a sweep whose progress line does not move for this long has stopped
POLL_SECONDS = 0.5


@contextlib.contextmanager
def headless_chromium() -> Iterator:
    """A Playwright browser on /usr/bin/chromium (browsers cannot be downloaded here), closed on exit."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def opened(browser, url: str, viewport: dict = VIEWPORT) -> Iterator:
    """A new session (page) at `url`, once its script has run and drawn everything; closed on exit."""
    page = browser.new_page(viewport=viewport)
    try:
        page.goto(url, timeout=TIMEOUT_MS)
        wait_until_idle(page)
        yield page
    finally:
        page.close()


def wait_until_idle(page) -> None:
    """The script has run and every element is drawn (no placeholder skeletons left)."""
    page.wait_for_function("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.dataset.testScriptState === 'notRunning' && document.querySelector('h1')
            && !document.querySelector('[data-testid="stSkeleton"]');
    }""", timeout=TIMEOUT_MS)


def widget(page, key: str):
    """The shown element with this widget key (Streamlit keeps a stale, hidden copy for a while after a rerun)."""
    return page.locator(f".st-key-{key}:visible").first


def press(page, key: str) -> None:
    """Click the button with this widget key, then move the mouse away (its tooltips would cover others)."""
    widget(page, key).locator("button").first.click()
    page.mouse.move(0, 0)


def press_until(page, key: str, shown, tries: int = 3) -> None:
    """Press the button with this widget key, while it is there, until the locator `shown` appears (a click
    that lands while the page redraws can be lost)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for _ in range(tries):
        if widget(page, key).count():
            press(page, key)
        try:
            shown.wait_for(timeout=TIMEOUT_MS // 3)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"{tries} presses of {key} did not bring {shown}")


def start_sweep(page) -> None:
    """Open the Sweep panel and press Train sweep until its progress line shows."""
    page.get_by_text(SWEEP_EXPANDER).first.click()
    try:
        press_until(page, "sweep_train", page.get_by_text(SWEEP_PROGRESS).first)
    except AssertionError as err:
        raise AssertionError(f"{err}; the panel shows:\n{sweep_panel_text(page)}") from err


def follow_sweep(page) -> list[tuple[float, int, int]]:
    """Read the progress line until the sweep is done: (time, step, reported steps/s) of each line that moved.
    Fails when it stops moving for STALL_SECONDS, however slow the machine, saying what the panel shows."""
    progress = page.get_by_text(SWEEP_PROGRESS).first
    seen: list[tuple[float, int, int]] = []
    moved = time.monotonic()
    while time.monotonic() - moved < STALL_SECONDS:
        if progress.count() and (match := SWEEP_PROGRESS.search(progress.inner_text())):
            step, of = _number(match.group(1)), _number(match.group(2))
            if step and (not seen or step > seen[-1][1]):
                moved = time.monotonic()
                seen.append((moved, step, _number(match.group(3) or "0")))
            if step >= of:
                return seen
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"the sweep stopped moving for {STALL_SECONDS:.0f} s at step {seen[-1][1] if seen else 0}; "
                         f"the panel shows:\n{sweep_panel_text(page)}")


def sweep_panel(page):
    """The Sweep panel's expander on the diagnostics page."""
    return page.locator('[data-testid="stExpander"]', has_text="Sweep: copies side by side").first


def sweep_panel_text(page) -> str:
    """The panel's progress line, buttons, notices and exceptions, a line each (its charts' labels left out)."""
    panel = sweep_panel(page)
    if not panel.count():
        return "(no Sweep panel on the page)"
    buttons = panel.locator('button [data-testid="stMarkdownContainer"]').all_inner_texts()
    shown = panel.locator('[data-testid="stProgress"], [data-testid="stAlert"], [data-testid="stException"]')
    return "\n".join([f"buttons: {', '.join(dict.fromkeys(buttons))}", *shown.all_inner_texts()])


def _number(text: str) -> int:
    return int(text.replace(",", ""))
