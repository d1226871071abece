"""The charts that look inside the network (issue 19): the weight heatmaps, a neuron's contexts and histogram,
the pickable saturation image, the live embedding's steady axes; all valid Vega-Lite."""
import re

import altair as alt
import numpy as np
import pandas as pd
import torch
import vl_convert

from makemore.charts import weights as weight_charts
from makemore.charts.backprop import VERDICT_COLORS, gradcheck_chart
from makemore.charts.mlp import embedding_chart
from makemore.charts.neurons import neuron_contexts_chart, neuron_histogram_chart
from makemore.charts.training import NEURON_PICK, saturation_image
from makemore.lessons.mlp import grown_extent
from makemore.stats import weights as W
from makemore.stats.diagnostics import ParamRecord, Snapshot


def frame_of(*shapes):
    generator = torch.Generator().manual_seed(0)
    params = [ParamRecord(name, block, shape, torch.randn(shape, generator=generator),
                          torch.randn(shape, generator=generator) * 1e-2)
              for name, block, shape in zip(["C", "layers.0.weight", "layers.3.weight"],
                                            ["embedding", "hidden 1", "output"], shapes)]
    snap = Snapshot(3, 0.1, [], params, torch.zeros(len(params)))
    return W.weight_frame(snap, W.grown_scales(snap))


def test_the_weight_heatmaps_are_one_faceted_chart_a_row_per_matrix():
    frame = frame_of((27, 10), (200, 64), (200, 27))
    with alt.data_transformers.enable(max_rows=None):  # past Altair's 5,000 rows (Streamlit has no such limit)
        spec = weight_charts.weight_heatmaps(frame).to_dict(validate=True)
    rows, columns = spec["encoding"]["row"], spec["encoding"]["column"]
    assert rows["field"] == "matrix" and rows["sort"] == list(dict.fromkeys(frame["matrix"]))
    assert columns["field"] == "panel" and columns["sort"] == list(W.PANELS)
    assert spec["resolve"] == {"scale": {"x": "independent", "y": "independent"}}  # each matrix its own axes
    assert spec["encoding"]["color"]["scale"]["domain"] == [-1, 1] and spec["mark"]["type"] == "rect"
    (values,) = spec["datasets"].values()
    assert len(values) == len(frame) == 2 * (27 * 10 + 50 * 64 + 50 * 27)


def test_the_legend_reads_the_shades_linearly_for_the_weights_and_in_decades_for_the_update():
    assert weight_charts.UPDATE_DECADES == W.UPDATE_DECADES
    assert list(W.update_shade(np.array([1e-3, -1.0, 1e-5, 0.0]), 1.0)) == [0.25, -1.0, 0.0, 0.0]
    svg = vl_convert.vegalite_to_svg(weight_charts.weight_heatmaps(frame_of((5, 4))).to_dict())
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"−1 | −1e0", "−0.25 | −1e−3", "+0.25 | +1e−3", "+1 | +1e0"} <= set(labels)  # ±1/4: the lecture's 1e-3
    assert "C (embedding, 5×4)" in labels and set(W.PANELS) <= set(labels)


def test_no_weights_is_a_message():
    assert weight_charts.weight_heatmaps(frame_of()).to_dict()["mark"]["type"] == "text"


def test_the_contexts_chart_runs_from_the_highest_to_the_lowest_with_the_next_character():
    frame = pd.DataFrame({"end": ["highest"] * 2 + ["lowest"] * 2, "rank": [1, 2, 1, 2],
                          "context": ["..e", "mma", "ab.", "<b>"], "next": ["m", ".", "a", "c"],
                          "activation": [0.99, 0.8, -0.97, -0.5], "windows": [10, 3, 1, 2]})
    spec = neuron_contexts_chart(frame).to_dict(validate=True)
    order = spec["encoding"]["y"]["sort"]
    assert order == ["..e → m", "mma → .", "<b> → c", "ab. → a"]  # by activation, a context is text
    assert spec["encoding"]["color"]["scale"]["domain"] == ["highest", "lowest"]


def test_the_histogram_marks_the_flat_tails():
    frame = pd.DataFrame({"x": [-0.75, -0.25, 0.25, 0.75], "windows": [4, 1, 1, 2], "share": [0.5, 0.125, 0.125, 0.25],
                          "flat": [True, False, False, True]})
    spec = neuron_histogram_chart(frame, 7).to_dict(validate=True)
    assert spec["encoding"]["x"]["title"] == "activation of unit 7"
    rows = list(spec["datasets"].values())[0]
    assert [(r["low"], r["high"]) for r in rows] == [(-1.0, -0.5), (-0.5, 0.0), (0.0, 0.5), (0.5, 1.0)]
    assert neuron_histogram_chart(frame.assign(windows=0), 7).to_dict()["mark"]["type"] == "text"


def test_the_saturation_image_can_offer_its_neurons_to_a_click():
    frame = pd.DataFrame({"example": [0, 0, 1, 1], "neuron": [0, 1, 0, 1], "dead": [True, False, True, True]})
    assert "params" not in saturation_image(frame).to_dict(validate=True)
    params = saturation_image(frame, pickable=True).to_dict(validate=True)["params"]
    assert params[0]["name"] == NEURON_PICK and params[0]["select"] == {"type": "point", "fields": ["neuron"],
                                                                         "on": "click"}


def test_the_check_bars_and_the_graph_share_one_colour_blind_safe_palette():
    table = pd.DataFrame({"tensor": ["a", "b", "c"], "maxdiff": [0.0, 1e-9, 0.1], "exact": [True, False, False],
                          "approximate": [True, True, False]})
    scale = gradcheck_chart(table).to_dict(validate=True)["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"])) == VERDICT_COLORS
    assert VERDICT_COLORS["wrong"] == "#D55E00" and VERDICT_COLORS["exact"] == "#009E73"  # Okabe-Ito


def test_the_live_embedding_plot_keeps_axes_that_only_widen():
    first = pd.DataFrame({"label": ["a", "b"], "kind": ["vowel", "other"], "x": [-2.0, 1.0], "y": [0.5, 3.0]})
    extent = grown_extent(first)
    assert extent == (-2.0, 1.0, 0.5, 3.0)
    tighter = first.assign(x=[-0.5, 0.5], y=[1.0, 4.0])  # a cluster tightens, one dot leaves upwards
    extent = grown_extent(tighter, extent)
    assert extent == (-2.0, 1.0, 0.5, 4.0)
    dots = embedding_chart(tighter, "embedding dimension", extent=extent).to_dict(validate=True)["layer"][0]
    assert dots["encoding"]["x"]["scale"]["domain"] == [-2.0, 1.0]
    assert dots["encoding"]["y"]["scale"]["domain"] == [0.5, 4.0]
    free = embedding_chart(tighter, "embedding dimension").to_dict(validate=True)["layer"][0]
    assert "domain" not in free["encoding"]["x"]["scale"]
