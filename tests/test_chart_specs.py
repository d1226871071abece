"""Every chart a page draws is a valid Vega-Lite spec (the pages skip Altair's validation to redraw faster)."""
import altair as alt
import pytest

from tests.apptest_helpers import open_page, press_step
from ui.export import CHARTS, unchecked

PAGES = {  # page -> (widget-key prefix, the Step button that fills its live charts, or None)
    "pages/0_Data.py": ("data", None),
    "pages/1_Bigram.py": ("bigram", "bigram_step100"),
    "pages/3_Activations_and_BatchNorm.py": ("diag", "diag_step100"),
    "pages/2_MLP.py": ("mlp", "mlp_step100"),
    "pages/4_Backprop.py": ("backprop", "backprop_step100"),
    "pages/5_WaveNet.py": ("wavenet", "wavenet_step1000"),
    "pages/7_Models.py": ("models", "models_step100"),
}
INSIDE_VIEWS = ("diag", "mlp")  # pages with the weights and neuron views (opened here: their charts are checked too)


@pytest.mark.slow
@pytest.mark.parametrize("page", list(PAGES))
def test_every_chart_on_the_page_validates_against_the_schema(page):
    prefix, step = PAGES[page]
    at = open_page(page, **{f"{prefix}_weights_open": True, f"{prefix}_neurons_open": True})  # the views inside
    if step:
        at = press_step(at, step)
    assert not at.exception, at.exception
    drawn = at.session_state[CHARTS][prefix]
    assert len(drawn) >= 2
    if prefix in INSIDE_VIEWS:
        assert {"weights", "neuron histogram", "neuron contexts"} <= set(drawn)
    for name, chart in drawn.items():
        chart.to_dict(validate=True)  # raises SchemaValidationError on a bad spec
        assert unchecked(chart).to_dict() == chart.to_dict(), name


def test_a_bad_spec_is_caught_by_validation_but_not_by_the_unchecked_copy():
    bad = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x=alt.X("a:Q"))
    bad.width = "wide"  # attributes are not checked when set, only when the chart is converted
    with pytest.raises(Exception, match="wide"):
        bad.to_dict(validate=True)
    assert unchecked(bad).to_dict()["width"] == "wide"
