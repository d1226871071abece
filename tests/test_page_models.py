"""The Models page (RNN, GRU, bag of words, Transformer), rendered with AppTest."""
from dataclasses import replace

import pytest

from makemore.models import BoWConfig, RNNConfig, build_model, fitted_to
from tests.apptest_helpers import chart_with_columns, generated_names, open_page, press_step, with_word_list

PAGE = "pages/7_Models.py"
NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "charlotte", "amelia", "harper", "evelyn",
         "abigail", "emily", "ella", "elizabeth", "camila", "luna", "sofia", "avery", "mila", "aria"]


@pytest.fixture
def small_list(tmp_path):
    """Session state selecting a 20-name list (quick to evaluate after every step)."""
    path = tmp_path / "names20.txt"
    path.write_text("\n".join(NAMES) + "\n")
    return with_word_list(path)


def trainer_of(at):
    return at.session_state["models_run"].trainer


def choose(at, family):
    next(w for w in at.selectbox if w.key == "models_family__w").set_value(family).run()
    return at


def step(at, n):
    return press_step(at, f"models_step{n}")


def test_page_opens_with_the_transformer_at_its_makemore_settings():
    at = open_page(PAGE)
    assert not at.exception
    trainer = trainer_of(at)
    config = trainer.model.config
    assert (config.family, config.n_layer, config.n_head, config.n_embd) == ("transformer", 4, 4, 64)
    assert config.block_size == trainer.data.max_word_length + 1
    assert (trainer.config.optimizer, trainer.config.lr, trainer.config.weight_decay) == ("adamw", 5e-4, 0.01)
    assert trainer.step == 0 and any("Take a step" in i.value for i in at.info)


def test_a_step_shows_module_statistics_and_attention_maps_for_the_name(small_list):
    at = step(open_page(PAGE, **small_list), 1)
    assert not at.exception
    model = trainer_of(at).model
    assert [t.label for t in at.tabs] == ["Activations", "Gradients", "Parameters", "Attention maps"]
    modules = next(d.value for d in at.dataframe if "module" in d.value.columns)
    assert modules["module"].tolist() == model.layer_names
    attention = chart_with_columns(at, "layer", "head", "query", "key", "weight")[0]["data"][0]
    T = len(NAMES[0]) + 1  # the name box starts with the list's first word, read after the boundary
    assert len(attention) == 4 * 4 * T * T
    assert attention.groupby(["layer", "head", "query_pos"])["weight"].sum().to_numpy() == pytest.approx(1, abs=1e-5)


@pytest.mark.slow
def test_changing_the_model_starts_a_new_network_with_hidden_states(small_list):
    at = step(open_page(PAGE, **small_list), 1)
    at = step(choose(at, "gru"), 1)
    assert not at.exception
    trainer = trainer_of(at)
    assert trainer.model.config.family == "gru" and trainer.step == 1
    assert "Hidden states" in [t.label for t in at.tabs]
    states = chart_with_columns(at, "position", "token", "unit", "value")[0]["data"][0]
    assert states["unit"].nunique() == 64 and states["position"].nunique() == len(NAMES[0]) + 1


def test_dropout_trains_a_transformer_that_drops_while_training_only(small_list):
    at = open_page(PAGE, **small_list)
    next(w for w in at.select_slider if w.key == "models_dropout__w").set_value(0.2).run()
    at = step(at, 1)
    assert not at.exception
    trainer = trainer_of(at)
    assert trainer.model.config.dropout == 0.2 and trainer.step == 1
    assert "dropout 0.2" in next(iter(at.session_state["runs"].values())).label
    x = trainer.model.examples(trainer.data, "train")[0][:4]
    assert not (trainer.model.logits(x) == trainer.model.logits(x)).all()  # masks redrawn while training
    assert trainer.evaluate("dev") == trainer.evaluate("dev")  # evaluation keeps every unit


@pytest.mark.slow
def test_a_name_with_unknown_characters_is_explained_not_raised(small_list):
    at = step(choose(open_page(PAGE, **small_list), "rnn"), 1)
    next(w for w in at.text_input if w.key == "models_name__w").set_value("Zoë").run()
    assert not at.exception
    assert any("Cannot read `Zoë`" in w.value for w in at.warning)


@pytest.mark.slow
def test_the_leaderboard_lists_every_run_with_its_size_time_and_losses(small_list):
    at = step(choose(open_page(PAGE, **small_list), "bow"), 100)
    at = step(choose(at, "rnn"), 100)
    assert not at.exception
    board = next(d.value for d in at.dataframe if "params" in d.value.columns)
    assert sorted(board["model"]) == ["bow", "rnn"]
    data = trainer_of(at).data
    sizes = {family: build_model(replace(fitted_to(config, data), vocab_size=data.vocab.size)).num_params()
             for family, config in [("bow", BoWConfig()), ("rnn", RNNConfig())]}
    assert dict(zip(board["model"], board["params"])) == sizes
    assert (board["steps"] == 100).all() and (board["seconds"] > 0).all()
    assert board[["train", "dev", "test"]].notna().all().all()


def test_the_live_tick_trains_the_page_run(small_list):
    """run_every never fires under AppTest: drive the live area's chunk function directly."""
    at = choose(open_page(PAGE, **small_list), "bow")
    run = at.session_state["models_run"]
    assert run.train_for(60, max_steps=25) == 25
    assert run.trainer.step == 25 and run.trainer.snapshot is not None


@pytest.mark.slow
def test_a_run_from_this_page_makes_names_on_the_generate_page(small_list):
    from makemore.sampling import sample_names
    at = step(choose(open_page(PAGE, **small_list), "transformer"), 1)
    registry = at.session_state["runs"]
    record = next(iter(registry.values()))
    generate = open_page("pages/6_Generate.py", **small_list, runs=registry, gen_count=6, gen_seed=4)
    assert not generate.exception
    expected = sample_names(record.model, record.vocab, 6, 4, known_words=record.words)
    assert generated_names(generate)[0] == [s.name + ("…" if s.truncated else "") for s in expected]
