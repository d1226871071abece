"""The class server (deploy/class-server.sh): HAProxy in front of two Streamlit replicas, two students in
headless Chromium. They land on different replicas, each trains and keeps its own runs, a checkpoint goes down and
back up through the proxy, a killed replica is started again and its student's page reconnects and continues its
run (kept in the store the replicas share), the student's next session on the other replica finds it too, and
Ctrl-C leaves no process behind. Also: the proxy configurations pass `haproxy -c`."""
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest
import torch

from tests.browser import (
    CHROMIUM,
    TIMEOUT_MS,
    VIEWPORT,
    headless_chromium,
    press_until,
    wait_until_idle,
    widget,
)
from tests.class_server import COOKIE, HAPROXY, SCRIPT, class_server
from tests.conftest import ROOT
from tests.streamlit_server import url_path

DIAGNOSTICS = url_path("pages/3_Activations_and_BatchNorm.py")
STEP_COUNTER = re.compile(r"Step ([\d,]+)")
CONTINUED = re.compile(r"Continued from step ([\d,]+)")  # a run brought back from the store (docs/store.md)
TARGET_STEP = 100
RECONNECT_SECONDS = 180  # a replica's restart: Python, torch and Streamlit imported again on a busy machine

pytestmark = pytest.mark.skipif(HAPROXY is None, reason="no haproxy (apt-get install haproxy)")


def test_the_proxy_configurations_are_valid(tmp_path):
    """The one-machine script's (with its replicas written out) and Docker Compose's."""
    check = subprocess.run(["bash", str(SCRIPT), "--replicas", "3", "--logs", str(tmp_path), "--check"],
                           cwd=ROOT, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert (tmp_path / "replicas.cfg").read_text().count("cookie r") == 3
    compose = subprocess.run([HAPROXY, "-c", "-f", "deploy/haproxy.cfg", "-f", "deploy/docker/replicas.cfg"],
                             cwd=ROOT, capture_output=True, text=True, check=False,
                             env={**os.environ, "MAKEMORE_BIND": ":8501"})
    assert compose.returncode == 0, compose.stdout + compose.stderr


def student(browser, url: str):
    """A browser of its own (its own cookies: its own replica), on `url`."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    wait_until_idle(page)
    return context, page


def replica_of(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == COOKIE)


def step_counter(page) -> int:
    text = page.locator("strong", has_text=STEP_COUNTER).first.inner_text()
    return int(STEP_COUNTER.search(text).group(1).replace(",", ""))


def train(page, steps: int) -> str:
    """Train past `steps`, then pause; the status line seen while training."""
    press_until(page, "diag_train", widget(page, "diag_pause"))
    page.wait_for_function(f"""() => [...document.querySelectorAll('strong')].some(el => {{
        const m = el.innerText.match(/Step ([\\d,]+)/);
        return m && parseInt(m[1].replace(/,/g, '')) > {steps};
    }})""", timeout=TIMEOUT_MS)
    status = page.locator("p:has(strong)", has_text=STEP_COUNTER).first.inner_text()  # not the Step buttons
    press_until(page, "diag_pause", widget(page, "diag_train"))
    wait_until_idle(page)
    return status


def open_compare(page) -> list[str]:
    """Go to the Compare page in the same session (the sidebar); the runs it lists."""
    page.locator('[data-testid="stSidebar"] a', has_text="Compare").first.click()
    page.get_by_text("Manage and export").wait_for(timeout=TIMEOUT_MS)
    wait_until_idle(page)
    return page.locator('[data-testid="stExpander"] summary').all_inner_texts()


def continued_from(page) -> int:
    """The step of the notice that says the page continued a run kept in the store (waits for it)."""
    notice = page.get_by_text(CONTINUED).first
    notice.wait_for(timeout=TIMEOUT_MS)
    wait_until_idle(page)
    return int(CONTINUED.search(notice.inner_text()).group(1).replace(",", ""))


def on_replica(browser, url: str, replica: str):
    """A new session of the same student (the address with its session code) that lands on `replica`."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_cookies([{"name": COOKIE, "value": replica, "url": url}])
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    wait_until_idle(page)
    return context, page


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
def test_two_students_on_two_replicas_through_the_proxy(tmp_path):
    with class_server(2, tmp_path / "class") as server, headless_chromium() as browser:
        try:
            context_a, a = student(browser, server.url + DIAGNOSTICS)
            context_b, b = student(browser, server.url + DIAGNOSTICS + "?depth=4")  # a link: one layer fewer
            assert {replica_of(context_a), replica_of(context_b)} == {"r1", "r2"}  # one each: the fewest connections

            for page in (a, b):  # each replica serves one session, and says so while it trains
                assert "alone on this server" in train(page, TARGET_STEP)
                assert step_counter(page) > TARGET_STEP
            paused_a = step_counter(a)
            runs_a, runs_b = open_compare(a), open_compare(b)
            assert len(runs_a) == 1 and "5x100 tanh" in runs_a[0], runs_a  # each keeps its own run, only its own
            assert len(runs_b) == 1 and "4x100 tanh" in runs_b[0], runs_b

            # a checkpoint down and back up through the proxy: its media and its upload reach A's replica
            a.locator('[data-testid="stExpander"] summary').first.click()
            with a.expect_download(timeout=TIMEOUT_MS) as download:
                a.locator('[class*="st-key-compare_ckpt_"] button').first.click()
            checkpoint = tmp_path / "a.pt"
            download.value.save_as(checkpoint)
            saved = torch.load(checkpoint, weights_only=True)
            assert saved["config"]["n_layers"] == 5, saved["config"]
            a.locator(".st-key-compare_upload input[type='file']").set_input_files(str(checkpoint))
            a.wait_for_function("""() => document.querySelectorAll('[data-testid="stExpander"] summary').length == 2""",
                                timeout=TIMEOUT_MS)  # restored: the run and its copy

            a.locator('[data-testid="stSidebar"] a', has_text="Activations").first.click()  # back to A's run
            a.locator("strong", has_text=f"Step {paused_a:,}").first.wait_for(timeout=TIMEOUT_MS)
            wait_until_idle(a)
            address_a = a.url  # the page's address, with A's session code

            # A's replica dies: it is started again, A's page reconnects, and A's next click (a new session, with
            # A's session code from the address) continues A's run where it was kept: the replicas share the store
            number = int(replica_of(context_a)[1:])
            killed = server.replica_pid(number)
            os.kill(killed, signal.SIGKILL)
            deadline = time.monotonic() + RECONNECT_SECONDS
            while not (server.replica_pid(number) not in (None, killed)
                       and healthy(server.first_replica_port + number - 1)):
                assert time.monotonic() < deadline, f"replica {number} was not started again:\n{server.output()}"
                time.sleep(1)
            press_until(a, "diag_step1", a.get_by_text(CONTINUED).first, tries=RECONNECT_SECONDS * 3 // 60)
            assert continued_from(a) == paused_a and step_counter(a) == paused_a + 1
            assert not a.locator('[data-testid="stException"]').count()
            other = "r2" if replica_of(context_a) == "r1" else "r1"
            context_c, c = on_replica(browser, address_a, other)  # A's next session lands on the other replica
            assert replica_of(context_c) == other and continued_from(c) == paused_a + 1  # as A left it
            assert len(open_compare(c)) == 2  # A's run and its uploaded copy, kept
            b.locator('[data-testid="stSidebar"] a', has_text="Activations").first.click()
            trained = b.locator("strong", has_text=re.compile(r"^Step [1-9]"))  # B, on the other replica, kept its run
            trained.first.wait_for(timeout=TIMEOUT_MS)
        except Exception as err:
            shots = [tmp_path / f"student-{i}.png" for i, _ in enumerate(browser.contexts)]
            for context, shot in zip(browser.contexts, shots):
                context.pages[0].screenshot(path=shot)
            raise AssertionError(f"{err}\n\nwhat the students saw: {[str(shot) for shot in shots]}\n"
                                 f"the class server's output:\n{server.output()}") from err
