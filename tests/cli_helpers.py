"""Running `python -m makemore` the way a user does, for the command-line tests."""
import json
import subprocess
import sys

from tests.conftest import ROOT


def run(*args, check=True):
    """The finished process; with check, it must have exited 0."""
    proc = subprocess.run([sys.executable, "-m", "makemore", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def last_json(proc):
    """The JSON object on the last stdout line (train's summary)."""
    return json.loads(proc.stdout.strip().splitlines()[-1])
