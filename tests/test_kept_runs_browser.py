"""Runs kept in the store, in a real browser: `streamlit run` and headless Chromium, the store the test process's own
SQLite file (tests/conftest.py), which every server started here shares.

A student trains on the MLP page and presses F5: the run is there, at its step, its curve drawn. It trains on and the
server is stopped mid-training, then started again on the same port: the tab reconnects by itself and the run is
there at its last autosave, also on Compare and Make more names. And with two server processes (two replicas of a
class server) on one store, a run made on one is found by the student's next session on the other, and the other
way round. The class server's proxy (issue 18) only decides which replica a session lands on: here the student's
browser opens the other replica's port with the same address.
"""
import re
import time
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, TIMEOUT_MS, VIEWPORT, headless_chromium, press_until, wait_until_idle, widget
from tests.streamlit_server import free_port, running_app, url_path
from ui.store import AUTOSAVE_SECONDS

MLP = "pages/2_MLP.py"
COMPARE = "pages/8_Compare.py"
GENERATE = "pages/6_Generate.py"
STEP = re.compile(r"Step ([\d,]+)")  # the status line's "**Step 1,234**"
CONTINUED = re.compile(r"Continued from step ([\d,]+)")  # the notice of a run brought back
RECONNECT_SECONDS = 120  # the tab's reconnection to a restarted server (Streamlit's back-off, torch imported again)
LOG_LINES = 40

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")]


@pytest.fixture(scope="module")
def browser():
    with headless_chromium() as chromium:
        yield chromium


def number(text: str) -> int:
    return int(text.replace(",", ""))


def step_shown(page) -> int:
    return number(STEP.search(page.locator("strong", has_text=STEP).first.inner_text()).group(1))


def continued_from(page, timeout_ms: int = TIMEOUT_MS) -> int:
    """The step of the notice that says the page continued a kept run (waits for it)."""
    notice = page.get_by_text(CONTINUED).first
    notice.wait_for(timeout=timeout_ms)
    return number(CONTINUED.search(notice.inner_text()).group(1))


def exceptions(page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def loss_chart_drawn(page) -> bool:
    return page.locator('[data-testid="stVegaLiteChart"]').first.locator("canvas, svg.marks").count() > 0


def train_100_steps(page, to_step: int) -> None:
    """Press Step 100 and wait for the status line to show `to_step` (the run is kept as it pauses)."""
    press_until(page, "mlp_step100", page.locator("strong", has_text=f"Step {to_step:,}").first)
    wait_until_idle(page)


def with_log(logs: list[Path], err: Exception) -> AssertionError:
    tails = [f"{log.name}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-LOG_LINES:])
             for log in logs if log.exists()]
    return AssertionError(f"{err}\n\nthe servers' logs end:\n" + "\n".join(tails))


def sidebar_page(page, link: str, page_file: str) -> None:
    """Go to another page through the sidebar (the same browser session), once its script has run and put the
    session's code back into the address."""
    page.locator('[data-testid="stSidebar"] a', has_text=link).first.click()
    page.wait_for_url(re.compile(re.escape(url_path(page_file)) + r"\?s="), timeout=TIMEOUT_MS)
    wait_until_idle(page)


def test_a_run_survives_f5_and_a_server_restart(browser, tmp_path, screenshots):
    log, port = tmp_path / "server.log", free_port()
    page = browser.new_page(viewport=VIEWPORT)
    try:
        with running_app(log, port) as (url, _):
            page.goto(url + url_path(MLP), timeout=TIMEOUT_MS)
            wait_until_idle(page)
            train_100_steps(page, 100)
            page.reload()  # F5
            wait_until_idle(page)
            assert continued_from(page) == 100 and step_shown(page) == 100 and loss_chart_drawn(page)
            screenshots(page, "kept-run-after-f5")

            press_until(page, "mlp_train", widget(page, "mlp_pause"))  # trains on, kept every AUTOSAVE_SECONDS
            started = time.monotonic()
            page.wait_for_function("""() => [...document.querySelectorAll('strong')].some(el => {
                const m = el.innerText.match(/Step ([\\d,]+)/); return m && parseInt(m[1].replace(/,/g, '')) > 300; })
                """, timeout=TIMEOUT_MS)
            time.sleep(max(0.0, AUTOSAVE_SECONDS * 1.5 - (time.monotonic() - started)))
            last_seen = step_shown(page)
        # the server stopped while the run trained; the same server comes back on the same port
        with running_app(log, port):
            kept = continued_from(page, RECONNECT_SECONDS * 1000)  # the tab reconnected by itself: no F5
            wait_until_idle(page)
            assert 100 < kept <= last_seen and step_shown(page) == kept and loss_chart_drawn(page)
            assert not exceptions(page), exceptions(page)

            sidebar_page(page, "Compare runs", COMPARE)
            summaries = page.locator('[data-testid="stExpander"] summary').all_inner_texts()
            assert any(f"{kept:,} steps" in text and "MLP · emb" in text for text in summaries), summaries
            assert loss_chart_drawn(page)
            screenshots(page, "kept-run-compare-after-restart")

            sidebar_page(page, "Make more names", GENERATE)
            chosen = widget(page, "gen_model__w").locator("input").input_value()
            assert chosen.startswith("MLP") and f"{kept:,} steps" in chosen, chosen
            assert not page.get_by_text("No models yet").count() and not exceptions(page), exceptions(page)
    except Exception as err:
        raise with_log([log], err) from err
    finally:
        page.close()


def test_a_run_made_on_one_replica_is_found_on_the_other(browser, tmp_path):
    logs = [tmp_path / "replica-1.log", tmp_path / "replica-2.log"]
    try:
        with running_app(logs[0]) as (first, _), running_app(logs[1]) as (second, _):
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(first + url_path(MLP), timeout=TIMEOUT_MS)
            wait_until_idle(page)
            train_100_steps(page, 100)
            address = page.url.removeprefix(first)
            page.close()

            page = browser.new_page(viewport=VIEWPORT)  # the student's next session lands on the other replica
            page.goto(second + address, timeout=TIMEOUT_MS)
            wait_until_idle(page)
            assert continued_from(page) == 100 and step_shown(page) == 100 and loss_chart_drawn(page)
            train_100_steps(page, 200)
            page.close()

            page = browser.new_page(viewport=VIEWPORT)  # ... and the next one on the first again
            page.goto(first + address, timeout=TIMEOUT_MS)
            wait_until_idle(page)
            assert continued_from(page) == 200 and step_shown(page) == 200
            assert not exceptions(page), exceptions(page)
            page.close()
    except Exception as err:
        raise with_log(logs, err) from err
