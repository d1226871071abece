"""A real `streamlit run streamlit_app.py` on a free localhost port, for the browser test and the load test."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

from tests.conftest import ROOT
from ui.navigation import page_name

START_TIMEOUT = 90  # seconds for the server to answer its health check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(log_path: Path, port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """(base URL, server process) of a headless server on `port` (a free one by default), stopped on exit; its
    output goes to log_path (appended: a server restarted on the same log keeps the first one's)."""
    port = port or free_port()
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
             "--browser.gatherUsageStats", "false"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, server)
            yield url, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"streamlit did not answer within {START_TIMEOUT} s")


def url_path(page_file: str) -> str:
    """pages/3_Activations_and_BatchNorm.py -> /Activations_and_BatchNorm; the home page is /."""
    return "/" + page_name(page_file)


def resident_bytes(pid: int) -> int:
    """A process's resident memory (VmRSS from /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) * 1024
