"""Runs kept in the store and brought back: a reload (a new AppTest session opened with the first one's ?s=) finds
the runs, the pins and the page's live run where they were; the store's refusals are said, never raised.

The store is the test process's own SQLite file (tests/conftest.py); these tests read it through a second Store on
the same file, as a second replica would.
"""
import pandas as pd
import pytest
import torch
from streamlit.testing.v1 import AppTest

from makemore.models import MLPConfig
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import chart_with_columns, open_page, open_with_url, press_step
from ui import runs
from ui.state import SESSION_PARAM
from ui.store import Store, sessions

MLP = "pages/2_MLP.py"
DIAGNOSTICS = "pages/3_Activations_and_BatchNorm.py"
COMPARE = "pages/8_Compare.py"
GENERATE = "pages/6_Generate.py"


def code_of(at: AppTest) -> str:
    return at.query_params[SESSION_PARAM]


def reloaded(at: AppTest, page: str) -> AppTest:
    """The tab reloaded (or its address opened on another device): a new session of `page`, the page `at` shows,
    with its whole address (the session's code and the controls)."""
    return open_with_url(page, **{name: value for name, value in at.query_params.items()})


def elsewhere(at: AppTest, page: str) -> AppTest:
    """Another page opened with the session's code alone (the "continue on another device" link)."""
    return open_with_url(page, **{SESSION_PARAM: code_of(at)})


def kept(code: str) -> list[sessions.RunInfo]:
    store = Store()
    try:
        return store.open_session(code).runs()
    finally:
        store.close()


def test_every_page_run_keeps_the_session_code_in_the_url_and_a_reload_keeps_it():
    at = open_page(MLP)
    code = code_of(at)
    assert len(code) == 27  # 160 bits (ui/store/codes.py)
    devices = [block.value for block in at.sidebar.code if block.value.endswith(f"?{SESSION_PARAM}={code}")]
    assert len(devices) == 1 and devices[0].startswith("http")  # "continue on another device": the code alone
    again = elsewhere(at, COMPARE)
    assert code_of(again) == code and not again.exception
    assert code_of(open_page(MLP)) != code  # a new tab without the address is a new session


def test_an_unknown_code_starts_a_new_session_and_says_so():
    at = open_with_url(COMPARE, **{SESSION_PARAM: "x" * 27})
    assert not at.exception
    assert code_of(at) != "x" * 27
    assert any("unknown or has expired" in t.value for t in at.toast)


@pytest.mark.slow
def test_a_reloaded_page_continues_its_run_as_if_it_had_never_stopped(default_data):
    at = open_page(MLP, mlp_steps=1000)
    at = press_step(at, "mlp_step100")
    first = at.session_state["mlp_run"]
    assert [info.steps for info in kept(code_of(at))] == [100]
    at = reloaded(at, MLP)
    run = at.session_state["mlp_run"]
    assert run.run_id == first.run_id and run.trainer.step == 100 and "Continued from step 100" in run.notice
    torch.testing.assert_close(run.trainer.loss_history.values, first.trainer.loss_history.values, rtol=0, atol=0)
    at = press_step(at, "mlp_step100")
    alone = build_trainer(MLPConfig(), TrainConfig(steps=1000, lr_decay_at=500, stats_every=0), default_data,
                          at.session_state["shared_seed"])
    alone.advance(200)
    resumed = at.session_state["mlp_run"].trainer
    torch.testing.assert_close(resumed.loss_history.values, alone.loss_history.values, rtol=0, atol=0)
    assert [info.steps for info in kept(code_of(at))] == [200]  # the same run, kept again


@pytest.mark.slow
def test_a_run_comes_back_on_compare_and_generate_with_its_curves():
    at = open_page(MLP, mlp_steps=1000)
    at = press_step(at, "mlp_step100")
    label = at.session_state["mlp_run"].label
    compare = elsewhere(at, COMPARE)
    assert not compare.exception
    assert compare.dataframe[0].value["run"].tolist() == [label]
    assert compare.dataframe[0].value["steps"].tolist() == [100]
    loss = chart_with_columns(compare, "run", "step", "loss", "first")[0]["data"]
    assert any(set(frame["run"]) == {label} and frame["last"].max() >= 90 for frame in loss if "last" in frame)
    generate = elsewhere(at, GENERATE)
    assert not generate.exception and generate.selectbox(key="gen_model__w").value in generate.session_state["runs"]
    assert generate.session_state["runs"][generate.selectbox(key="gen_model__w").value].steps == 100


@pytest.mark.slow
def test_a_new_network_does_not_continue_the_kept_one_and_pins_come_back():
    at = open_page(DIAGNOSTICS)
    at = press_step(at, "diag_step100")
    at = at.button(key="diag_pin").click().run()
    pinned = at.session_state["diag_run"].pinned
    assert len(pinned) == 1
    again = open_with_url(DIAGNOSTICS, **{SESSION_PARAM: code_of(at), "gain": "2"})  # another network
    run = again.session_state["diag_run"]
    assert run.trainer.step == 0 and not run.notice
    assert [p["label"] for p in run.pinned] == [pinned[0]["label"]]
    pd.testing.assert_frame_equal(run.pinned[0]["loss"], pinned[0]["loss"], check_dtype=False)
    again = press_step(again, "diag_step100")
    assert [p["label"] for p in again.session_state["diag_run"].pinned] == [pinned[0]["label"]]
    for columns in [("run", "step", "loss"), ("run", "step", "log10_ratio")]:  # the loss and update:data charts
        frames = [f for chart in chart_with_columns(again, *columns) for f in chart["data"] if "run" in f]
        assert any(pinned[0]["label"] in set(f["run"]) for f in frames), columns


@pytest.mark.slow
def test_a_diverged_run_comes_back_diverged_and_the_page_starts_afresh():
    at = open_page(DIAGNOSTICS, diag_batchnorm=False, diag_lr_exponent=1.0, diag_gain=5 / 3)
    at = press_step(at, "diag_step1000")
    assert at.session_state["diag_run"].trainer.diverged
    again = reloaded(at, DIAGNOSTICS)
    assert again.session_state["diag_run"].trainer.step == 0 and not again.session_state["diag_run"].notice
    assert not again.exception
    compare = elsewhere(at, COMPARE)
    assert compare.dataframe[0].value["diverged"].tolist() == [True]


def test_a_kept_run_with_nan_weights_is_offered_for_removal_not_raised():
    script = AppTest.from_function(_record_runs, args=(1, True), default_timeout=120)
    script.run()
    compare = open_with_url(COMPARE, **{SESSION_PARAM: script.query_params[SESSION_PARAM]})
    assert not compare.exception and not compare.session_state["runs"]
    warning = next(w.value for w in compare.warning if "could not be brought back" in w.value)
    assert "NaN" in warning
    run_id = compare.session_state[runs.REFUSED][0][0].run_id
    compare = compare.button(key=f"compare_refused_{run_id}").click().run()
    assert not compare.warning and kept(code_of(compare)) == []


def test_an_uploaded_checkpoint_is_kept(default_data):
    trainer = build_trainer(MLPConfig(n_hidden=20), TrainConfig(steps=50), default_data, 3)
    trainer.advance(50)
    rec = runs.from_trainer(trainer, "x", "uploaded mlp", "MLP", "names", 3, 4)
    script = AppTest.from_function(_upload_in_session, args=(runs.checkpoint_bytes(rec),), default_timeout=60)
    script.run()
    assert not script.exception
    assert [(info.label, info.steps) for info in kept(script.query_params[SESSION_PARAM])] == [("uploaded mlp", 50)]


def _upload_in_session(raw: bytes) -> None:
    from ui import runs, session_store
    session_store.keep_code_in_url()
    runs.restore(raw, "model.pt")


def test_the_oldest_run_leaves_the_store_with_the_registry(default_data):
    script = AppTest.from_function(_record_runs, args=(sessions.MAX_RUNS + 2,), default_timeout=120)
    script.run()
    assert not script.exception
    infos = kept(script.query_params[SESSION_PARAM])
    assert [info.label for info in infos] == [f"run {i}" for i in range(2, sessions.MAX_RUNS + 2)]


def _record_runs(count: int, nan_weights: bool = False) -> None:
    import math

    from makemore.data import load_data
    from makemore.models import NeuralBigramConfig
    from makemore.training import TrainConfig, build_trainer
    from ui import runs, session_store
    session_store.keep_code_in_url()
    trainer = build_trainer(NeuralBigramConfig(), TrainConfig(steps=1, batch_size=None), load_data(), 1)
    if nan_weights:  # as a run that diverged to NaN keeps them
        next(trainer.model.parameters()).data.fill_(math.nan)
    for i in range(count):
        runs.record(trainer, runs.new_run_id(), f"run {i}", "test", "names", 1, 1, evaluate=False)


def test_the_store_at_its_cap_is_said_once_and_training_goes_on(monkeypatch):
    monkeypatch.setattr(sessions, "MAX_BYTES", 1000)
    script = AppTest.from_function(_autosave_while_training, default_timeout=120)
    script.run()
    assert not script.exception
    full = [t.value for t in script.toast if "MB" in t.value]
    assert len(full) == 1 and "remove a run on the Compare page" in full[0]
    assert script.session_state["autosave_test"].trainer.step > 0


def test_autosave_keeps_a_training_run_without_evaluating_it():
    script = AppTest.from_function(_autosave_while_training, default_timeout=120)
    script.run()
    assert not script.exception and not script.toast
    run = script.session_state["autosave_test"]
    infos = kept(script.query_params[SESSION_PARAM])
    assert [info.run_id for info in infos] == [run.run_id] and 0 < infos[0].steps <= run.trainer.step
    assert not script.session_state["runs"][run.run_id].losses  # dev loss measured only when it pauses


def _autosave_while_training() -> None:
    """A live run as the live area trains it, tick after tick (AppTest never fires run_every)."""
    from makemore.models import MLPConfig
    from makemore.training import TrainConfig
    from ui.live import live_run
    from ui.sidebar import page_setup
    settings = page_setup("autosave")
    run = live_run("autosave_test", MLPConfig(n_hidden=20), TrainConfig(steps=10_000), settings, "autosave", "MLP", 0)
    run.running = True
    for _ in range(3):
        run.train_for(0.05)
        run.saved_at = None  # due again at the next tick
