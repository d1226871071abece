"""The weight matrices as pictures: pooling that keeps the extremes, a colour scale that stays put while the
weights shrink, the update on the same scale in decades."""
import math

import numpy as np
import pytest
import torch

from makemore.data import WordData
from makemore.models import DeepMLPConfig
from makemore.stats import weights as W
from makemore.stats.diagnostics import ParamRecord, Snapshot
from makemore.training import TrainConfig, build_trainer


def signed_extreme_by_loop(matrix: torch.Tensor, bh: int, bw: int) -> np.ndarray:
    rows, cols = matrix.shape
    out = np.zeros((math.ceil(rows / bh), math.ceil(cols / bw)), dtype=np.float32)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            block = matrix[i * bh:(i + 1) * bh, j * bw:(j + 1) * bw].flatten()
            out[i, j] = block[block.abs().argmax()]
    return out


@pytest.mark.parametrize("shape", [(27, 10), (30, 200), (100, 100), (130, 27), (200, 27), (64, 65), (1, 300)])
def test_pooling_keeps_the_signed_extreme_of_every_block(shape):
    matrix = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    matrix[shape[0] // 2, shape[1] - 1] = -40.0  # one huge weight, in a block at the ragged edge
    pooled, bh, bw = W.pool_extremes(matrix)
    assert pooled.shape[0] <= W.MAX_CELLS and pooled.shape[1] <= W.MAX_CELLS
    assert (bh, bw) == (math.ceil(shape[0] / W.MAX_CELLS), math.ceil(shape[1] / W.MAX_CELLS))
    assert np.array_equal(pooled.numpy(), signed_extreme_by_loop(matrix, bh, bw))
    assert pooled.min() == -40.0 and pooled.max() == matrix.max()
    if shape[0] <= W.MAX_CELLS and shape[1] <= W.MAX_CELLS:
        assert torch.equal(pooled, matrix)  # small enough: shown as it is


def snapshot(weight: torch.Tensor, grad: torch.Tensor | None = None, lr: float = 0.1, step: int = 0) -> Snapshot:
    return Snapshot(step, lr, [], [ParamRecord("W", "hidden 1", tuple(weight.shape), weight, grad),
                                   ParamRecord("b", "hidden 1", (weight.shape[1],), weight[0], grad)], torch.zeros(2))


def test_the_scale_stays_put_while_the_weights_shrink_and_grows_only_past_them():
    weight = torch.randn(80, 30, generator=torch.Generator().manual_seed(1))
    scales = W.grown_scales(snapshot(weight))
    assert scales == {"W": pytest.approx(float(weight.abs().max()))}  # the 1-D bias has no picture
    first = W.weight_frame(snapshot(weight), scales)
    assert first["shade"].abs().max() == pytest.approx(1.0)
    shrunk = snapshot(weight * 0.5, step=100)
    assert W.grown_scales(shrunk, scales) == scales
    later = W.weight_frame(shrunk, W.grown_scales(shrunk, scales))
    assert later["shade"].to_numpy() == pytest.approx(first["shade"].to_numpy() * 0.5)  # the picture fades
    grown = W.grown_scales(snapshot(weight * 3), scales)
    assert grown["W"] == pytest.approx(3 * scales["W"])
    assert W.grown_scales(snapshot(torch.zeros(4, 4))) == {}  # nothing to scale by yet


def test_the_frame_covers_each_matrix_once_with_its_update_on_the_same_scale_in_decades():
    weight = torch.randn(100, 27, generator=torch.Generator().manual_seed(2))
    grad = torch.zeros_like(weight)
    scale = float(weight.abs().max())
    grad[0, 0], grad[50, 10], grad[99, 26] = -scale * 1e-3 / 0.1, scale / 0.1, scale * 1e-6 / 0.1
    frame = W.weight_frame(snapshot(weight, grad), W.grown_scales(snapshot(weight)))
    assert list(frame.columns) == W.COLUMNS and set(frame["panel"]) == set(W.PANELS)
    assert set(frame["matrix"]) == {"W (hidden 1, 100×27)"}
    for _, cells in frame.groupby("panel"):
        covered = np.zeros((100, 27), dtype=int)
        for row in cells.itertuples():
            covered[row.row:row.row_end, row.col:row.col_end] += 1
        assert (covered == 1).all()
    update = frame[frame["panel"] == W.PANELS[1]].set_index(["row", "col"])
    assert update.loc[(0, 0), "value"] == pytest.approx(scale * 1e-3)  # −lr × grad: the step's change
    assert update.loc[(0, 0), "shade"] == pytest.approx(0.25)  # the lecture's healthy pace: a quarter bright
    assert update.loc[(50, 10), "shade"] == pytest.approx(-1.0)  # as large as the largest weight: full colour
    assert update.loc[(98, 26), "shade"] == 0.0  # below 1e-4 of the scale: white
    assert (update["shade"] == 0).sum() == len(update) - 2


def test_a_real_snapshot_gives_every_matrix_at_most_64_by_64_cells_per_panel():
    data = WordData.from_words(["emma", "olivia", "ava", "isabella", "sophia"] * 20, split="none")
    trainer = build_trainer(DeepMLPConfig(n_hidden=100, n_layers=5), TrainConfig(steps=2, stats_every=1), data, 1)
    trainer.advance(2, snapshot_last=True)
    snap = trainer.snapshot
    scales = W.grown_scales(snap)
    assert set(scales) == {p.name for p in snap.params if len(p.shape) == 2} and len(scales) == 7
    frame = W.weight_frame(snap, scales)
    sizes = frame.groupby(["matrix", "panel"], sort=False).size()
    assert len(sizes) == 14 and sizes.max() <= 50 * 50  # 100 rows pool 2 to a cell
    only = W.weight_frame(snap, scales, names=["C"])
    assert set(only["matrix"]) == {"C (embedding, 12×10)"}  # 11 letters and the boundary


@pytest.mark.slow
def test_the_update_panels_are_a_quarter_bright_at_the_lectures_pace_and_darker_with_a_learning_rate_too_high(
        default_data):
    """What the weights view's caption tells a class: the lecture's deep net at lr 0.1 updates at about a
    thousandth of each matrix's scale (a quarter of full colour); at lr 1 its update panels are darker."""
    medians = {}
    for lr in (0.1, 1.0):
        trainer = build_trainer(DeepMLPConfig(), TrainConfig(steps=1_000, lr=lr, lr_decay_at=None, stats_every=10),
                                default_data, 2147483647)
        trainer.advance(1)
        scales = W.grown_scales(trainer.snapshot)
        trainer.advance(200)
        frame = W.weight_frame(trainer.snapshot, W.grown_scales(trainer.snapshot, scales))
        medians[lr] = frame.loc[frame["panel"] == W.PANELS[1], "shade"].abs().median()
    assert medians[0.1] == pytest.approx(0.25, abs=0.1)
    assert medians[1.0] > medians[0.1] + 0.1  # 0.25 of shade is a decade: the update is several times larger
