"""Bad input never breaks a session: word lists and checkpoints, in the app and on the command line.

Every case is answered with a one-line message that says what is wrong (and, where it can, what to
do); the app keeps working after it and the command line exits with status 2, no traceback.
"""
import io
import json
import subprocess
import sys

import pytest
import torch

from makemore import checkpoint, cli
from makemore.data import MAX_FILE_BYTES, load_data
from makemore.models import DeepMLPConfig, build_model
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import open_page, press_step
from tests.conftest import ROOT
from ui.sidebar import UPLOAD_CHOICE

DIAGNOSTICS = "pages/3_Activations_and_BatchNorm.py"
COMPARE = "pages/8_Compare.py"
MANY_CHARACTERS = "".join(chr(c) for c in range(0x10000, 0x10000 + 100_000))  # planes 1-2: no spaces, no breaks

# name -> (file bytes, what the message must say)
BAD_LISTS = {
    "empty.txt": (b"", "is empty"),
    "blank.txt": (b"\n  \n\t\n\r\n", "is empty"),
    "binary.bin": (bytes(range(256)) * 8, "binary file"),
    "latin1.txt": ("café\nnaïve\n".encode("latin-1"), "not UTF-8"),
    "huge.txt": (b"anna\n" * (MAX_FILE_BYTES // 5 + 1), "over the limit of 5 MB"),
    "one-line.txt": (b"a" * 2**20, "1,048,576 characters long"),
    "one-word.txt": (b"anna\n", "too few for the lectures' 80/10/10 split"),
    "alphabet.txt": ("\n".join(MANY_CHARACTERS[i:i + 50] for i in range(0, 100_000, 50)).encode(),
                     "100,000 distinct characters"),
}
CRLF_WORDS = ["anna", "bob", "cyril", "dora", "emil", "fay", "gus", "hana", "ivo", "jun", "kai", "lea"]


def crlf_list() -> bytes:
    return "\r\n".join(CRLF_WORDS * 3).encode() + b"\r\n"


def evil_checkpoint(marker) -> bytes:
    """A torch file whose unpickling would create `marker` (what a malicious checkpoint would run)."""
    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    buffer = io.BytesIO()
    torch.save({"format": checkpoint.FORMAT, "config": Payload()}, buffer)
    return buffer.getvalue()


def inconsistent_checkpoint(data) -> bytes:
    """A checkpoint whose model was built for a 40-token vocabulary, saved with a 27-token one."""
    model = build_model(DeepMLPConfig(vocab_size=40, n_hidden=8, n_layers=1))
    return checkpoint.to_bytes(model, data.vocab, data.words[:20])


def diverged_checkpoint(data) -> bytes:
    model = build_model(DeepMLPConfig(vocab_size=data.vocab.size, n_hidden=8, n_layers=1))
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    return checkpoint.to_bytes(model, data.vocab, data.words[:20])


def healthy_checkpoint(data, steps=20) -> bytes:
    trainer = build_trainer(DeepMLPConfig(n_hidden=8, n_layers=1), TrainConfig(steps=steps), data, 3)
    trainer.advance(steps)
    return checkpoint.to_bytes(trainer.model, data.vocab, data.splits["train"], {"label": "healthy"})


def bad_checkpoints(data, marker) -> dict:
    """name -> (bytes, what the message must say)."""
    return {
        "notes.pt": (b"these are not weights", "is not a checkpoint"),
        "evil.pt": (evil_checkpoint(marker), "refused"),
        "other-vocab.pt": (inconsistent_checkpoint(data), "expects 40 tokens but its vocabulary has 27"),
        "diverged.pt": (diverged_checkpoint(data), "NaN or infinite weights"),
    }


def one_line(message: str) -> bool:
    return "\n" not in message.strip() and "Traceback" not in message


# ------------------------------------------------------------------------------------ the app
@pytest.mark.slow
def test_every_bad_upload_is_explained_and_the_session_keeps_training():
    at = open_page(DIAGNOSTICS, shared_dataset=UPLOAD_CHOICE)
    for name, (raw, message) in BAD_LISTS.items():
        at = at.file_uploader(key="shared_upload").set_value((name, raw, "text/plain")).run()
        assert not at.exception, name
        errors = [e.value for e in at.error]
        assert any(f"Could not use {name}" in e and message in e for e in errors), (name, errors)
        assert all(one_line(e) for e in errors), errors
        assert at.session_state["diag_run"].trainer.data.vocab.size == 27, name  # still the shipped names
    at = press_step(at, "diag_step100")
    assert not at.exception and at.session_state["diag_run"].trainer.step == 100


def test_windows_line_endings_upload_trains_on_clean_words():
    at = open_page(DIAGNOSTICS, shared_dataset=UPLOAD_CHOICE)
    at = at.file_uploader(key="shared_upload").set_value(("windows.txt", crlf_list(), "text/plain")).run()
    assert not at.exception and not at.error
    assert any("Loaded windows.txt (36 items)" in s.value for s in at.success)
    at = press_step(at, "diag_step100")
    data = at.session_state["diag_run"].trainer.data
    assert data.words == CRLF_WORDS * 3 and "\r" not in data.vocab.chars
    assert at.session_state["diag_run"].trainer.step == 100


def test_every_bad_checkpoint_is_explained_and_a_good_one_still_restores(default_data, tmp_path):
    marker = tmp_path / "payload-ran"
    at = open_page(COMPARE)
    for name, (raw, message) in bad_checkpoints(default_data, marker).items():
        at = at.file_uploader(key="compare_upload").set_value((name, raw, "application/octet-stream")).run()
        assert not at.exception, name
        errors = [e.value for e in at.error]
        assert any(name in e and message in e for e in errors), (name, errors)
        assert all(one_line(e) for e in errors), errors
    assert not marker.exists()  # weights_only loading never ran the payload
    assert not at.session_state["runs"]  # nothing half-restored
    at = at.file_uploader(key="compare_upload").set_value(("healthy.pt", healthy_checkpoint(default_data), "application/octet-stream")).run()
    assert not at.exception and [r.label for r in at.session_state["runs"].values()] == ["healthy"]


def test_a_checkpoint_for_another_word_list_keeps_its_own_vocabulary(default_data, tmp_path):
    """Restoring is fine (the checkpoint carries its vocabulary); meeting another list is refused."""
    cities = load_data(ROOT / "data" / "cities.txt")
    ckpt = checkpoint.from_bytes(healthy_checkpoint(default_data))
    assert ckpt.vocab.size == 27
    with pytest.raises(checkpoint.CheckpointError, match=r"another vocabulary \(27 tokens\).*never seen"):
        checkpoint.data_for(ckpt, cities)
    same = checkpoint.data_for(ckpt, default_data)
    assert same.vocab == ckpt.vocab and same.splits == default_data.splits


# ------------------------------------------------------------------------------------ the command line
def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("name", list(BAD_LISTS))
def test_command_line_refuses_bad_word_lists_in_one_line(name, tmp_path, capsys):
    raw, message = BAD_LISTS[name]
    path = tmp_path / name
    path.write_bytes(raw)
    code, out, err = run_cli(capsys, "train", "--preset", "mlp", "--steps", "5", "--input", str(path))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and one_line(err), err


def test_command_line_says_how_to_train_on_a_single_word(tmp_path, capsys):
    path = tmp_path / "one-word.txt"
    path.write_bytes(BAD_LISTS["one-word.txt"][0])
    code, _, err = run_cli(capsys, "train", "--preset", "mlp", "--steps", "5", "--input", str(path))
    assert code == 2 and "--split none" in err
    code, out, _ = run_cli(capsys, "train", "--preset", "mlp", "--steps", "5", "--input", str(path), "--split", "none")
    assert code == 0 and '"steps": 5' in out.splitlines()[-1]


def test_command_line_reads_windows_line_endings_like_unix_ones(tmp_path, capsys):
    results = []
    for name, raw in [("windows.txt", crlf_list()), ("unix.txt", crlf_list().replace(b"\r\n", b"\n"))]:
        (tmp_path / name).write_bytes(raw)
        code, out, _ = run_cli(capsys, "train", "--preset", "mlp", "--steps", "20", "--input", str(tmp_path / name))
        assert code == 0
        summary = json.loads(out.splitlines()[-1])
        results.append({k: v for k, v in summary.items() if k in ("first_loss", "train_loss", "dev_loss")})
    assert results[0] == results[1]


@pytest.mark.parametrize("name", ["notes.pt", "evil.pt", "other-vocab.pt", "diverged.pt"])
def test_command_line_refuses_bad_checkpoints_in_one_line(name, default_data, tmp_path, capsys):
    marker = tmp_path / "payload-ran"
    raw, message = bad_checkpoints(default_data, marker)[name]
    (tmp_path / "model.pt").write_bytes(raw)
    code, out, err = run_cli(capsys, "sample", "--out", str(tmp_path), "-n", "3")
    assert code == 2 and out == "" and not marker.exists()
    assert err.startswith("error: ") and message in err and one_line(err), err


def test_command_line_refuses_a_checkpoint_for_another_vocabulary(default_data, tmp_path, capsys):
    (tmp_path / "model.pt").write_bytes(healthy_checkpoint(default_data))
    code, out, err = run_cli(capsys, "evaluate", "--out", str(tmp_path), "--input", str(ROOT / "data" / "cities.txt"))
    assert code == 2 and out == ""
    assert "trained on another vocabulary" in err and "cities.txt" in err and one_line(err), err
    code, out, _ = run_cli(capsys, "evaluate", "--out", str(tmp_path))
    assert code == 0 and set(json.loads(out)) >= {"train_loss", "dev_loss", "test_loss"}


@pytest.mark.slow
def test_a_real_process_exits_2_with_one_line_and_no_traceback(default_data, tmp_path):
    (tmp_path / "model.pt").write_bytes(evil_checkpoint(tmp_path / "payload-ran"))
    proc = subprocess.run([sys.executable, "-m", "makemore", "sample", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and "refused" in proc.stderr and one_line(proc.stderr), proc.stderr
    assert not (tmp_path / "payload-ran").exists()

