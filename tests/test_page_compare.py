"""The Compare page and the run registry's export/import."""
import pandas as pd
import pytest

from makemore.charts.compare import LEGEND_PX, LEGEND_ROW_PX, runs_loss_chart, runs_update_chart
from makemore.models import DeepMLPConfig
from makemore.sampling import sample_names
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import chart_with_columns, open_page
from ui import runs

PAGE = "pages/8_Compare.py"


def make_record(data, gain, label, steps=60):
    trainer = build_trainer(DeepMLPConfig(n_hidden=32, n_layers=2, gain=gain), TrainConfig(steps=1000, stats_every=10),
                            data, 7)
    trainer.advance(steps)
    trainer.record_eval()
    return runs.from_trainer(trainer, runs.new_run_id(), label, "test", "names", 7, 11)


@pytest.fixture(scope="module")
def two_runs(default_data):
    a, b = make_record(default_data, 1.0, "gain 1"), make_record(default_data, 2.0, "gain 2")
    return {a.run_id: a, b.run_id: b}


def test_empty_session_explains_what_to_do():
    at = open_page(PAGE)
    assert not at.exception
    assert "No runs yet" in at.info[0].value


@pytest.mark.slow
def test_two_runs_are_overlaid_and_their_differences_highlighted(two_runs):
    at = open_page(PAGE, runs=dict(two_runs))
    assert not at.exception
    board = at.dataframe[0].value
    assert board["run"].tolist() == ["gain 1", "gain 2"] and board["steps"].tolist() == [60, 60]
    loss = chart_with_columns(at, "run", "step", "loss", "first")[0]["data"]
    assert any(set(frame["run"]) == {"gain 1", "gain 2"} for frame in loss)
    configs = at.dataframe[1].value
    assert configs.loc["init gain"].tolist() == ["✱", "1", "2"]  # readable names and values, differences marked
    assert configs.index[0] == "init gain" and "None" not in configs.to_numpy() and "False" not in configs.to_numpy()
    ud = chart_with_columns(at, "run", "step", "log10_ratio")
    assert ud and any(set(f["run"]) == {"gain 1", "gain 2"} for f in ud[0]["data"])


@pytest.mark.slow
def test_rename_and_remove(two_runs):
    at = open_page(PAGE, runs=dict(two_runs))
    first = list(two_runs)[0]
    at.text_input(key=f"compare_name_{first}").set_value("baseline").run()
    assert at.session_state["runs"][first].label == "baseline"
    at.button(key=f"compare_remove_{first}").click().run()
    assert first not in at.session_state["runs"] and len(at.session_state["runs"]) == 1
    assert not at.exception


@pytest.mark.slow
def test_checkpoint_round_trip_gives_the_same_samples(default_data, monkeypatch):
    rec = make_record(default_data, 5 / 3, "kaiming", steps=100)
    store = {}
    monkeypatch.setattr(runs, "registry", lambda: store)
    restored = runs.restore(runs.checkpoint_bytes(rec), "kaiming.pt")
    assert restored.label == "kaiming" and restored.steps == 100 and restored.words == rec.words
    assert restored.loss_curve["loss"].tolist() == pytest.approx(rec.loss_curve["loss"].tolist())
    a = sample_names(rec.model, rec.vocab, 10, seed=3)
    b = sample_names(restored.model, restored.vocab, 10, seed=3)
    assert [s.name for s in a] == [s.name for s in b]


def test_stats_csv_has_every_kind(two_runs):
    text = runs.stats_csv(next(iter(two_runs.values()))).decode()
    header, *rows = text.strip().splitlines()
    assert header == "kind,step,name,value"
    assert {row.split(",")[0] for row in rows} == {"train_loss", "dev_loss", "update_data_log10"}


def test_the_charts_grow_with_their_legend_so_the_plots_keep_their_height(two_runs):
    """Streamlit fits a chart's bottom legend inside its height: each run's legend row is added to it."""
    one, both = [runs_loss_chart(frame, height=300) for frame in (loss_frame(two_runs, 1), loss_frame(two_runs, 2))]
    assert both.height - one.height == LEGEND_ROW_PX and one.height == 300 + LEGEND_PX + LEGEND_ROW_PX
    update = pd.concat([r.update_curve.assign(run=r.label) for r in two_runs.values()])
    assert runs_update_chart(update, height=300).height == 300 + LEGEND_PX + 2 * LEGEND_ROW_PX


def loss_frame(records, count):
    return pd.concat([r.loss_curve.assign(run=r.label) for r in list(records.values())[:count]], ignore_index=True)
