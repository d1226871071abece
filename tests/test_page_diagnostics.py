"""The live diagnostics page (lecture 3), rendered with AppTest."""
import json
import math
import subprocess
import sys
from dataclasses import replace

import pytest
import torch

from makemore.charts.training import NEURON_PICK
from makemore.models import layers_of
from makemore.presets import PRESETS
from makemore.stats import diagnostics as dg
from makemore.stats import weights
from tests.apptest_helpers import chart_with_columns, charts, open_page, open_with_url, press_step, with_word_list
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test here takes seconds (the quick tier: -m "not slow")

PAGE = "pages/3_Activations_and_BatchNorm.py"


def trainer_of(at):
    return at.session_state["diag_run"].trainer


def step(at, n):
    return press_step(at, f"diag_step{n}")


def activation_rows(at):
    """The activation table as shown: layer label -> (mean, std, saturated %)."""
    table = at.dataframe[0].value
    return {row["layer"]: (row["mean"], row["std"], row["saturated %"]) for _, row in table.iterrows()}


def test_page_opens_at_initialization():
    at = open_page(PAGE)
    assert not at.exception
    trainer = trainer_of(at)
    assert trainer.step == 0 and trainer.model.config.n_layers == 5 and trainer.model.config.batchnorm
    assert any("Take a step" in i.value for i in at.info)


def test_steps_draw_every_chart_and_table():
    at = step(open_page(PAGE), 100)
    assert not at.exception
    assert trainer_of(at).step == 100
    assert any("**Step 100**" in m.value for m in at.markdown)
    assert len(charts(at)) == 7  # loss, activations, saturation, pre-activations, grads, weight grads, ud
    at.toggle(key="diag_show_linear").set_value(True).run()
    assert len(charts(at)) == 8  # + the Linear outputs before BatchNorm
    loss = chart_with_columns(at, "step", "loss", "low", "high")[0]["data"]
    assert any(len(frame) == 100 and frame["last"].max() == 99 for frame in loss)  # 100 windows of 1 step
    sat = chart_with_columns(at, "example", "neuron", "dead")[0]
    encoding = sat["spec"]["encoding"]  # the whole batch x width grid, and a mark for each saturated cell only
    assert encoding["y"]["scale"]["domain"] == list(range(32)) and encoding["x"]["scale"]["domain"] == list(range(100))
    assert sat["data"][0]["dead"].all()
    ud = chart_with_columns(at, "step", "name", "log10_ratio")[0]["data"]
    assert any(frame["name"].nunique() == 7 for frame in ud)  # C and the six weight matrices
    assert len(at.dataframe) == 3 and len(activation_rows(at)) == 5


@pytest.mark.parametrize("key, value, expected", [
    ("diag_depth", 3, "hidden layers 5 → 3"),
    ("diag_width", 50, "neurons per layer 100 → 50"),
    ("diag_batchnorm", False, "BatchNorm on → off"),
    ("diag_nonlinearity", "relu", "nonlinearity tanh → relu"),
    ("diag_gain", 2.0, "init gain 1 → 2"),
    ("diag_output_scale", 0.01, "output scale 0.1 → 0.01"),
])
def test_changing_the_network_resets_it_and_says_so(key, value, expected):
    at = step(open_page(PAGE), 1)
    widget = next(w for w in [*at.slider, *at.select_slider, *at.toggle, *at.selectbox] if w.key == f"{key}__w")
    widget.set_value(value).run()
    assert not at.exception
    assert trainer_of(at).step == 0
    assert any(expected in i.value and "new network" in i.value for i in at.info), [i.value for i in at.info]


def test_learning_rate_changes_in_place_and_is_marked():
    at = step(open_page(PAGE), 100)
    next(w for w in at.slider if w.key == "diag_lr_exponent__w").set_value(-2.0).run()
    at = step(at, 100)
    trainer = trainer_of(at)
    assert trainer.step == 200 and trainer.lr_changes == [(100, 0.01)]
    lr_marks = chart_with_columns(at, "step", "lr", "label")
    assert lr_marks and "lr → 0.01" in lr_marks[0]["data"][-1]["label"].tolist()


def no_bn_at_init(gain):
    """Initial statistics of a deep tanh net without BatchNorm at a given gain (Reset, then Step 1)."""
    at = open_page(PAGE, diag_batchnorm=False, diag_gain=gain)
    at = step(at, 1)
    return activation_rows(at)


def test_reset_with_a_changed_gain_changes_the_initial_statistics():
    small, kaiming, large = no_bn_at_init(0.5), no_bn_at_init(5 / 3), no_bn_at_init(3.0)
    deepest = "layer 9 (Tanh)"  # without BatchNorm: Linear, Tanh, Linear, Tanh, ...
    assert list(small)[-1] == deepest
    # gain 0.5 shrinks the activations layer after layer
    assert small[deepest][1] < 0.1 < kaiming[deepest][1]
    # gain 3 saturates them (the lecture's "too much gain")
    assert large[deepest][2] > 30 > kaiming[deepest][2]


def test_reset_starts_the_same_config_again():
    at = step(open_page(PAGE), 100)
    first = trainer_of(at).loss_history.values.clone()
    at = at.button(key="diag_reset").click().run()
    assert trainer_of(at).step == 0
    at = step(at, 100)
    assert (trainer_of(at).loss_history.values == first).all()
    assert len(at.session_state["runs"]) == 2  # the first run is kept beside the new one


def test_diverged_run_shows_the_message_not_an_exception():
    at = open_page(PAGE, diag_batchnorm=False, diag_lr_exponent=1.0, diag_gain=5 / 3)
    at = step(at, 1000)
    assert not at.exception
    trainer = trainer_of(at)
    assert trainer.diverged
    assert any(f"Diverged at step {trainer.diverged_at:,}" in e.value for e in at.error)
    assert charts(at)  # the charts are still drawn
    at = at.button(key="diag_reset").click().run()
    assert not trainer_of(at).diverged and not at.exception


def test_preset_buttons_set_the_controls():
    at = open_page(PAGE)
    at = at.button(key="diag_preset_Raw init (hockey stick)").click().run()
    assert trainer_of(at).model.config == replace(PRESETS["mlp"].model, vocab_size=27)  # part 2's MLP as it was
    at = step(at, 1)
    assert trainer_of(at).first_loss > 15  # far above -ln(1/27) = 3.30: the hockey stick's start
    at = at.button(key="diag_preset_BatchNorm").click().run()
    assert trainer_of(at).model.config == replace(PRESETS["mlp-bn"].model, vocab_size=27)  # the lecture's BN MLP
    at = at.button(key="diag_preset_Lecture: deep net with BatchNorm").click().run()
    assert trainer_of(at).model.config == replace(PRESETS["deep"].model, vocab_size=27)
    assert any("model MLP → deep MLP" in i.value for i in at.info)


def test_the_mlp_shows_its_init_scales_as_controls():
    at = open_page(PAGE)
    at = at.button(key="diag_preset_Tanh fixed").click().run()
    keys = {w.key for w in [*at.slider, *at.select_slider, *at.toggle, *at.selectbox]}
    assert {"diag_b1_scale__w", "diag_b2_scale__w"} <= keys and not {"diag_depth__w", "diag_nonlinearity__w"} & keys
    config = trainer_of(at).model.config
    assert (config.w1_gain, config.w1_scale, config.b1_scale, config.w2_scale, config.b2_scale) == (
        None, 0.2, 0.01, 0.01, 0.0)
    next(w for w in at.select_slider if w.key == "diag_b1_scale__w").set_value(0.1).run()
    assert trainer_of(at).model.config.b1_scale == 0.1
    assert any("b1 scale 0.01 → 0.1" in i.value and "new network" in i.value for i in at.info)
    assert at.query_params["net"] == "mlp" and at.query_params["b1"] == "0.1"


def test_pinning_overlays_the_run():
    at = step(open_page(PAGE), 100)
    at = at.button(key="diag_pin").click().run()
    assert len(at.session_state["diag_run"].pinned) == 1
    pinned = [c for c in chart_with_columns(at, "run", "step", "loss")]
    assert pinned


def test_two_sessions_train_independent_networks():
    a = step(open_page(PAGE), 100)
    b = open_page(PAGE, diag_width=50)
    assert trainer_of(a).step == 100 and trainer_of(b).step == 0
    assert trainer_of(b).model.config.n_hidden == 50 and trainer_of(a).model.config.n_hidden == 100


def test_lecture_printout_after_1001_steps(lecture_names_path):
    at = open_page(PAGE, **with_word_list(lecture_names_path))
    at = at.button(key="diag_preset_Lecture: deep net with BatchNorm").click().run()
    at = step(step(at, 1000), 1)
    assert trainer_of(at).snapshot.step == 1000
    rows = activation_rows(at)
    assert [round(rows[f"layer {i} (Tanh)"][1], 2) for i in (2, 5, 8, 11, 14)] == [0.63, 0.64, 0.65, 0.65, 0.65]
    assert [round(rows[f"layer {i} (Tanh)"][2], 2) for i in (2, 5, 8, 11, 14)] == [2.78, 2.56, 2.25, 1.69, 1.88]
    # the command line's diagnose gives the same numbers as the page
    proc = subprocess.run([sys.executable, "-m", "makemore", "diagnose", "--preset", "deep", "--input",
                           str(lecture_names_path), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    cli = {f"layer {r['layer']} ({r['kind']})": r for r in json.loads(proc.stdout.splitlines()[-1])["activations"]}
    for label, (mean, std, sat) in rows.items():
        assert cli[label]["std"] == pytest.approx(std, abs=1e-6)
        assert cli[label]["saturated_pct"] == pytest.approx(sat, abs=1e-6)


def test_a_shared_link_sets_the_controls():
    at = open_with_url(PAGE, preset="lecture-deep", gain="1.667", lr_exp="-2", bn="0", width="120")
    assert not at.exception
    config = trainer_of(at).model.config
    assert abs(config.gain - 5 / 3) < 1e-12 and not config.batchnorm and config.n_hidden == 120
    assert config.n_layers == 5  # from the preset
    assert trainer_of(at).base_lr == pytest.approx(0.01)


def test_a_bad_link_value_falls_back_with_a_notice():
    at = open_with_url(PAGE, depth="99", gain="banana", preset="nope")
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "depth=99" in notices and "gain=banana" in notices and "preset=nope" in notices
    config = trainer_of(at).model.config
    assert config.n_layers == 5 and config.gain == 1.0


def test_redrawing_every_second_is_a_setting_a_link_carries():
    at = open_with_url(PAGE, redraw="1")
    assert at.session_state["diag_redraw"] == 1.0
    at = at.button(key="diag_train").click().run()  # the first tick trains and draws at once
    assert not at.exception
    assert trainer_of(at).step > 0 and at.query_params["redraw"] == "1"


def test_a_changed_control_changes_the_url():
    at = open_page(PAGE)
    assert at.query_params["gain"] == "1"
    next(w for w in at.select_slider if w.key == "diag_gain__w").set_value(2.0).run()
    assert at.query_params["gain"] == "2"
    next(w for w in at.toggle if w.key == "diag_batchnorm__w").set_value(False).run()
    assert at.query_params["bn"] == "0"


def test_walkthrough_sets_the_controls_forward_and_back():
    at = open_page(PAGE)
    at = at.button(key="diag_tour_start").click().run()
    assert trainer_of(at).model.config.w2_scale == 1.0  # stop 1: the raw init
    assert "1/8" in at.expander[0].markdown[0].value
    for _ in range(4):
        at = at.button(key="diag_tour_next").click().run()
    assert "5/8" in at.expander[0].markdown[0].value
    assert abs(trainer_of(at).model.config.w1_gain - 5 / 3) < 1e-12  # stop 5: Kaiming
    at = at.button(key="diag_tour_back").click().run()
    assert trainer_of(at).model.config.w1_scale == 0.2 and trainer_of(at).model.config.w1_gain is None
    assert not at.exception


def tour_text(at) -> str:
    return at.expander[0].markdown[1].value


def test_the_walkthrough_quotes_the_run_the_page_shows():
    """On the shipped list (not the lecture's): every number of a stop is the page's run's."""
    at = at_stop(open_page(PAGE), 0)
    assert "Press **Step 1**." in tour_text(at) and "first loss is" not in tour_text(at)  # nothing measured yet
    at = step(at, 1)
    trainer = trainer_of(at)
    snap = trainer.snapshot
    logits = snap.layers[-1].out
    assert (f"The first loss is **{trainer.first_loss:.2f}**, {trainer.first_loss / math.log(27):.1f} times a "
            f"uniform guess's (the red dashed line, -ln(1/27) = {math.log(27):.2f})") in tour_text(at)
    assert (f"The logits reach ±{logits.abs().max():.0f}, so the softmax is sure of itself: its top guess gets "
            f"{logits.softmax(-1).max(-1).values.mean():.0%} on average") in tour_text(at)
    at = step(at_stop(at, 1), 1000)  # the hockey stick, on the same run
    losses = trainer_of(at).loss_history.values[:, 0].double()
    assert (f"the mean loss of the 25 steps before step 100 is {losses[75:100].mean():.1f} and before step 1,000 "
            f"{losses[975:1000].mean():.2f}") in tour_text(at)
    at = step(at_stop(at, 2), 1)  # output fixed: a new network
    trainer = trainer_of(at)
    tanh = next(r for r in trainer.snapshot.layers if r.kind == "Tanh")
    white = (tanh.out.abs() > 0.99).float().mean() * 100
    assert f"The first loss is **{trainer.first_loss:.4f}**; a uniform guess's is {math.log(27):.4f}" in tour_text(at)
    assert f"the **Saturation image** is {white:.0f}% white" in tour_text(at) and white > 40
    at = step(at_stop(at, 3), 1)  # tanh fixed
    linear, tanh = trainer_of(at).snapshot.layers[:2]  # Linear, Tanh, Linear: what tanh receives, what it gives
    tanh_in, white = linear.out, (tanh.out.abs() > 0.99).float().mean() * 100
    assert f"What enters tanh has std {tanh_in.std():.2f}, {white:.1f}% of the tanh outputs" in tour_text(at)
    assert white < 5


def at_stop(at, index):
    """The walk-through at stop `index` (0 the first), from wherever it is."""
    if "diag_tour" not in at.session_state:
        at = at.button(key="diag_tour_start").click().run()
    while at.session_state["diag_tour"] < index:
        at = at.button(key="diag_tour_next").click().run()
    while at.session_state["diag_tour"] > index:
        at = at.button(key="diag_tour_back").click().run()
    assert not at.exception
    return at


def test_an_old_link_opens_the_nearest_stop():
    at = open_with_url(PAGE, preset="broken-init")
    assert not at.exception and not at.warning
    assert trainer_of(at).model.config == replace(PRESETS["mlp"].model, vocab_size=27)
    at = open_with_url(PAGE, preset="output-scaled")
    assert (trainer_of(at).model.config.w2_scale, trainer_of(at).model.config.b2_scale) == (0.01, 0.0)


def test_presenter_mode_is_a_dashboard_of_the_lectures_demo_in_the_projectors_look():
    at = step(open_page(PAGE), 1)
    normal = chart_with_columns(at, "step", "loss", "low", "high")[0]["spec"]
    at.toggle(key="shared_presenter__w").set_value(True).run()
    controls = next(e for e in at.expander if e.label == "Controls")
    assert any(s.key == "diag_depth__w" for s in controls.slider)  # the rest of the controls: one click away
    assert not any(s.key == "diag_gain__w" for s in controls.select_slider)  # the story's: on the stage
    presented = chart_with_columns(at, "step", "loss", "low", "high")[0]["spec"]
    assert "config" not in normal and presented["config"]["axis"]["labelFontSize"] >= 18  # readable from the back
    assert at.query_params["present"] == "1"
    # the lecture's demo in a 2 x 2 grid: loss, activations, saturation and update:data together
    grid = ["Loss", "Activations", "Saturation image", "Update : data ratio"]
    assert [h.value for h in at.subheader][:4] == grid
    assert all(in_a_column(at, name) for name in grid)


def in_a_column(at, subheader: str) -> bool:
    return any(h.value == subheader for column in at.columns for h in column.subheader)


def test_a_list_with_non_ascii_characters_trains(tmp_path):
    words = tmp_path / "villes.txt"
    words.write_text("\n".join(["são paulo", "zürich", "kraków", "québec", "århus", "łódź", "névé", "ñuñoa",
                                "île-de-france", "st. étienne", "mönchengladbach", "ηράκλειο"] * 3), encoding="utf-8")
    at = step(open_page(PAGE, **with_word_list(words)), 100)
    assert not at.exception
    trainer = trainer_of(at)
    assert trainer.step == 100 and not trainer.diverged
    assert trainer.data.vocab.boundary == "|" and "ł" in trainer.data.vocab.chars  # '.' is data here
    assert trainer.model.config.vocab_size == trainer.data.vocab.size


def test_the_shipped_example_lists_train():
    at = step(open_page(PAGE, shared_dataset="World cities (accents, spaces)"), 1)
    assert not at.exception and trainer_of(at).data.vocab.size == 178


def test_every_chart_can_be_exported_as_svg_and_png():
    import vl_convert
    at = step(open_page(PAGE), 100)
    exported = at.session_state["_exportable_charts"]["diag"]
    assert {"loss", "activations", "saturation", "gradients", "update-data ratio"} <= set(exported)
    svg = vl_convert.vegalite_to_svg(exported["loss"].to_dict())
    assert svg.startswith("<svg") and "training step" in svg
    assert vl_convert.vegalite_to_png(exported["saturation"].to_dict())[:4] == b"\x89PNG"


# ------------------------------------------------------------------------------ inside the network (issue 19)
def test_the_weights_view_shows_every_matrix_and_its_update_and_a_chosen_few():
    at = step(open_page(PAGE, diag_weights_open=True), 100)
    assert not at.exception
    snap = trainer_of(at).snapshot
    frame = chart_with_columns(at, "matrix", "panel", "shade")[0]["data"][0]
    expected = weights.weight_frame(snap, weights.grown_scales(snap))  # the first picture sets the scales
    assert list(frame["matrix"].unique()) == [weights.matrix_label(r) for r in weights.matrices(snap)]
    assert len(frame["matrix"].unique()) == 7 and set(frame["panel"]) == set(weights.PANELS)
    assert frame["value"].to_numpy() == pytest.approx(expected["value"].to_numpy())
    assert any(f"Step {snap.step:,}. Left, each matrix" in c.value for c in at.caption)
    choice = next(m for m in at.multiselect if m.label == "Matrices")
    at = choice.set_value(choice.value[-1:]).run()
    shown = chart_with_columns(at, "matrix", "panel", "shade")[0]["data"][0]
    assert list(shown["matrix"].unique()) == [weights.matrix_label(weights.matrices(snap)[-1])]


def test_the_neuron_view_says_which_neuron_is_dead_on_the_batch():
    at = step(open_page(PAGE, diag_neurons_open=True), 1)
    trainer = trainer_of(at)
    layer = dg.nonlinearity_indices(trainer.model)[0]  # the saturation image's first layer, picked there
    with torch.no_grad():
        layers_of(trainer.model)[layer - 1].beta[7] = 20.0  # BatchNorm's shift pins unit 7 at tanh's top
    at = step(at, 100)  # a snapshot every 10 steps: the last at step 100
    assert bool(dg.dead_units(trainer.snapshot, layer)[7]) and not bool(dg.dead_units(trainer.snapshot, layer)[8])
    at = at.selectbox(key=f"diag_neuron_{layer}_100").set_value(7).run()
    assert any(f"On the batch of step {trainer.snapshot.step:,}: **dead**" in m.value for m in at.markdown)
    assert any(w.value.startswith("Dead: flat on every context") for w in at.warning)
    assert "drive neuron 7 highest" in chart_with_columns(at, "end", "context", "activation")[0]["spec"]["title"]
    at = at.selectbox(key=f"diag_neuron_{layer}_100").set_value(8).run()
    assert any(f"On the batch of step {trainer.snapshot.step:,}: alive" in m.value for m in at.markdown)
    assert not any(w.value.startswith("Dead:") for w in at.warning)


def test_the_saturation_image_answers_clicks_only_while_the_neuron_view_is_open():
    at = step(open_page(PAGE), 1)
    sat = chart_with_columns(at, "example", "neuron", "dead")[0]["spec"]
    assert "params" not in sat  # closed: a plain image
    at = step(open_page(PAGE, diag_neurons_open=True), 1)
    sat = chart_with_columns(at, "example", "neuron", "dead")[0]["spec"]
    assert [p["name"] for p in sat["params"]] == [NEURON_PICK]
    assert any("Click a column to inspect its neuron" in c.value for c in at.caption)
