"""makemore/lessons/mlp.py: the exponential sweep of part 2 and its suggested range."""
import pandas as pd
import pytest
import torch

from makemore.lessons.mlp import lr_sweep, suggest
from makemore.models import MLPConfig
from makemore.training import TrainConfig, build_trainer


def test_sweep_raises_lr_exponentially_and_matches_the_trainer(default_data):
    config = MLPConfig(n_hidden=20)
    sweep = lr_sweep(config, default_data, seed=3, steps=50, low=-3.0, high=0.0)
    assert len(sweep) == 50
    assert sweep["lr"].iloc[0] == pytest.approx(1e-3) and sweep["lr"].iloc[-1] == pytest.approx(1.0)
    assert sweep["exponent"].diff().dropna().to_numpy() == pytest.approx(3 / 49, abs=1e-5)  # evenly spaced
    # the first step's loss is the fresh network's, as a trainer with the same seed computes it
    trainer = build_trainer(config, TrainConfig(steps=1, lr=1e-3, stats_every=0), default_data, 3)
    trainer.advance(1)
    assert sweep["loss"].iloc[0] == pytest.approx(trainer.first_loss)


def test_a_diverging_sweep_stops_where_it_explodes(default_data):
    sweep = lr_sweep(MLPConfig(n_hidden=20), default_data, seed=3, steps=60, low=1.0, high=4.0)
    assert len(sweep) < 60
    assert torch.isfinite(torch.tensor(sweep["loss"].to_numpy())).all()


def test_suggestion_is_the_valley_of_the_smoothed_curve():
    lrs = [10 ** (-3 + 3 * i / 9) for i in range(10)]
    smoothed = [9.0, 8.0, 6.0, 4.0, 3.2, 3.0, 3.25, 5.0, 8.0, 12.0]
    frame = pd.DataFrame({"lr": lrs, "smoothed": smoothed})
    suggestion = suggest(frame)
    assert suggestion.low == pytest.approx(lrs[4]) and suggestion.high == pytest.approx(lrs[6])
    assert suggestion.lr == suggestion.low
    assert suggest(frame.iloc[:0]) is None
