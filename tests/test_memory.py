"""Bounded memory: a run's history stays the same size however long it trains, and a session's runs
do not pile up on the server."""
import ctypes
import gc
import os

import pytest
import torch

from makemore.models import DeepMLPConfig, layers_of
from makemore.stats.history import History
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import open_page, press_step, with_word_list
from tests.streamlit_server import resident_bytes
from ui.runs import MAX_RUNS

PAGE = "pages/3_Activations_and_BatchNorm.py"
LONG_RUN = 200_000


def stored_bytes(history: History) -> int:
    return history.steps.untyped_storage().nbytes() + history.values.untyped_storage().nbytes()


def test_a_200000_step_history_keeps_its_shape_in_fixed_memory():
    history = History(1)  # the trainer's loss history
    empty = stored_bytes(history)
    chunks = torch.randint(1, 2000, (400,), generator=torch.Generator().manual_seed(0))  # uneven ticks
    start = 0
    while start < LONG_RUN:
        n = min(int(chunks[start % 400]), LONG_RUN - start)
        steps = torch.arange(start, start + n)
        history.append(steps, steps.float())  # loss = step: each stored row must average its steps
        start += n
    assert len(history) <= history.capacity and stored_bytes(history) == empty
    assert history.steps[0] == 0 and history.steps[-1] > LONG_RUN - 2 * history.stride
    assert torch.all(history.steps[1:] - history.steps[:-1] == history.stride)  # evenly downsampled
    assert torch.allclose(history.values[:, 0], history.steps.float() + (history.stride - 1) / 2)


@pytest.mark.slow
def test_a_real_trainer_stops_growing_once_its_history_is_full(default_data):
    tiny = DeepMLPConfig(n_embd=2, n_hidden=4, n_layers=1, batchnorm=False)
    trainer = build_trainer(tiny, TrainConfig(steps=LONG_RUN, batch_size=4, stats_every=5), default_data, 1)
    histories = [trainer.loss_history, trainer.update_history, trainer.saturation_history]
    trainer.advance(6000)
    sizes = [stored_bytes(h) for h in histories]
    trainer.advance(6000)
    assert [stored_bytes(h) for h in histories] == sizes
    assert len(trainer.loss_history) <= trainer.loss_history.capacity < trainer.step
    assert trainer.loss_history.stride >= 4 and trainer.update_history.stride >= 2
    assert trainer.loss_history.steps[-1] >= trainer.step - trainer.loss_history.stride


@pytest.mark.slow
def test_a_kept_run_holds_its_last_training_batch_not_evaluation_activations():
    """Step 1,000 evaluates dev at step 1,000 and, archiving the run, every split: the layers keep the last
    training batch's output (the lecture's `.out`), not a chunk of a split (some 40 MB per run)."""
    at = press_step(open_page(PAGE), "diag_step1000")
    record, = at.session_state["runs"].values()
    assert record.losses and at.session_state["diag_run"].trainer.evals  # both evaluations ran
    outs = [layer.out for layer in layers_of(record.model)]
    assert outs and all(out.shape[0] == 32 for out in outs), [tuple(out.shape) for out in outs]


def live_bytes() -> int:
    """This process's resident memory after a full collection (what the server would hold)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand freed heap pages back, so RSS counts live memory
    return resident_bytes(os.getpid())


@pytest.mark.slow
def test_ten_runs_in_one_session_stay_within_twice_the_memory_of_one(default_data, tmp_path):
    words = tmp_path / "names-3000.txt"  # a shorter list: each archived run evaluates its splits
    words.write_text("\n".join(default_data.words[:3000]))
    at = press_step(open_page(PAGE, **with_word_list(words)), "diag_step100")
    after_one = live_bytes()
    for _ in range(9):
        at = at.button(key="diag_reset").click().run()
        at = press_step(at, "diag_step100")
    assert not at.exception
    assert len(at.session_state["runs"]) == 10 <= MAX_RUNS  # every run is kept (for Compare)
    assert live_bytes() < 2 * after_one
