"""The Generate page: sampling from the session's models, the step-by-step view, presets on demand."""
import pytest
import torch

from makemore.lessons.sampling import trace_nth
from makemore.models import MLPConfig
from makemore.presets import SAMPLE_SEED
from makemore.sampling import sample_names
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import chart_with_columns, generated_names, open_page
from ui import runs

PAGE = "pages/6_Generate.py"


@pytest.fixture(scope="module")
def mlp_record(default_data):
    trainer = build_trainer(MLPConfig(n_hidden=25), TrainConfig(steps=300, stats_every=0), default_data, 3)
    trainer.advance(300)
    return runs.from_trainer(trainer, runs.new_run_id(), "small mlp", "MLP", "names", 3, SAMPLE_SEED)


def names_shown(at) -> list[str]:
    return generated_names(at)[0]


def test_an_empty_session_offers_a_preset():
    at = open_page(PAGE)
    assert not at.exception
    assert "No models yet" in at.info[0].value


def test_samples_are_the_packages_and_marked_new_or_seen(mlp_record):
    at = open_page(PAGE, runs={mlp_record.run_id: mlp_record}, gen_count=12, gen_seed=5, gen_temperature=0.7)
    assert not at.exception
    expected = sample_names(mlp_record.model, mlp_record.vocab, 12, 5, 0.7, known_words=mlp_record.words)
    names, statuses = generated_names(at)
    assert names == [s.name for s in expected]
    assert statuses == ["in the data" if s.in_data else "new" for s in expected]
    assert at.metric[0].value == f"{sum(not s.in_data for s in expected)} of 12"
    download = at.get("download_button")[0]
    assert download.proto.label == "Download names (.txt)"


def test_controls_change_the_names(mlp_record):
    at = open_page(PAGE, runs={mlp_record.run_id: mlp_record})
    first = names_shown(at)
    assert len(first) == 20
    at.number_input(key="gen_seed__w").set_value(SAMPLE_SEED + 1).run()
    assert names_shown(at) != first
    at.slider(key="gen_temperature__w").set_value(0.2).run()
    cold = sample_names(mlp_record.model, mlp_record.vocab, 20, SAMPLE_SEED + 1, 0.2)
    assert names_shown(at) == [s.name for s in cold]


@pytest.mark.slow
def test_step_by_step_view_follows_one_sample(mlp_record):
    at = open_page(PAGE, runs={mlp_record.run_id: mlp_record}, gen_trace=2)
    assert not at.exception
    name, steps = trace_nth(mlp_record.model, mlp_record.vocab, SAMPLE_SEED, 2)
    assert name == names_shown(at)[2]
    at.slider(key="gen_step").set_value(2).run()
    bars = chart_with_columns(at, "token", "label", "prob", "chosen")[0]["data"][0]
    assert bars["prob"].to_numpy() == pytest.approx(steps[1].probs.double().numpy(), abs=1e-6)
    assert bars.loc[bars["chosen"], "token"].tolist() == [steps[1].chosen]
    assert any(f"drew **{mlp_record.vocab.itos[steps[1].chosen]}**" in m.value for m in at.markdown)


def test_a_preset_is_trained_on_demand_with_progress(default_data):
    at = open_page(PAGE, gen_preset="bigram")
    at = at.button(key="gen_preset_train").click().run()
    assert not at.exception and not at.session_state["gen_preset_run"].running
    registry = at.session_state["runs"]
    assert len(registry) == 1
    record = next(iter(registry.values()))
    assert record.label == "bigram preset" and record.page == "Generate"
    assert names_shown(at) == [s.name for s in sample_names(record.model, record.vocab, 20,
                                                                             SAMPLE_SEED)]


def test_a_long_preset_trains_in_turns_and_a_pause_keeps_it():
    """The Transformer's 50,000 steps train a tick at a time (they ran 19 minutes on one click, out of the turns)."""
    at = open_page(PAGE, gen_preset="transformer", gen_preset_steps=50_000)
    at = at.button(key="gen_preset_train").click().run()
    run = at.session_state["gen_preset_run"]
    assert not at.exception and run.running and 0 < run.step < 50_000
    assert at.button(key="gen_preset_pause") and not at.session_state["runs"]
    at = at.button(key="gen_preset_pause").click().run()
    record, = at.session_state["runs"].values()
    assert not run.running and record.steps == run.step and record.label == "transformer preset"
    assert at.session_state["gen_model"] == record.run_id


def test_a_diverged_model_is_refused_with_a_message(default_data):
    trainer = build_trainer(MLPConfig(n_hidden=25), TrainConfig(steps=10, stats_every=0), default_data, 3)
    trainer.advance(3)
    with torch.no_grad():
        trainer.model.C.fill_(float("nan"))
    record = runs.from_trainer(trainer, runs.new_run_id(), "broken", "MLP", "names", 3, SAMPLE_SEED, evaluate=False)
    at = open_page(PAGE, runs={record.run_id: record})
    assert not at.exception
    assert "cannot make names" in at.error[0].value


def test_every_name_is_listed_whole_and_literally():
    from makemore.sampling import Sample
    from tests.apptest_helpers import NAME_LINE
    from ui.panels.generate import names_markdown
    names = ["ann", "a`b", "`x``", ":smile: *$x$*", "q" * 100]
    samples = [Sample(name, in_data=i == 0, truncated=i == 4) for i, name in enumerate(names)]
    lines = [NAME_LINE.fullmatch(line) for line in names_markdown(samples).splitlines()]
    assert [line[2] for line in lines] == names[:4] + ["q" * 100 + "…"]  # code spans: nothing is interpreted
    assert [line[3] for line in lines] == ["*in the data*", "new", "new", "new", "new"]
