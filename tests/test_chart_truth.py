"""Charts that tell the truth at a glance: a smoothed loss that does not lag, pins told apart, zeros that
look like zeros."""
import numpy as np
import pandas as pd

from makemore.charts.bigram import ZERO_COLOR, pair_heatmap
from makemore.charts.core import window_means, window_width
from makemore.charts.training import loss_chart


def true_loss(step):
    """A hockey stick: 27 plunging within the first few hundred steps, then a slow descent towards 2.1."""
    return 2.1 + 23 * np.exp(-step / 150) + 1.5 * np.exp(-step / 3000)


def falling_curve(steps: int) -> pd.DataFrame:
    step = np.arange(steps)
    return pd.DataFrame({"step": step, "loss": true_loss(step) + 0.3 * np.sin(step)})  # minibatch noise


def test_window_means_sit_on_the_curve_where_a_trailing_average_lags():
    curve = falling_curve(56_000)
    windows = window_means(curve)
    assert len(windows) <= 100 and window_width(56_000) == 1000
    # away from the first window (where the curve bends within one window), each mean is the curve at its middle
    later = windows["first"] >= 1000
    assert np.abs(windows.loc[later, "loss"] - true_loss(windows.loc[later, "step"])).max() < 0.02
    # the old smoother, a trailing mean of len/40 rows, lagged ten times as much around step 2,000
    trailing = curve["loss"].rolling(len(curve) // 40, min_periods=1).mean()
    assert (trailing[2000:3000] - true_loss(np.arange(2000, 3000))).min() > 0.15


def test_the_band_holds_the_middle_of_each_windows_losses():
    curve = falling_curve(2000)
    windows = window_means(curve)
    for row in windows.itertuples():
        inside = curve[(curve["step"] >= row.first) & (curve["step"] <= row.last)]["loss"]
        assert row.low <= row.loss <= row.high
        assert row.low == np.quantile(inside, 0.1) and row.high == np.quantile(inside, 0.9)


def test_pinned_runs_are_labelled_and_each_has_its_own_dash():
    live = falling_curve(20_000)
    pins = pd.concat([falling_curve(1000).assign(run="gain 1"), falling_curve(800).assign(run="gain 5/3")])
    spec = loss_chart(live, pinned=pins).to_dict()
    layers = spec["layer"]
    labels = [layer for layer in layers if layer.get("mark", {}).get("type") == "text"
              and layer["encoding"].get("text", {}).get("field") == "label"]
    assert len(labels) == 1
    label_rows = [d for name, d in spec["datasets"].items()
                  if any("label" in row for row in d)]
    assert sorted(row["label"] for row in label_rows[0]) == ["pinned: gain 1", "pinned: gain 5/3"]
    dashes = next(layer["encoding"]["strokeDash"]["scale"]["range"] for layer in layers
                  if "strokeDash" in layer.get("encoding", {}))
    assert len({tuple(d) for d in dashes}) == 2


def test_the_x_axis_can_end_at_the_pins_last_step():
    live = falling_curve(20_000)
    pins = falling_curve(1000).assign(run="gain 1")
    spec = loss_chart(live, pinned=pins, x_max=999).to_dict()
    domains = {str(layer["encoding"]["x"].get("scale", {}).get("domain")) for layer in spec["layer"]
               if "x" in layer.get("encoding", {}) and layer["encoding"]["x"].get("field") == "step"}
    assert domains == {"[0, 999]"}


def test_zero_cells_are_grey_and_small_values_never_read_as_zero():
    frame = pd.DataFrame({"first": ["a", "a", "b"], "second": ["a", "b", "a"], "pair": ["aa", "ab", "ba"],
                          "value": [0.0, 0.0004, 0.6], "row": [0, 0, 1], "col": [0, 1, 0]})
    spec = pair_heatmap(frame, "probability", ".2f").to_dict()
    cells = spec["layer"][0]
    assert cells["encoding"]["color"]["condition"] == {"test": "datum.zero", "value": ZERO_COLOR}
    rows = next(iter(spec["datasets"].values()))
    shown = {row["pair"]: row["shown"] for row in rows}
    assert shown == {"aa": "0", "ab": "<0.01", "ba": "0.60"}
    assert [row["zero"] for row in rows] == [True, False, False]


def test_settings_side_by_side_read_like_the_controls_and_put_the_differences_first():
    from ui.setting_names import settings_frame
    runs = [("run", {"family": "deep_mlp", "gain": 1.0, "batchnorm": True, "bias": None, "lr": 0.1}),
            ("run", {"family": "mlp", "w1_gain": 5 / 3, "batchnorm": "std", "b1_scale": None, "lr": 0.1})]
    table = settings_frame(runs)
    assert list(table.columns) == ["differs", "run", "run (2)"]
    assert list(table.index[:4]) == ["model", "init gain", "BatchNorm", "W1 gain"]  # what differs comes first
    assert table.loc["model"].tolist() == ["✱", "deep MLP", "MLP"]
    assert table.loc["BatchNorm"].tolist() == ["✱", "on", "on (part 3: std, no eps)"]
    assert table.loc["learning rate"].tolist() == ["", "0.1", "0.1"]
    assert "Linear biases" not in table.index and "b1 scale" not in table.index  # no run sets them


def test_download_names_are_short_plain_and_say_what_they_hold():
    from ui.export import file_name
    label = "1x200 tanh, BN on, gain 5/3 (Kaiming, tanh), out x0.1, lr 0.1"
    assert file_name(label, "statistics", suffix=".csv") == \
        "makemore-1x200-tanh-bn-on-gain-5-3-kaiming-tanh-out-x0.1-lr-0.1-statistics.csv"
    assert file_name("names", "Backprop · hand-written twin", "seed 42", suffix=".txt") == \
        "makemore-names-backprop-hand-written-twin-seed-42.txt"
    assert len(file_name("x" * 500, suffix=".pt")) <= 83 and file_name("**[a](b)**", suffix=".pt") == "makemore-a-b.pt"
