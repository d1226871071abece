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


# What a class sees while a run trains: how often the status line's step changes, and whether any element is
# drawn in Streamlit's stale style (it marks an element data-stale while a run is under way and has not sent
# it again yet, and fades it to a third after half a second of that).
WATCHER = """([root, statusPattern, everyMs]) => {
    const scope = () => document.querySelector(root);
    const status = new RegExp(statusPattern);
    const KINDS = ['stVegaLiteChart', 'stDataFrame', 'stTable', 'stProgress', 'stMetric', 'stAlert', 'stHeading',
                   'stCaptionContainer', 'stMarkdown'];  // what an element shows, for its name
    const watch = {samples: [], redraws: [], names: {}};
    const step = () => {
        for (const el of scope()?.querySelectorAll('strong, [data-testid="stProgress"] p') ?? []) {
            const match = el.textContent.match(status);
            if (match) return parseInt(match[1].replace(/,/g, ''));
        }
        return null;
    };
    const shown = el => el.dataset.retained !== 'true' && el.getClientRects().length > 0;
    const opacity = el => {  // what the eye sees: the element's own opacity times its containers'
        let value = 1;
        for (let node = el; node && node !== document.body; node = node.parentElement)
            value *= parseFloat(getComputedStyle(node).opacity);
        return value;
    };
    const sample = () => {
        const now = performance.now(), row = {t: now, elements: {}};
        let heading = '', counts = {};
        for (const el of scope()?.querySelectorAll('[data-testid="stElementContainer"]') ?? []) {
            if (!shown(el)) continue;
            const kind = KINDS.find(k => el.querySelector(`[data-testid="${k}"]`))
                ?? el.querySelector('[data-testid]')?.dataset.testid ?? 'element';
            if (kind === 'stHeading') { heading = el.innerText.trim(); counts = {}; }
            counts[kind] = (counts[kind] ?? 0) + 1;
            const name = `${heading || '(top)'} › ${kind} ${counts[kind]}`;
            row.elements[name] = [opacity(el), el.dataset.stale === 'true'];
        }
        watch.samples.push(row);
    };
    let last = step();
    new MutationObserver(() => {
        const now = step();
        if (now !== null && now !== last) { watch.redraws.push([performance.now(), now]); last = now; }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
    watch.timer = setInterval(sample, everyMs);
    window.__watch = watch;
}"""
MAIN = '[data-testid="stMain"]'
STATUS_STEP = r"Step ([\d,]+)"  # the status line's "**Step 1,234**", the Sweep's "Step 1,234 of 2,000"
FADED = 0.95  # opacity below which an element reads as greyed out


def start_watching(page, root: str = MAIN, every_s: float = 0.3) -> None:
    """From now on, sample every shown element under `root` every `every_s` seconds (its opacity and its stale
    marker) and note when the status line's step changes; `watched` reads it all."""
    page.evaluate(WATCHER, [root, STATUS_STEP, round(every_s * 1000)])


def wait_for_redraw(page, root: str = MAIN) -> None:
    """Until the status line under `root` shows a step past 0: the first redraw of a run that trains."""
    page.wait_for_function("""([root, pattern]) => [...document.querySelector(root)?.querySelectorAll(
        'strong, [data-testid="stProgress"] p') ?? []].some(el => {
            const match = el.textContent.match(new RegExp(pattern));
            return match && parseInt(match[1].replace(/,/g, '')) > 0;
        })""", arg=[root, STATUS_STEP], timeout=TIMEOUT_MS)


def watch_counts(page) -> tuple[int, int]:
    """(samples, redraws) noted so far."""
    return tuple(page.evaluate("() => [window.__watch.samples.length, window.__watch.redraws.length]"))


def watched(page) -> dict:
    """{"samples": [{"t": ms, "elements": {name: [opacity, stale marker]}}], "redraws": [[ms, step]]}, and stop."""
    return page.evaluate("() => { clearInterval(window.__watch.timer); const {samples, redraws} = window.__watch;"
                         " return {samples, redraws}; }")


def faded_shares(samples: list[dict]) -> dict[str, tuple[float, float]]:
    """{element: (share of samples it was faded in, share it carried the stale marker)} over the samples it was
    shown in."""
    seen: dict[str, list[int]] = {}
    for row in samples:
        for name, (opacity, stale) in row["elements"].items():
            counts = seen.setdefault(name, [0, 0, 0])
            counts[0] += 1
            counts[1] += opacity < FADED
            counts[2] += bool(stale)
    return {name: (faded / shown, stale / shown) for name, (shown, faded, stale) in seen.items()}
