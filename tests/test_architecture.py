"""The layers of the house: the core package never imports Streamlit, so every number it computes is testable
without a browser and the command line reuses it all; nor does the store (ui/store), which the app layer
wraps and the command line `python -m ui.store` uses alone."""
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def streamlit_modules_after_importing(package: str) -> list[str]:
    """The streamlit modules a fresh interpreter has loaded once it imports every module of `package`
    (except its __main__, which runs a command line)."""
    probe = (
        f"import importlib, json, pkgutil, sys, {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        f"    if m.name != '{package}.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "print(json.dumps(sorted(n for n in sys.modules if n == 'streamlit' or n.startswith('streamlit.'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("package", ["makemore", "ui.store"])
def test_the_core_and_the_store_never_import_streamlit(package):
    assert streamlit_modules_after_importing(package) == []


def test_the_probe_sees_a_streamlit_import():
    # the check above must be able to fail: importing the ui package does load streamlit
    probe = "import sys, ui.state\nprint('streamlit' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "True", result.stderr
