"""The MLP page (part 2): controls -> config, the learning-rate finder, training, the embedding plot."""
import pytest
import torch

from makemore.lessons import neurons
from makemore.lessons.mlp import embedding_frame, grown_extent, lr_sweep
from makemore.models import MLPConfig
from makemore.stats import diagnostics as dg
from makemore.stats import weights
from tests.apptest_helpers import chart_with_columns, open_page, press_step
from ui.panels.mlp import WEIGHTS_STATS_EVERY

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


# ------------------------------------------------------------------------------ inside the network (issue 19)
def weight_chart(at):
    found = chart_with_columns(at, "matrix", "panel", "row", "col", "shade")
    return found[0]["data"][0] if found else None


def test_the_weights_view_builds_nothing_while_closed():
    at = open_page(PAGE, **SMALL)
    at = press_step(at, "mlp_step1")
    assert trainer_of(at).config.stats_every == 0 and trainer_of(at).snapshot is None  # no statistics taken
    assert weight_chart(at) is None and [e.label for e in at.expander][-2:] == [
        "The weights, and each step's update", "A neuron: the contexts that drive it"]


def test_the_weights_view_shows_each_matrix_beside_its_update_on_a_scale_kept_over_time():
    at = open_page(PAGE, mlp_weights_open=True, **SMALL)
    assert trainer_of(at).config.stats_every == WEIGHTS_STATS_EVERY
    assert any("Take a step" in i.value for i in at.info)
    at = press_step(at, "mlp_step1")
    assert not at.exception
    snap = trainer_of(at).snapshot
    frame, expected = weight_chart(at), weights.weight_frame(snap, weights.grown_scales(snap))
    assert set(frame["matrix"]) == {"C (embedding, 27×10)", "layers.0.weight (hidden 1, 30×25)",
                                    "layers.2.weight (output, 25×27)"} and set(frame["panel"]) == set(weights.PANELS)
    assert frame["value"].to_numpy() == pytest.approx(expected["value"].to_numpy())
    assert frame["shade"].to_numpy() == pytest.approx(expected["shade"].to_numpy())
    with torch.no_grad():  # every weight halves: on the scale kept from the first picture the weights fade
        for p in trainer_of(at).model.parameters():
            p.mul_(0.5)
    at = press_step(at, "mlp_step100")  # the next picture: step 100
    assert trainer_of(at).snapshot.step == 100
    shown = weight_chart(at)
    largest = shown[shown["panel"] == weights.PANELS[0]].groupby("matrix", observed=True)["shade"].agg(
        lambda s: s.abs().max())
    assert largest.to_numpy() == pytest.approx(0.5, abs=0.1)  # rescaled to its own largest it would be 1


def test_the_embedding_plot_redraws_with_the_run_on_axes_that_only_widen():
    at = open_page(PAGE, mlp_n_embd=2, **SMALL)
    first, _ = embedding_frame(trainer_of(at).model.C, trainer_of(at).data.vocab.itos)
    at = press_step(at, "mlp_step100")
    C = trainer_of(at).model.C.detach()
    chart = chart_with_columns(at, "label", "kind", "x", "y")[0]
    frame = chart["data"][0]
    assert frame["x"].to_numpy() == pytest.approx(C[:, 0].numpy())  # the dots where the run has them now
    x_min, x_max, y_min, y_max = grown_extent(frame, grown_extent(first))
    encoding = chart["spec"]["layer"][0]["encoding"]
    assert encoding["x"]["scale"]["domain"] == pytest.approx([x_min, x_max])
    assert encoding["y"]["scale"]["domain"] == pytest.approx([y_min, y_max])


def test_the_neuron_view_shows_what_really_drives_the_chosen_neuron():
    at = open_page(PAGE, mlp_neurons_open=True, **SMALL)
    at = press_step(at, "mlp_step100")
    assert not at.exception
    trainer = trainer_of(at)
    (layer,) = dg.nonlinearity_indices(trainer.model)
    ca = neurons.context_activations(trainer.model, trainer.data, layer)
    at = at.selectbox(key=f"mlp_neuron_{layer}_25").set_value(7).run()
    bars = chart_with_columns(at, "end", "rank", "context", "next", "activation")[0]["data"][0]
    acts = ca.acts[:, 7]
    for end, values in (("highest", acts.topk(neurons.TOP_K).values), ("lowest", -(-acts).topk(neurons.TOP_K).values)):
        assert sorted(bars.loc[bars["end"] == end, "activation"], key=abs, reverse=True) == pytest.approx(
            sorted(values.tolist(), key=abs, reverse=True))
    assert list(bars["context"]) == list(neurons.top_contexts(ca, 7).sort_values(
        "activation", ascending=False, kind="stable")["context"])
    histogram = chart_with_columns(at, "x", "windows", "share", "flat")[0]["data"][0]
    assert histogram["windows"].sum() == int(ca.counts.sum())
    summary = neurons.unit_summary(ca, 7)
    assert any(f"In its flat tails on {summary['saturated']:.0%}" in m.value for m in at.markdown)
    # a neuron "worth a look" is one click away: the pill picks it
    pills = at.pills(key="mlp_neuron_pill")
    first = int(pills.options[0].split(" · ")[0])  # the options as shown: "unit · what its contexts share"
    assert first != 7
    at = pills.set_value(first).run()
    assert at.selectbox(key=f"mlp_neuron_{layer}_25").value == first and at.pills(key="mlp_neuron_pill").value is None
