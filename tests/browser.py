"""Headless Chromium (Debian's, through Playwright) on the app: what the browser test and the benchmarks share."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]  # no network here: without these Chromium stalls on its own connections
VIEWPORT = {"width": 1500, "height": 4200}  # Streamlit's main area scrolls inside itself: a tall window shows it all
TIMEOUT_MS = 60_000


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
