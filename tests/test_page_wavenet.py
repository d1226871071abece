"""The WaveNet page (part 5): layer table, lecture-log buttons, the BatchNorm bug, training, the log, the tree."""
from dataclasses import replace

import pytest

from makemore.layers import BatchNorm1d
from makemore.lessons.wavenet import LECTURE_LOG, dilated_tree
from tests.apptest_helpers import chart_with_columns, open_page, press_step
from tests.test_wavenet_tools import LECTURE_LAYERS

PAGE = "pages/5_WaveNet.py"
SMALL = dict(wavenet_n_embd=4, wavenet_n_hidden=32, wavenet_steps=1_000)  # a quick network for training tests


def trainer_of(at):
    return at.session_state["wavenet_run"].trainer


def layer_rows(at):
    """The layers inside the model's Sequential (the table's first row), as the lecture prints them."""
    table = at.dataframe[0].value.iloc[1:]
    return list(zip(table["name"].str.removeprefix("  └ "), table["output shape"], table["params"]))


def test_the_layer_table_is_the_lectures():
    at = open_page(PAGE)
    assert not at.exception
    assert layer_rows(at) == [(name, str(shape), params) for name, shape, params in LECTURE_LAYERS]
    table = at.dataframe[0].value
    model = table.iloc[0]  # the Sequential: the first layer's input, the last one's output, every parameter
    assert (model["name"], model["input shape"], model["output shape"], model["params"]) == (
        "Sequential", "(4, 8)", "(4, 27)", 76_579)
    assert table["input shape"].iloc[2:].tolist() == table["output shape"].iloc[1:-1].tolist()  # each feeds the next
    assert at.metric[0].value == "76,579"
    assert trainer_of(at).model.num_params() == 76_579


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(LECTURE_LOG)))
def test_each_lecture_log_button_sets_its_network(index):
    at = open_page(PAGE)
    at = at.button(key=f"wavenet_log{index}").click().run()
    assert not at.exception
    expected = replace(LECTURE_LOG[index].config, vocab_size=27)
    assert trainer_of(at).model.config == expected
    assert at.metric[0].value == f"{trainer_of(at).model.num_params():,}"


@pytest.mark.slow
def test_the_bug_toggle_changes_batchnorm_and_its_running_statistics():
    at = open_page(PAGE, **SMALL)
    assert at.dataframe[1].value["running mean"].tolist() == ["(32,)"] * 3
    at.toggle(key="wavenet_bn_bug__w").set_value(True).run()
    assert at.dataframe[1].value["running mean"].tolist() == ["(4, 32)", "(2, 32)", "(32,)"]
    model = trainer_of(at).model
    assert all(layer.dim0_only for layer in model.layers if isinstance(layer, BatchNorm1d))
    at = press_step(at, "wavenet_step100")
    lines = chart_with_columns(at, "channel", "position", "value")[0]["data"][0]
    assert lines["position"].unique().tolist() == [f"position {i}" for i in range(4)]
    assert lines[lines["position"] == "position 1"]["value"].to_numpy() == pytest.approx(
        model.layers[3].running_mean[1, :16].numpy())


@pytest.mark.slow
def test_training_draws_1000_step_averages_and_fills_the_performance_log():
    at = open_page(PAGE, **SMALL)
    at = press_step(at, "wavenet_step1000")
    assert not at.exception
    trainer = trainer_of(at)
    chart = chart_with_columns(at, "step", "loss", "split")[0]["data"][0]
    train_points = chart[chart["split"] == "train"]
    losses = trainer.loss_history.values[:, 0]
    assert train_points["step"].tolist() == [1000]
    assert train_points["loss"].iloc[0] == pytest.approx(float(losses.mean()), rel=1e-5)
    log = at.dataframe[-1].value
    assert len(log) == 1 and log["steps"].iloc[0] == 1000 and log["change"].iloc[0] == "your own"
    assert log["dev"].iloc[0] == pytest.approx(trainer.evaluate("dev"), abs=1e-6)
    assert log["params"].iloc[0] == trainer.model.num_params()


@pytest.mark.slow
def test_the_log_keeps_each_run_and_names_the_lectures_steps():
    at = open_page(PAGE, wavenet_steps=1_000)
    at = at.button(key="wavenet_log1").click().run()
    at = press_step(at, "wavenet_step100")
    at = at.button(key="wavenet_log0").click().run()
    at = press_step(at, "wavenet_step100")
    log = at.dataframe[-1].value
    assert log["change"].tolist() == ["context 3 → 8", "original: context 3"]
    assert log["lecture train"].tolist() == [1.918, 2.058] and log["params"].tolist() == [22_097, 12_097]
    at = at.button(key="wavenet_clear_log").click().run()
    assert any(c.value.startswith("Runs you pause, step or finish appear here") for c in at.caption)


def test_an_impossible_hierarchy_is_explained_not_raised():
    at = open_page(PAGE, wavenet_block_size=3, wavenet_levels=3)
    assert not at.exception
    assert "at most 1 level, not 3" in at.error[0].value


def test_the_dilated_tree_follows_the_name_and_window():
    at = open_page(PAGE)
    at.select_slider(key="wavenet_window").set_value(4).run()
    nodes = chart_with_columns(at, "level", "position", "sees", "selected")[0]["data"]
    expected, _ = dilated_tree((2, 2, 2), "diondre", 4)
    shown = next(f for f in nodes if "sees" in f.columns and (f["level"] > 0).all())
    assert shown["sees"].tolist() == expected[expected["level"] > 0]["sees"].tolist()
    assert any("56 hidden units" in c.value and ": 34." in c.value for c in at.caption)
    at.text_input(key="wavenet_word__w").input("zoë!").run()
    assert not at.exception and "'!'" in at.error[0].value

