"""The projector's look (makemore.charts.projector): every size a chart sets is raised to the projector's, the
spec stays valid Vega-Lite, and nothing is cut or squeezed."""
import altair as alt
import numpy as np
import pandas as pd

from makemore.charts.bigram import pair_heatmap
from makemore.charts.projector import MIN_TEXT_PX, for_projector
from makemore.charts.training import loss_chart, update_ratio_chart

BLOCKS = ["embedding", "hidden 1", "hidden 2", "hidden 3", "hidden 4", "hidden 5", "output"]


def updates() -> pd.DataFrame:
    steps = np.arange(0, 100, 10)
    return pd.DataFrame([{"step": s, "name": f"{b} W", "block": b, "log10_ratio": -3.0} for b in BLOCKS for s in steps])


def losses() -> pd.DataFrame:
    return pd.DataFrame({"step": np.arange(200), "loss": np.linspace(3.3, 2.2, 200)})


def font_sizes(node) -> list[float]:
    """Every font size the spec sets itself (marks, guides, config)."""
    if isinstance(node, list):
        return [size for item in node for size in font_sizes(item)]
    if not isinstance(node, dict):
        return []
    own = [v for k, v in node.items()
           if k in ("fontSize", "labelFontSize", "titleFontSize") and isinstance(v, (int, float))]
    if node.get("type") == "text" and isinstance(node.get("size"), (int, float)):
        own.append(node["size"])
    return own + [size for k, v in node.items() if k not in ("data", "datasets") for size in font_sizes(v)]


def test_every_font_size_a_chart_sets_is_raised_to_the_minimum_and_the_spec_stays_valid():
    frame = pd.DataFrame([{"first": a, "second": b, "pair": a + b, "value": 0.1, "row": i, "col": j}
                          for i, a in enumerate("abc") for j, b in enumerate("abc")])
    for chart in (pair_heatmap(frame, "probability", ".2f"), update_ratio_chart(updates(), height=175),
                  loss_chart(losses(), reference=3.3)):
        plain = chart.to_dict()
        assert min(font_sizes(plain), default=0) < MIN_TEXT_PX  # small sizes of their own, or none at all
        projected = for_projector(chart.to_dict())
        assert min(font_sizes(projected)) >= MIN_TEXT_PX
        assert projected["config"]["axis"]["labelLimit"] == 0  # no axis label cut with "…"
        alt.Root.validate(projected)


def test_lines_get_thicker_and_a_long_legend_goes_in_two_columns_beside_a_short_chart():
    spec = for_projector(update_ratio_chart(updates(), height=175).to_dict())
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    assert line["mark"]["strokeWidth"] > 1.8 * 1.5
    assert line["encoding"]["color"]["legend"]["columns"] == 2  # seven layers
    assert isinstance(line["encoding"]["y"]["title"], list)  # in lines: along a short chart's height


def test_a_long_title_is_wrapped_never_cut():
    chart = loss_chart(losses(), reference=3.3)
    chart.title = "Training loss: hand-written backward pass and autograd"
    spec = for_projector(chart.to_dict())
    assert len(spec["title"]) == 2 and " ".join(spec["title"]) == chart.title
    assert spec["config"]["title"]["limit"] == 0
