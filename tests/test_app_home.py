"""The home page, rendered with Streamlit's AppTest."""
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_home_shows_the_data_set_size(default_data):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.metric[0].value == f"{len(default_data.words):,}"
