"""The backprop page (part 4): the gradient check, the break-it selector, the formulas, the twin training."""
from dataclasses import replace

import pytest

from makemore.charts.backprop import VERDICT_COLORS
from makemore.charts.backprop_graph import HIGHLIGHT
from makemore.lessons import backprop, backprop_graph, backprop_twins
from makemore.presets import PRESETS
from tests.apptest_helpers import chart_with_columns, generated_names, open_page, press_step
from tests.test_backprop_graph import parse
from ui.panels.backprop import VISIBLE_GAP
from ui.tours import backprop_tour

PAGE = "pages/4_Backprop.py"
SHORT = dict(backprop_steps=1_000)  # a short schedule for the training tests


def check_table(at):
    return at.dataframe[0].value


EXERCISE_1 = replace(PRESETS["backprop"].model, n_hidden=backprop.EXERCISE_1_HIDDEN)  # the lecture's exercise 1 net


def expected_table(data, mistake=None):
    return backprop.gradcheck(*backprop.lecture_batch(EXERCISE_1, data, 2147483647), mistake)


def test_every_gradient_passes_and_the_table_is_the_packages(default_data):
    at = open_page(PAGE)
    assert not at.exception
    shown, expected = check_table(at), expected_table(default_data)
    assert list(shown["tensor"]) == backprop.CHECK_ORDER
    assert shown["approximate"].all() and list(shown["shape"]) == list(expected["shape"])
    assert shown["maxdiff"].to_numpy() == pytest.approx(expected["maxdiff"].to_numpy())
    assert [s.value for s in at.success] == ["All 26 gradients match autograd."]
    rounded = expected[~expected["exact"]]
    assert any(f"{len(rounded)} only approximately, at most {rounded['maxdiff'].max():.1e} apart" in c.value
               and "fused tanh backward" in c.value for c in at.caption)  # the exact column's story, measured
    # exercise 1 checks the lecture's 64-unit network (4,137 parameters); exercise 4 trains the 200-unit one
    assert any("exercise 1's network, 4,137 parameters (the lecture's 64 hidden units; the training below uses "
               "exercise 4's 200)" in m.value for m in at.markdown)
    assert at.session_state["backprop_twins"].twins.manual.model.num_params() == 12_297
    bars = chart_with_columns(at, "tensor", "maxdiff", "verdict")[0]["data"][0]
    assert set(bars["verdict"]) == {"exact", "approximate"}


@pytest.mark.slow
def test_each_break_it_option_turns_its_rows_red(default_data):
    at = open_page(PAGE)
    for mistake in backprop.MISTAKES:
        at.selectbox(key="backprop_mistake__w").set_value(mistake).run()
        assert not at.exception
        shown, expected = check_table(at), expected_table(default_data, mistake)
        failing = list(expected.loc[~expected["approximate"], "tensor"])
        assert failing and list(shown.loc[~shown["approximate"], "tensor"]) == failing
        assert at.error[0].value.startswith(f"{len(failing)} of 26 gradients differ from autograd")
        bars = chart_with_columns(at, "tensor", "maxdiff", "verdict")[0]["data"][0]
        assert list(bars.loc[bars["verdict"] == "wrong", "tensor"]) == failing


def graph_of(at) -> tuple[dict, list]:
    """The computation graph's nodes {name: attributes} and edges [(source, target, attributes)]."""
    (chart,) = at.get("graphviz_chart")
    return parse(chart.proto.spec)


def walk_line(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Gradient "))


@pytest.mark.parametrize("mistake", [None, "forget_bessel"])
def test_the_graph_is_coloured_by_the_check_and_its_red_part_is_the_tables(default_data, mistake):
    at = open_page(PAGE, **({"backprop_mistake": mistake} if mistake else {}))
    assert not at.exception
    shown, expected = check_table(at), expected_table(default_data, mistake)
    nodes, edges = graph_of(at)
    assert set(shown["tensor"]) | {"Xb", "Yb", "loss"} == set(nodes)
    for row in expected.itertuples():  # each tensor with its shape and the verdict of its row
        assert nodes[row.tensor]["label"].startswith(f"{row.tensor} {row.shape}\\n")
    red = {name for name, attrs in nodes.items() if attrs["fillcolor"] == VERDICT_COLORS["wrong"]}
    failing = set(expected.loc[~expected["approximate"], "tensor"])
    assert red == set(shown.loc[~shown["approximate"], "tensor"]) == failing
    red_edges = {(s, t) for s, t, attrs in edges if attrs.get("color") == VERDICT_COLORS["wrong"]}
    if mistake is None:
        assert not red and not red_edges
    else:  # the error made at bndiff2 comes back to the embedding; dbnraw and dbnmeani stay right
        assert {("bndiff", "bndiff2"), ("emb", "embcat"), ("C", "emb")} <= red_edges
        assert not {("bndiff", "bnraw"), ("hprebn", "bnmeani")} & red_edges


def test_the_walk_goes_through_the_backward_pass_in_the_tables_order():
    at = open_page(PAGE)
    walk = backprop_graph.backward_walk()
    assert walk_line(at).startswith(f"**Gradient 0 of {len(walk) - 1}: dloss**")
    assert at.button(key="backprop_walk_back").disabled
    for step in (1, 2, 3):
        at = at.button(key="backprop_walk_next").click().run()
        tensor = walk["tensor"][step]
        assert walk_line(at).startswith(f"**Gradient {step} of {len(walk) - 1}: d{tensor}**")
        nodes, edges = graph_of(at)
        assert [name for name, attrs in nodes.items() if attrs.get("color") == HIGHLIGHT] == [tensor]
        assert {t for s, t, attrs in edges if attrs.get("color") == HIGHLIGHT} == set(walk["sources"][step])
    assert list(walk["tensor"][1:4]) == backprop.CHECK_ORDER[:3]  # the table's rows, top down
    at = at.button(key="backprop_walk_back").click().run()
    assert walk_line(at).startswith(f"**Gradient 2 of {len(walk) - 1}: d{walk['tensor'][2]}**")
    at = at.button(key="backprop_walk_start").click().run()
    assert walk_line(at).startswith("**Gradient 0 of ")


def test_the_three_formulas_stand_next_to_their_passing_checks():
    at = open_page(PAGE)
    assert len(at.latex) == len(backprop.FORMULAS) == 3
    assert [h.value for h in at.subheader][-3:] == [title for title, _ in backprop.FORMULAS.values()]
    checks = [frame.value for frame in at.dataframe[1:4]]
    assert [list(c["tensor"]) for c in checks] == [["logits"], ["hprebn"], ["C", "W1", "b1", "bngain", "bnbias",
                                                                            "W2", "b2"]]
    assert all(c["approximate"].all() for c in checks)


@pytest.mark.slow
def test_steps_train_both_twins_and_their_curves_coincide():
    at = open_page(PAGE, **SHORT)
    at = press_step(at, "backprop_step100")
    assert not at.exception
    pair: backprop_twins.Twins = at.session_state["backprop_twins"].twins
    assert pair.manual.step == pair.autograd.step == 100 and pair.manual.config.lr_decay_at == 500
    frame = chart_with_columns(at, "step", "loss", "backward")[0]["data"][0]
    assert set(frame["backward"]) == set(backprop_twins.BACKWARDS) and len(frame) == 200
    assert float(at.metric[0].value) == pytest.approx(backprop_twins.largest_gap(pair), rel=0.05)
    pair_rate = 100 / (pair.manual.seconds + pair.autograd.seconds)  # a Step button: that chunk's own rate
    assert any(f"**Step 100 of 1,000** · {pair_rate:,.0f} steps/s for the pair" in m.value for m in at.markdown)
    results = at.dataframe[-1].value
    assert float(results.loc["dev", "autograd"]) == pytest.approx(pair.autograd.evaluate("dev"), abs=1e-4)


@pytest.mark.slow
def test_the_twins_join_the_sessions_runs_for_generate_and_compare():
    at = open_page(PAGE, **SHORT)
    at = press_step(at, "backprop_step100")
    records = {r.label: r for r in at.session_state["runs"].values()}
    assert set(records) == {"Backprop · hand-written twin", "Backprop · autograd twin"}
    assert all(r.steps == 100 and r.losses["dev_loss"] is not None for r in records.values())
    at = press_step(at, "backprop_step100")  # the same pair: the same two runs, refreshed
    assert sorted(r.steps for r in at.session_state["runs"].values()) == [200, 200]
    at = at.button(key="backprop_reset").click().run()
    at = press_step(at, "backprop_step100")  # a fresh pair: two more runs
    assert sorted(r.steps for r in at.session_state["runs"].values()) == [100, 100, 200, 200]
    generate = open_page("pages/6_Generate.py", runs=dict(at.session_state["runs"]), gen_count=5)
    assert not generate.exception and len(generated_names(generate)[0]) == 5
    compare = open_page("pages/8_Compare.py", runs=dict(at.session_state["runs"]))
    assert not compare.exception and "Backprop · autograd twin" in compare.dataframe[0].value.to_string()


@pytest.mark.slow
def test_train_runs_and_pause_stops_and_measures():
    at = open_page(PAGE, **SHORT)
    at = at.button(key="backprop_train").click().run()
    assert at.session_state["backprop_twins"].running
    at = at.button(key="backprop_pause").click().run()
    run = at.session_state["backprop_twins"]
    assert not run.running and run.twins.results_step == run.step > 0


@pytest.mark.slow
def test_a_new_schedule_builds_a_new_pair():
    at = open_page(PAGE, **SHORT)
    at = press_step(at, "backprop_step100")
    at.select_slider(key="backprop_steps__w").set_value(5_000).run()
    pair = at.session_state["backprop_twins"].twins
    assert pair.step == 0 and pair.manual.config.steps == 5_000
    assert any("new pair" in i.value for i in at.info)


def test_the_walkthrough_names_the_rows_each_mistake_turns_red(default_data):
    """The stops name which checks fail; the gradient check on exercise 1's network decides it."""
    texts = {stop.settings["backprop_mistake"]: stop.text for stop in backprop_tour()}

    def red(mistake):
        table = expected_table(default_data, mistake)
        return list(table["tensor"]), list(table[~table["approximate"]]["tensor"])

    order, failing = red("forget_bessel")
    assert failing == ["bndiff2", "bndiff", "hprebn", "embcat", "W1", "emb", "C"]
    bessel = texts["forget_bessel"]
    assert "red at bndiff2" in bessel and "bndiff, hprebn, embcat, W1, emb and C" in bessel
    assert "Two stay green: bnmeani" in bessel and "and b1," in bessel
    order, failing = red("wrong_transpose")  # dh and everything computed from it, but b1 (zero under BatchNorm)
    assert failing == [t for t in order[order.index("h"):] if t not in ("W2", "b2", "b1")]
    assert "b1's aside" in texts["wrong_transpose"]
    order, failing = red("drop_broadcast_sum")
    assert failing[0] == "counts" and "starts right at counts" in texts["drop_broadcast_sum"]


def test_a_mistake_says_why_the_rows_after_it_that_stay_green_are_right():
    at = open_page(PAGE)
    at.selectbox(key="backprop_mistake__w").set_value("wrong_transpose").run()
    notes = [i.value for i in at.info if i.value.startswith("Green below the mistake")]
    assert notes[0].startswith("Green below the mistake: `W2`, `b2`.") and "`b1`" in notes[1]


@pytest.mark.slow
def test_a_planted_mistake_trains_the_hand_written_twin_and_the_caption_says_how_far_apart():
    at = open_page(PAGE, **SHORT)
    at.selectbox(key="backprop_mistake__w").set_value("tanh_uses_input").run()
    at = press_step(at, "backprop_step100")
    assert not at.exception
    gap = backprop_twins.largest_gap(at.session_state["backprop_twins"].twins)
    assert gap > VISIBLE_GAP
    caption = next(c.value for c in at.caption if c.value.startswith("Solid blue"))
    assert f"come apart by up to {gap:.2f}" in caption and "1 − hpreact²" in caption
    labels = {r.label for r in at.session_state["runs"].values()}
    assert labels == {"Backprop · hand-written twin (mistake: tanh uses input)", "Backprop · autograd twin"}
