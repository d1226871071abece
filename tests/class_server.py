"""deploy/class-server.sh on free localhost ports, for the class-server test and the load test: HAProxy and N
Streamlit replicas, started and stopped the way a teacher does (the script, then Ctrl-C)."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT
from tests.streamlit_server import free_port

SCRIPT = ROOT / "deploy" / "class-server.sh"
HAPROXY = shutil.which("haproxy")
READY = "class server ready"  # the script's line once every replica answers its health check
START_TIMEOUT = 240  # seconds: N replicas import torch at once on a 2-core machine
STOP_TIMEOUT = 60
COOKIE = "MAKEMORE_REPLICA"  # deploy/haproxy.cfg's affinity cookie; its value is the replica's name, r1, r2, ...


@dataclass
class ClassServer:
    url: str  # the proxy's
    script: subprocess.Popen
    first_replica_port: int
    replicas: int
    log_dir: Path

    def replica_pid(self, number: int) -> int | None:
        """The pid of the Streamlit process now serving replica `number` (1-based), if one runs."""
        flag = f"--server.port\0{self.first_replica_port + number - 1}\0".encode()
        return next((pid for pid, cmdline in group_processes(self.script.pid) if flag in cmdline), None)

    def proxy_pid(self) -> int | None:
        return next((pid for pid, cmdline in group_processes(self.script.pid) if cmdline.startswith(b"haproxy")), None)

    def output(self) -> str:
        """The script's output and the end of each replica's log, for a failure's message."""
        parts = [(self.log_dir / "script.out").read_text(errors="replace")]
        for log in sorted(self.log_dir.glob("replica-*.log")):
            parts.append(f"--- {log.name}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(parts)


def group_processes(pgid: int) -> list[tuple[int, bytes]]:
    """(pid, NUL-separated command line) of every live process in process group `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append((int(entry.name), (entry / "cmdline").read_bytes()))
        except (OSError, IndexError, ValueError):
            continue  # it ended while we looked
    return found


def free_port_block(count: int) -> int:
    """The first of `count` consecutive free localhost ports."""
    for _ in range(50):
        first = free_port()
        with contextlib.ExitStack() as stack:
            try:
                for port in range(first, first + count):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


@contextlib.contextmanager
def class_server(replicas: int, log_dir: Path, streamlit_options: tuple[str, ...] = ()) -> Iterator[ClassServer]:
    """The script serving `replicas` replicas on 127.0.0.1, stopped with SIGINT (Ctrl-C) on exit; raises
    if anything it started is still running STOP_TIMEOUT s later."""
    log_dir.mkdir(parents=True, exist_ok=True)
    port, first = free_port(), free_port_block(replicas)
    with open(log_dir / "script.out", "wb") as out:
        script = subprocess.Popen(
            ["bash", str(SCRIPT), "--replicas", str(replicas), "--port", str(port), "--bind", "127.0.0.1",
             "--first-replica-port", str(first), "--logs", str(log_dir), "--", *streamlit_options],
            cwd=ROOT, env={**os.environ, "PYTHON": sys.executable}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: what is left of it after the stop can be found
        server = ClassServer(f"http://127.0.0.1:{port}", script, first, replicas, log_dir)
        try:
            _wait_ready(server)
            yield server
        finally:
            stop(server)


def _wait_ready(server: ClassServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while READY not in (server.log_dir / "script.out").read_text(errors="replace"):
        if server.script.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the class server did not start (status {server.script.poll()}):\n{server.output()}")
        time.sleep(0.5)


def stop(server: ClassServer) -> None:
    """Ctrl-C, as in a terminal: SIGINT to the script's whole process group; then nothing of it may be left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.script.pid, signal.SIGINT)
    deadline = time.monotonic() + STOP_TIMEOUT
    while group_processes(server.script.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = group_processes(server.script.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.script.pid, signal.SIGKILL)
    server.script.wait()
    if left:
        raise AssertionError(f"still running {STOP_TIMEOUT} s after Ctrl-C: "
                             + "; ".join(cmd.replace(b"\0", b" ").decode(errors="replace") for _, cmd in left))
