"""A checkpoint is data from a stranger: every field is checked before anything is built or stored.

Each tampered file is refused with a message that names what is wrong, the Compare page keeps working
(its Remove buttons included) and nothing of it is stored; a file declaring a huge model is refused
before its memory is taken; uploads count against the session's run cap.
"""
import io
import resource

import pytest
import torch

from makemore import checkpoint
from makemore.models import DeepMLPConfig, MLPConfig, build_model, config_to_dict
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import open_page
from ui import runs

COMPARE = "pages/8_Compare.py"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def payload(data, **changes) -> dict:
    """A healthy checkpoint's payload (a small trained net with its run information), with `changes`;
    a change of the form meta__key edits one field of the run information."""
    trainer = build_trainer(DeepMLPConfig(n_hidden=8, n_layers=1), TrainConfig(steps=5), data, 3)
    trainer.advance(5)
    meta = {"label": "healthy", "seed": 3, "sample_seed": 13, "steps": 5, "seconds": 0.1,
            "losses": {"train_loss": 3.1, "dev_loss": 3.2, "test_loss": None},
            "train_config": {"steps": 5, "lr": 0.1}, "evals": [{"step": 5, "dev": 3.2}],
            "loss_curve": {"step": [0, 1, 2], "loss": [3.3, 3.2, 3.1]}, "diverged_at": None}
    body = {"format": checkpoint.FORMAT, "config": config_to_dict(trainer.model.config),
            "state_dict": {k: v.clone() for k, v in trainer.model.state_dict().items()},
            "vocab": data.vocab.to_dict(), "words": "\n".join(data.splits["train"][:50]), "meta": meta}
    for key, value in changes.items():
        if key.startswith("meta__"):
            meta[key[6:]] = value
        else:
            body[key] = value
    return body


def saved(body) -> bytes:
    buffer = io.BytesIO()
    torch.save(body, buffer)
    return buffer.getvalue()


def hostile(data) -> dict:
    """name -> (file bytes, what the message must say)."""
    healthy = payload(data)
    first_weight = next(iter(healthy["state_dict"]))
    shared = torch.zeros(checkpoint.MAX_STORAGE_BYTES // 4 + 1)  # a small view of a storage past the bound
    huge = config_to_dict(MLPConfig(vocab_size=data.vocab.size))
    return {
        "picture.pt": (PNG, "is not a checkpoint"),
        "notes.pt": (b"a line of text\n", "is not a checkpoint"),
        "unknown-setting.pt": (saved(payload(data, meta__train_config={"steps": 5, "turbo": True})),
                               "settings this version does not know: turbo"),
        "seed-text.pt": (saved(payload(data, meta__seed="forty-two")), "its seed must be a whole number"),
        "curve-lengths.pt": (saved(payload(data, meta__loss_curve={"step": [0, 1, 2], "loss": [3.0]})),
                             "has 3 steps but 1 losses"),
        "meta-list.pt": (saved(payload(data, meta=[1, 2, 3])), "its run information must be a table"),
        "words-number.pt": (saved(payload(data, words=12345)), "its word list must be text"),
        "steps-huge.pt": (saved(payload(data, meta__steps=10**30)), "its steps must be a whole number"),
        "label-number.pt": (saved(payload(data, meta__label=7)), "its label must be text"),
        "label-list.pt": (saved(payload(data, meta__label=["a", "b"])), "its label must be text"),
        "huge-model.pt": (saved(payload(data, config={**huge, "n_hidden": 10**8})),
                          "more than 5,000,000 numbers"),
        "config-type.pt": (saved(payload(data, config={**huge, "n_hidden": "lots"})),
                           "n_hidden must be int"),
        "wrong-shape.pt": (saved(payload(data, state_dict={**healthy["state_dict"], first_weight: torch.zeros(3, 3)})),
                           f"its tensor {first_weight} is (3, 3)"),
        "hidden-storage.pt": (saved(payload(data, state_dict={
            **healthy["state_dict"], first_weight: shared[:healthy["state_dict"][first_weight].numel()].view(
                healthy["state_dict"][first_weight].shape)})), "bytes of storage; at most"),
        "unknown-family.pt": (saved(payload(data, config={"family": "gpt5"})), "model family must be one of"),
    }


def test_every_hostile_checkpoint_is_refused_with_a_message_that_names_the_field(default_data):
    for name, (raw, message) in hostile(default_data).items():
        with pytest.raises(checkpoint.CheckpointError) as caught:
            checkpoint.from_bytes(raw, source=name)
        text = str(caught.value)
        assert message in text and name in text, (name, text)
        assert "\n" not in text and not text.endswith(("(", " ")), (name, text)


def test_a_healthy_checkpoint_still_loads_with_its_run_information(default_data):
    ckpt = checkpoint.from_bytes(saved(payload(default_data)))
    assert ckpt.meta["label"] == "healthy" and ckpt.meta["steps"] == 5
    assert ckpt.meta["train_config"] == TrainConfig(steps=5, lr=0.1)
    assert ckpt.meta["loss_curve"]["loss"] == [3.3, 3.2, 3.1]


def test_an_older_checkpoint_with_a_retired_setting_still_loads(default_data):
    # checkpoints written before the training choice left the model config carried manual_backward
    body = payload(default_data)
    body["config"] = {**body["config"], "manual_backward": False}
    body["meta"]["train_config"] = {"steps": 5, "exact": True}
    assert checkpoint.from_bytes(saved(body)).meta["train_config"].steps == 5


def test_a_tiny_file_declaring_a_huge_model_is_refused_before_its_memory_is_taken(default_data):
    huge = config_to_dict(MLPConfig(vocab_size=default_data.vocab.size, n_hidden=10**8))  # 3 billion weights
    raw = saved(payload(default_data, config=huge))
    assert len(raw) < 200_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(checkpoint.CheckpointError, match="more than 5,000,000 numbers"):
        checkpoint.from_bytes(raw)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB: no gigabytes taken


def test_the_largest_network_the_controls_build_fits_the_bound():
    largest = build_model(DeepMLPConfig(vocab_size=27, n_layers=8, n_hidden=500))
    assert sum(t.numel() for t in largest.state_dict().values()) < checkpoint.MAX_MODEL_VALUES


@pytest.mark.slow
def test_compare_refuses_every_hostile_upload_and_stores_none(default_data):
    at = open_page(COMPARE)
    for name, (raw, message) in hostile(default_data).items():
        at = at.file_uploader(key="compare_upload").set_value((name, raw, "application/octet-stream")).run()
        assert not at.exception, name
        assert any(message in e.value.replace("\\", "") for e in at.error), (name, [e.value for e in at.error])
        assert not at.session_state["runs"], name
    at = at.file_uploader(key="compare_upload").set_value(
        ("healthy.pt", saved(payload(default_data)), "application/octet-stream")).run()
    assert not at.exception and len(at.session_state["runs"]) == 1


def test_uploads_count_against_the_sessions_run_cap(default_data):
    at = open_page(COMPARE)
    raw = saved(payload(default_data))
    for i in range(runs.MAX_RUNS + 1):
        at = at.file_uploader(key="compare_upload").set_value((f"run{i}.pt", raw, "application/octet-stream")).run()
        assert not at.exception
    assert len(at.session_state["runs"]) == runs.MAX_RUNS
    assert any(f"already keeps {runs.MAX_RUNS} runs" in e.value for e in at.error)
