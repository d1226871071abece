"""The lectures' printed numbers, reproduced on names.txt (skipped where it is absent)."""
import pytest

from makemore.data import load_data
from makemore.presets import LECTURE_SEED, PRESETS
from makemore.stats import diagnostics
from makemore.training import TrainConfig, build_trainer
from ui.panels.deep_net_controls import BATCHNORM, KAIMING, OUTPUT_FIXED, RAW, TANH_FIXED, setup_controls


def test_bigram_counts_nll(lecture_names_path):
    data = load_data(lecture_names_path, split="none")
    preset = PRESETS["bigram"]
    trainer = build_trainer(preset.model, preset.train, data, preset.seed)
    assert round(trainer.evaluate("train"), 4) == 2.4544


@pytest.mark.slow
def test_neural_bigram_approaches_the_counts(lecture_names_path):
    data = load_data(lecture_names_path, split="none")
    counts = build_trainer(PRESETS["bigram"].model, PRESETS["bigram"].train, data, 2147483647).evaluate("train")
    preset = PRESETS["bigram-nn"]
    trainer = build_trainer(preset.model, preset.train, data, preset.seed)
    trainer.advance(preset.train.steps)
    nn_loss = trainer.evaluate("train")
    assert counts < nn_loss < counts + 0.02  # regularization keeps it just above the counts


@pytest.fixture(scope="module")
def deep_after_1001(lecture_data):
    """The part-3 deep net after the lecture's 1001 steps (it breaks out at i >= 1000)."""
    preset = PRESETS["deep"]
    trainer = build_trainer(preset.model, preset.train, lecture_data, preset.seed)
    trainer.advance(1001, snapshot_last=True)
    return trainer.snapshot


@pytest.mark.slow
def test_activation_statistics_match_the_printout(deep_after_1001):
    table = diagnostics.activation_table(deep_after_1001, kinds=("Tanh",))
    assert table["layer"].tolist() == [2, 5, 8, 11, 14]
    assert [round(v, 2) for v in table["std"]] == [0.63, 0.64, 0.65, 0.65, 0.65]
    assert [round(v, 2) for v in table["saturated_pct"]] == [2.78, 2.56, 2.25, 1.69, 1.88]


def test_gradient_statistics_match_the_printout(deep_after_1001):
    table = diagnostics.gradient_table(deep_after_1001, kinds=("Tanh",))
    lecture = [2.640702e-03, 2.245584e-03, 2.045742e-03, 1.983134e-03, 1.952382e-03]
    assert table["std"].tolist() == pytest.approx(lecture, rel=1e-5)


def test_weight_gradient_ratios_match_the_printout(deep_after_1001):
    table = diagnostics.parameter_table(deep_after_1001)
    weights = table[table["ndim"] == 2]
    assert weights["grad_std"].tolist() == pytest.approx(
        [8.020534e-03, 9.241077e-03, 7.132879e-03, 6.234305e-03, 5.742187e-03, 5.672205e-03, 1.209416e-02], rel=1e-5)
    assert weights["grad_data_ratio"].tolist() == pytest.approx(
        [8.012630e-03, 4.881091e-02, 6.964619e-02, 6.073741e-02, 5.631483e-02, 5.570125e-02, 1.160106e-01], rel=1e-5)


# part 3's story, stop by stop, as the diagnostics page builds each stop's network (its controls' config)
PART3_STOPS = {RAW: 27.8817, OUTPUT_FIXED: 3.3221, TANH_FIXED: 3.3135, KAIMING: 3.3179, BATCHNORM: 3.3239}


@pytest.fixture(scope="module")
def part3_first_steps(lecture_data):
    trainers = {}
    for name in PART3_STOPS:
        controls = setup_controls(name)
        train = TrainConfig(batch_size=controls.batch_size, lr=10 ** controls.lr_exponent, stats_every=1)
        trainers[name] = build_trainer(controls.model_config(), train, lecture_data, LECTURE_SEED)
        trainers[name].advance(1)
    return trainers


@pytest.mark.parametrize("name", list(PART3_STOPS))
def test_part3_stops_first_loss(part3_first_steps, name):
    assert round(part3_first_steps[name].first_loss, 4) == PART3_STOPS[name]


def test_part3_saturation_story(part3_first_steps):
    """About 61% of |h| > 0.99 in the raw init's first batch; about 1% once tanh is fixed."""
    def white(name):
        tanh = next(r for r in part3_first_steps[name].snapshot.layers if r.kind == "Tanh")
        return (tanh.out.abs() > 0.99).float().mean().item() * 100
    assert round(white(RAW)) == round(white(OUTPUT_FIXED)) == 61  # fixing the output leaves tanh saturated
    assert round(white(TANH_FIXED)) == 1
    assert white(TANH_FIXED) < white(KAIMING) < white(RAW)  # Kaiming's 0.30 is a little more than 0.2
