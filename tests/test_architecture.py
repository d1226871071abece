"""The layers of the house: the core package never imports Streamlit, so every number it computes is testable
without a browser and the command line reuses it all."""
import subprocess
import sys

from tests.conftest import ROOT


def test_makemore_never_imports_streamlit():
    # a fresh interpreter imports every module of makemore/ and says whether streamlit got loaded on the way
    probe = (
        "import pkgutil, sys, importlib, makemore\n"
        "for m in pkgutil.walk_packages(makemore.__path__, 'makemore.'):\n"
        "    if m.name != 'makemore.__main__':  # runs the command line\n"
        "        importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n == 'streamlit' or n.startswith('streamlit.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_probe_sees_a_streamlit_import():
    # the check above must be able to fail: importing the ui package does load streamlit
    probe = "import sys, ui.state\nprint('streamlit' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "True", result.stderr
