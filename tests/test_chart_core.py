"""The shared chart helpers: downsampling per group, cheap layering, the one-row data for guides; live
charts whose spec stays the same while they train."""
import json
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert
from altair.utils import schemapi

from makemore.charts.core import downsample, horizontal_guide, layered
from makemore.charts.sweep import sweep_loss_chart
from makemore.charts.training import loss_chart
from ui import process_tuning


def spaced_reference(n: int, m: int) -> list[int]:
    """The positions downsample keeps of n rows, written the plain way."""
    step = n / m
    return list(range(n)) if n <= m else sorted({int(i * step) for i in range(m)} | {n - 1})


@pytest.mark.parametrize("n, m", [(1, 1), (5, 10), (10, 10), (11, 10), (1000, 7), (2001, 2000), (4999, 333)])
def test_downsample_keeps_evenly_spaced_rows_and_the_last(n, m):
    frame = pd.DataFrame({"v": np.arange(n)})
    assert list(downsample(frame, m)["v"]) == spaced_reference(n, m)


def test_downsample_by_group_spaces_each_group_alone_and_keeps_the_row_order():
    rng = np.random.default_rng(0)
    groups = rng.choice(["a", "b", "c"], size=3000, p=[0.6, 0.3, 0.1])
    frame = pd.DataFrame({"name": groups, "run": rng.integers(0, 2, 3000), "v": np.arange(3000)})
    for by in ("name", ["name", "run"]):
        kept = downsample(frame, 200, by=by)
        assert list(kept["v"]) == sorted(kept["v"])  # interleaved groups stay interleaved
        assert list(kept.index) == list(range(len(kept)))
        for key, part in frame.groupby(by):
            rows = part["v"].to_numpy()
            expected = rows[spaced_reference(len(rows), 200)]
            assert list(kept.set_index(by).loc[key, "v"]) == list(expected), key


def test_layered_makes_the_spec_alt_layer_makes():
    frame = pd.DataFrame({"x": [0, 1, 2], "y": [1.0, 4.0, 9.0]})
    line = alt.Chart(frame).mark_line().encode(x="x:Q", y="y:Q")
    dots = alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")
    ours, altairs = layered(line, dots, height=120).to_dict(), alt.layer(line, dots, height=120).to_dict()
    assert ours == altairs
    assert "data" in ours and all("data" not in layer for layer in ours["layer"])  # shared data moved up


def test_a_horizontal_guide_draws_one_rule_and_a_haloed_label_in_a_chart_with_data():
    frame = pd.DataFrame({"x": np.arange(50), "y": np.arange(50.0)})
    line = alt.Chart().mark_line().encode(x="x:Q", y="y:Q")
    spec = layered(line, *horizontal_guide(10.0, "ten", "black"), data=frame).to_dict(validate=True)
    rule, halo, label = spec["layer"][1:]
    for layer in (rule, halo, label):
        assert layer["data"] == {"sequence": {"start": 0, "stop": 1}}  # one row, not the line's 50
        assert layer["encoding"]["y"] == {"datum": 10.0}
    assert halo["mark"]["text"] == label["mark"]["text"] == "ten"
    assert halo["encoding"] == label["encoding"] and halo["mark"]["stroke"] == "white"  # under the label
    assert label["mark"]["color"] == "black" and "stroke" not in label["mark"]
    assert len(spec["datasets"]) == 1  # the line's data only


def test_the_leaf_check_answers_as_altairs_protocol_does():
    process_tuning.tune_process()
    protocol = process_tuning._PlainValueFirst.protocol
    assert schemapi.SchemaLike is process_tuning._SchemaLike  # what Altair's to_dict checks leaf values with
    condition = alt.when(alt.datum.a > 1).then(alt.value("red"))
    for value in ["x", 3, 2.5, True, None, [1], {"a": 1}, condition, alt.X("a:Q"), alt.value(1)]:
        assert isinstance(value, schemapi.SchemaLike) == isinstance(value, protocol), value
    assert isinstance(condition, schemapi.SchemaLike)


def without_data(spec: dict) -> dict:
    """A spec with its datasets left out and their (content-hashed) names made equal."""
    text = json.dumps({k: v for k, v in spec.items() if k != "datasets"})
    return json.loads(re.sub(r'"data-[0-9a-f]+"', '"data"', text))


def y_domain_fields(spec: dict) -> list:
    """What Vega unions into the y scale's domain, from the compiled spec."""
    vega = vl_convert.vegalite_to_vega(spec)
    return next(scale["domain"] for scale in vega["scales"] if scale["name"] == "y")["fields"]


@pytest.mark.slow
def test_the_live_loss_charts_keep_one_spec_while_they_train():
    """Only their data changes from tick to tick, so the browser updates the data in place instead
    of rebuilding the chart; the y range is the data's and the uniform guess's, found by Vega."""
    def losses(steps, start):
        return pd.DataFrame({"step": np.arange(steps), "loss": start * np.exp(-np.arange(steps) / 300) + 2.0})

    early, late = loss_chart(losses(50, 25.0), None, 3.3), loss_chart(losses(900, 1.0), None, 3.3)
    assert without_data(early.to_dict()) == without_data(late.to_dict())
    assert [3.3] in y_domain_fields(late.to_dict())

    def copies(steps, start):
        frame = losses(steps, start)
        return pd.concat([frame.assign(copy=f"gain {g}", value=g, loss=frame["loss"] * g) for g in (1, 2)])

    early, late = sweep_loss_chart(copies(50, 1.0), 3.3), sweep_loss_chart(copies(900, 0.5), 3.3)
    assert without_data(early.to_dict()) == without_data(late.to_dict())
    assert [3.3] in y_domain_fields(late.to_dict())
