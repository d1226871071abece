"""The MLP page (part 2): controls -> config, the learning-rate finder, training, the embedding plot."""
import pytest

from makemore.lessons.mlp import lr_sweep
from makemore.models import MLPConfig
from tests.apptest_helpers import chart_with_columns, open_page, press_step

PAGE = "pages/2_MLP.py"
SMALL = dict(mlp_n_hidden=25, mlp_steps=1_000)  # a quick network for the tests


def trainer_of(at):
    return at.session_state["mlp_run"].trainer


def results(at):
    return at.dataframe[0].value


@pytest.mark.slow
def test_controls_build_the_network():
    at = open_page(PAGE, mlp_n_embd=2, mlp_block_size=4, mlp_n_hidden=50, mlp_batch_size=64, mlp_steps=5_000,
                   mlp_lr=0.05)
    assert not at.exception
    trainer = trainer_of(at)
    assert trainer.model.config == MLPConfig(block_size=4, n_embd=2, n_hidden=50)
    assert (trainer.config.batch_size, trainer.config.steps, trainer.base_lr, trainer.config.lr_decay_at) == (
        64, 5_000, 0.05, 2_500)
    at.select_slider(key="mlp_n_hidden__w").set_value(100).run()
    assert trainer_of(at).model.config.n_hidden == 100
    assert any("new network" in i.value for i in at.info)


@pytest.mark.slow
def test_lecture_figures_only_for_the_lecture_setup():
    at = open_page(PAGE)
    table = results(at)
    assert table["lecture, step 200,000"].tolist() == ["2.1260", "2.1701", "–"]
    assert table["this run, step 0"].tolist() == ["–", "–", "–"]
    at.select_slider(key="mlp_n_hidden__w").set_value(100).run()
    assert list(results(at).columns) == ["this run, step 0"]


@pytest.mark.slow
def test_steps_train_and_the_table_shows_the_whole_splits(default_data):
    at = open_page(PAGE, **SMALL)
    at = press_step(at, "mlp_step100")
    assert not at.exception
    trainer = trainer_of(at)
    assert trainer.step == 100
    table = results(at)["this run, step 100"]
    for split in ("train", "dev", "test"):
        assert float(table[split]) == pytest.approx(trainer.evaluate(split), abs=5e-5)
    loss = chart_with_columns(at, "step", "loss", "low", "high")[0]
    assert any(len(frame) == 100 and frame["last"].max() == 99 for frame in loss["data"])  # windows of 1 step
    assert loss["spec"]["title"] == "Loss: train per step and dev"


def test_embedding_plot_shows_c_directly_in_two_dimensions():
    at = open_page(PAGE, mlp_n_embd=2, **SMALL)
    at = press_step(at, "mlp_step1")
    C = trainer_of(at).model.C.detach()
    frame = chart_with_columns(at, "label", "kind", "x", "y")[0]["data"][0]
    assert frame["x"].to_numpy() == pytest.approx(C[:, 0].numpy()) and frame["y"].to_numpy() == pytest.approx(C[:, 1].numpy())
    assert frame["label"].tolist()[:3] == [".", "a", "b"]


def test_embedding_plot_projects_wider_embeddings():
    at = open_page(PAGE, **SMALL)
    chart = chart_with_columns(at, "label", "kind", "x", "y")[0]
    assert chart["spec"]["layer"][0]["encoding"]["x"]["title"] == "principal component 1"
    assert len(chart["data"][0]) == 27


@pytest.mark.slow
def test_lr_finder_draws_the_sweep_and_sets_the_lr(default_data):
    at = open_page(PAGE, **SMALL)
    at = at.button(key="mlp_find_lr").click().run()
    assert not at.exception
    chart = chart_with_columns(at, "lr", "loss", "smoothed")[0]
    curve = next(frame for frame in chart["data"] if "loss" in frame.columns)
    expected = lr_sweep(MLPConfig(n_hidden=25), default_data, 2147483647, 32)
    assert curve["loss"].to_numpy() == pytest.approx(expected["loss"].to_numpy()[:len(curve)], rel=1e-5)
    assert curve["lr"].min() == pytest.approx(1e-3) and curve["lr"].max() == pytest.approx(1.0)
    assert any({"low", "high"} <= set(f.columns) for f in chart["data"])  # the suggested range
    use = at.button(key="mlp_use_lr")
    pick = float(use.label.split("= ")[1])
    at = use.click().run()
    assert at.session_state["mlp_lr"] == pick and trainer_of(at).base_lr == pick


def test_lr_finder_curve_is_dropped_when_the_network_changes():
    at = open_page(PAGE, **SMALL)
    at = at.button(key="mlp_find_lr").click().run()
    at.select_slider(key="mlp_block_size__w").set_value(2).run()
    assert not chart_with_columns(at, "lr", "loss", "smoothed")
    assert any("run the finder again" in c.value for c in at.caption)
