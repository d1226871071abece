"""The Export menu offers the charts on screen in this run, not the last run's."""
import pytest

from tests.apptest_helpers import open_page, press_step

PAGE = "pages/3_Activations_and_BatchNorm.py"


@pytest.mark.slow
def test_the_export_menu_lists_the_charts_of_this_run():
    at = open_page(PAGE)
    at = press_step(at, "diag_step1")
    listed = at.selectbox(key="diag_export_chart").options
    assert "linear outputs" not in listed
    at = at.toggle(key="diag_show_linear").set_value(True).run()
    listed = at.selectbox(key="diag_export_chart").options
    assert "linear outputs" in listed  # the chart drawn in this very run: no click behind
    at = at.toggle(key="diag_show_linear").set_value(False).run()
    assert "linear outputs" not in at.selectbox(key="diag_export_chart").options

