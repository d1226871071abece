"""Shared fixtures: the lectures' names.txt (skipped where absent), small word lists, browser screenshots.

The app keeps runs in a store (ui/store): every test process gets its own, an empty SQLite file in a temporary
folder (inherited by the servers the browser tests start), never the repository's var/ or a configured server.
"""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
LECTURE_NAMES = Path(os.environ.get("MAKEMORE_LECTURE_NAMES", ROOT.parent / "shared" / "data" / "names.txt"))

torch.set_num_threads(1)

os.environ.pop("MAKEMORE_STORE_URL", None)
os.environ["MAKEMORE_DATA_DIR"] = STORE_DIR = tempfile.mkdtemp(prefix="makemore-test-store-")
atexit.register(shutil.rmtree, STORE_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def lecture_names_path() -> Path:
    if not LECTURE_NAMES.is_file():
        pytest.skip(f"the lectures' names.txt is not at {LECTURE_NAMES} (set MAKEMORE_LECTURE_NAMES to its path)")
    return LECTURE_NAMES


@pytest.fixture(scope="session")
def lecture_data(lecture_names_path):
    from makemore.data import load_data
    return load_data(lecture_names_path)


@pytest.fixture(scope="session")
def default_data():
    from makemore.data import load_data
    return load_data()


@pytest.fixture
def screenshots(tmp_path):
    """save(page or locator, name): a PNG of it in tmp_path (and in $MAKEMORE_SCREENSHOTS when set)."""
    extra = os.environ.get("MAKEMORE_SCREENSHOTS")

    def save(target, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        target.screenshot(path=str(path))
        if extra:
            folder = ROOT / extra  # a relative folder is under the repo; an absolute one stays itself
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / path.name)
        return path

    return save


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app under `streamlit run` on a free port, for a test module's browser tests."""
    from tests.streamlit_server import running_app
    with running_app(tmp_path_factory.mktemp("streamlit") / "server.log") as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), for a test module's browser tests."""
    from tests.browser import headless_chromium
    with headless_chromium() as chromium:
        yield chromium
