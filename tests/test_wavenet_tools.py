"""Part 5's helpers: the layer table, BatchNorm statistics, loss averages, the dilated tree, the performance log."""
import numpy as np
import pandas as pd
import pytest
import torch

from makemore.charts.wavenet import dilated_tree_chart, running_mean_chart, smoothed_loss_chart
from makemore.lessons.wavenet import (
    LECTURE_LOG,
    batchnorm_table,
    block_means,
    context_windows,
    dilated_tree,
    layer_table,
    lecture_step,
    level_groups,
    performance_row,
    running_mean_frame,
    shared_units,
)
from makemore.models import ConfigError, WaveNetConfig, build_model

# the lecture's printout for its scaled-up net, a batch of 4: (layer, output shape, parameters)
LECTURE_LAYERS = [
    ("Embedding", (4, 8, 24), 648), ("FlattenConsecutive", (4, 4, 48), 0), ("Linear", (4, 4, 128), 6144),
    ("BatchNorm1d", (4, 4, 128), 256), ("Tanh", (4, 4, 128), 0), ("FlattenConsecutive", (4, 2, 256), 0),
    ("Linear", (4, 2, 128), 32768), ("BatchNorm1d", (4, 2, 128), 256), ("Tanh", (4, 2, 128), 0),
    ("FlattenConsecutive", (4, 256), 0), ("Linear", (4, 128), 32768), ("BatchNorm1d", (4, 128), 256),
    ("Tanh", (4, 128), 0), ("Linear", (4, 27), 3483),
]


def test_layer_table_is_the_lectures():
    table = layer_table(WaveNetConfig())
    shown = list(zip(table["name"], table["output shape"], table["params"]))
    assert shown == [(name, str(shape), params) for name, shape, params in LECTURE_LAYERS]
    assert table["params"].sum() == 76_579
    assert table["block"].tolist()[:2] == ["embedding", "hidden 1"] and table["block"].iloc[-1] == "output"


@pytest.mark.parametrize("block_size, levels, groups", [(8, 1, (8,)), (8, 2, (2, 4)), (8, 3, (2, 2, 2)),
                                                        (16, 2, (4, 4)), (3, 1, (3,)), (12, 2, (3, 4))])
def test_levels_split_the_context(block_size, levels, groups):
    assert level_groups(block_size, levels) == groups


def test_impossible_levels_are_explained():
    with pytest.raises(ConfigError, match="at most 1 level, not 2"):
        level_groups(3, 2)


def test_the_lecture_log_networks_have_the_lectures_sizes():
    sizes = [int(layer_table(step.config)["params"].sum()) for step in LECTURE_LOG]
    assert sizes == [12_097, 22_097, 22_397, 22_397, 76_579]  # 12K, 22K, 22K, 22K, 76K in the lecture's log
    assert [step.config.bn_dim0_bug for step in LECTURE_LOG] == [False, False, True, False, False]


def test_the_bug_keeps_statistics_per_position():
    fixed, buggy = batchnorm_table(WaveNetConfig()), batchnorm_table(WaveNetConfig(bn_dim0_bug=True))
    assert fixed["numbers averaged"].tolist() == [128, 64, 32]
    assert fixed["running mean"].tolist() == ["(128,)"] * 3
    assert buggy["numbers averaged"].tolist() == [32, 32, 32]
    assert buggy["running mean"].tolist() == ["(4, 128)", "(2, 128)", "(128,)"]


def test_running_mean_frame_has_a_line_per_position_with_the_bug():
    model = build_model(WaveNetConfig(bn_dim0_bug=True), torch.Generator().manual_seed(1))
    model.logits(torch.randint(0, 27, (32, 8)))
    frame = running_mean_frame(model, channels=5)
    assert frame["position"].unique().tolist() == [f"position {i}" for i in range(4)]
    first_bn = model.layers[3]
    assert frame[frame["position"] == "position 2"]["value"].to_numpy() == pytest.approx(
        first_bn.running_mean[2, :5].numpy())
    assert running_mean_frame(build_model(WaveNetConfig()))["position"].unique().tolist() == ["all positions"]
    assert running_mean_chart(frame).to_dict()["encoding"]["color"]["field"] == "position"


def test_the_running_mean_chart_of_an_untrained_net_has_a_readable_axis():
    """Before training every running mean is 0: a y range of [0, 0] would draw a line with one tick."""
    untrained = running_mean_frame(build_model(WaveNetConfig(), torch.Generator().manual_seed(1)))
    assert (untrained["value"] == 0).all()
    assert running_mean_chart(untrained).to_dict()["encoding"]["y"]["scale"]["domain"] == [-1, 1]
    trained = untrained.assign(value=np.linspace(-0.5, 0.7, len(untrained)))
    assert "domain" not in running_mean_chart(trained).to_dict()["encoding"]["y"].get("scale", {})


def test_block_means_average_complete_blocks_of_1000_steps():
    losses = pd.DataFrame({"step": range(2500), "loss": [float(s // 1000) + (s % 2) for s in range(2500)]})
    means = block_means(losses)
    assert means["step"].tolist() == [1000, 2000]  # the last, incomplete block waits
    assert means["loss"].tolist() == [0.5, 1.5]
    assert block_means(losses.head(999)).empty
    chart = smoothed_loss_chart(means, pd.DataFrame({"step": [1000], "loss": [2.0]})).to_dict()
    assert chart["encoding"]["y"]["title"] == "loss (mean over 1,000 steps)"


def test_context_windows_of_diondre_are_the_lectures_eight():
    windows = context_windows("diondre", 8)
    assert windows["context"].tolist() == ["........", ".......d", "......di", ".....dio", "....dion", "...diond",
                                           "..diondr", ".diondre"]
    assert "".join(windows["target"]) == "diondre."


def test_dilated_tree_shows_what_each_unit_sees():
    nodes, edges = dilated_tree((2, 2, 2), "diondre", window=4)
    chosen = nodes[nodes["selected"]]
    assert chosen.groupby("level").size().tolist() == [8, 4, 2, 1]
    assert chosen[chosen["level"] == 1]["sees"].tolist() == ["..", "..", "di", "on"]
    assert chosen[chosen["level"] == 3]["sees"].tolist() == ["....dion"]
    assert len(edges[edges["selected"]]) == 8 + 4 + 2  # every unit of the tree has its 2 children
    assert shared_units(nodes, 8) == (34, 56)  # a convolution computes 34 units instead of 8 x 7
    flat_nodes, _ = dilated_tree((8,), "diondre", window=0)
    assert flat_nodes[flat_nodes["level"] == 1]["sees"].tolist()[0] == "........"
    spec = dilated_tree_chart(nodes, edges).to_dict()
    assert len(spec["layer"]) == 3


def test_performance_rows_name_the_lecture_step_they_reproduce():
    step = LECTURE_LOG[2]
    row = performance_row(step.config, 22_397, 200_000, {"train_loss": 1.95, "dev_loss": 2.03})
    assert (row["change"], row["levels"], row["BatchNorm"]) == ("flat → hierarchical", "2 × 2 × 2", "dim-0 bug")
    assert (row["train"], row["dev"], row["lecture train"], row["lecture dev"]) == (1.95, 2.03, 1.941, 2.029)
    flat = WaveNetConfig(vocab_size=27, n_embd=10, n_hidden=200, groups=(8,), bn_dim0_bug=True)
    assert lecture_step(flat).change == "context 3 → 8"  # the bug cannot touch 2-D input
    own = performance_row(WaveNetConfig(n_hidden=64), 1, 10, {})
    assert own["change"] == "your own" and own["lecture dev"] is None and own["train"] is None
