"""The class board (pages/9_Class.py) and the "Share with the class" button of the other pages.

A teacher starts a class and gets its code (for the students) and a teacher key, shown once and kept only in this
tab's state (the store keeps its digest). A student joins with the code and a nickname; the class joined is kept in
the student's store session, so a reload keeps it. The board refreshes every BOARD_SECONDS from the store without
loading any checkpoint; opening an entry loads its checkpoint (checked as an upload is) into the student's runs.
Nicknames, labels, titles and setups come from people: they are shown in tables and charts (plain text), and
escaped where they must go through markdown (ui/text.py).
"""
from __future__ import annotations

import copy
import time
from dataclasses import replace

import pandas as pd
import sqlalchemy as sa
import streamlit as st
import torch

from makemore import checkpoint
from makemore.charts.compare import runs_loss_chart
from makemore.training import Progress, Trainer
from ui import runs, session_store
from ui.export import show_chart
from ui.presentation import chart_height
from ui.sidebar import SharedSettings
from ui.state import persistent_widget
from ui.store import Board, Entry, RateLimited, StoreError, codes, differences
from ui.store.classes import NICKNAME_LENGTH
from ui.store.schema import TEXT
from ui.text import md

JOINED = "class_joined"  # st.session_state: the code of the class this session joined (None: none)
TEACHING = "class_teaching"  # st.session_state: {class code: teacher key} of the classes this tab teaches
NEW_CLASS = "class_new"  # st.session_state: the class just started, shown until the teacher has kept its key
OPENED = "class_opened"  # st.session_state: {(class code, entry id): run id} of the entries opened here
OPEN_RUN = "class_open_run"  # st.session_state: the run last opened (or trained further) here
BOARD_SECONDS = 3.0
FURTHER_STEPS = (1_000, 5_000, 20_000)
CHUNK_SECONDS = 0.25  # progress-bar updates while a run trains further
SETUPS = {"Bigram": "Part 1 · neural bigram", "MLP": "Part 2 · MLP", "Activations & BatchNorm": "Part 3 · deep MLP",
          "Backprop": "Part 4 · backprop by hand", "WaveNet": "Part 5 · WaveNet", "Models": "makemore.py's models",
          "Generate": "Lecture presets"}

def setup_of(rec: runs.RunRecord) -> str:
    """The leaderboard a run competes in: its lecture setup and its word list (dev losses of other lists differ)."""
    return f"{SETUPS.get(rec.page, rec.page)} · {rec.data_label}"[:TEXT]


def _act(action):
    """A class action's result, or None with the store's message on the page."""
    try:
        return action(session_store.process_store().classes)
    except RateLimited as err:
        st.warning(str(err), icon=":material/hourglass_top:")
    except StoreError as err:
        st.error(str(err), icon=":material/block:")
    except (sa.exc.SQLAlchemyError, OSError):
        session_store.log.exception("a class board call failed")
        st.error("The class board did not answer: try again in a moment.", icon=":material/cloud_off:")
    return None


# ------------------------------------------------------------------------------------ students
def joined() -> str | None:
    """The class this session joined (kept in the store session's state, so it survives a reload)."""
    if JOINED not in st.session_state:
        code = (session_store.attempt(lambda kept: kept.state()) or {}).get("class")
        st.session_state[JOINED] = code if isinstance(code, str) else None
    return st.session_state[JOINED]


def class_code_input(prefix: str) -> str | None:
    """The class code field (kept in the URL as ?class=: not a secret, it lets someone join and read the board);
    the class shown below it, in its stored form, or None."""
    if joined() and not st.session_state.get(f"{prefix}_code"):
        st.session_state[f"{prefix}_code"] = joined()
    typed = persistent_widget(st.text_input, f"{prefix}_code", "", param="class", label="Class code", max_chars=12,
                              placeholder="e.g. HK7Q2X", help="The six letters and digits your teacher shows.")
    return codes.class_code(typed)


def join_section(code: str | None, prefix: str) -> None:
    """Join the class under a nickname (or change one's nickname in it)."""
    session = session_store.session()
    member = _act(lambda classes: classes.member(code, session)) if code and session else None
    if member is not None:
        st.success(f"You are in class {code} as **{md(member.nickname, TEXT)}**: press *Share with the class* beside a "
                   "paused run (on its page or on Compare) to put it on the board.", icon=":material/groups:")
    nickname = st.text_input("Nickname", key=f"{prefix}_nickname", max_chars=NICKNAME_LENGTH,
                             help="How the board names your runs: no account, no e-mail. Unique in the class.")
    label = "Change my nickname" if member else "Join"
    if st.button(label, key=f"{prefix}_join", icon=":material/login:", disabled=not (code and nickname and session)):
        member = _act(lambda classes: classes.join(code, nickname, session))
        if member is not None:
            st.session_state[JOINED] = member.class_code
            state = session_store.attempt(lambda kept: kept.state()) or {}
            session_store.attempt(lambda kept: kept.set_state({**state, "class": member.class_code}))
            st.rerun()


def share_button(rec: runs.RunRecord | None, key: str, why_not: str = "") -> None:
    """"Share with the class" for a kept run, once this session has joined a class (nothing otherwise)."""
    code = joined()
    if code is None:
        return
    if rec is not None and rec.losses.get("dev_loss") is None and not why_not:
        why_not = "Pause the run first: its dev loss, which the board ranks by, is measured then."
    if st.button("Share with the class", key=key, icon=":material/groups:", disabled=rec is None or bool(why_not),
                 help=why_not or f"Put this run on class {code}'s board, ranked by dev loss among its setup's runs."):
        session = session_store.session()
        if _act(lambda classes: classes.share(code, session, rec.run_id, setup_of(rec))) is not None:
            st.toast(f"Shared with class {code}: it is on the board.", icon=":material/groups:")


def share_live_run(state_key: str, prefix: str) -> None:
    """The share button for a page's live run (its last kept state, once paused)."""
    run = st.session_state[state_key]
    rec = runs.registry().get(run.run_id)
    why_not = "Pause the run first: it is shared as it was when paused." if run.running else ""
    share_button(rec, f"{prefix}_share", why_not or ("" if rec else "Train the run, then pause it, to share it."))


# ------------------------------------------------------------------------------------ the teacher
def teacher_key(code: str | None) -> str | None:
    return st.session_state.get(TEACHING, {}).get(code) if code else None


def teacher_section(code: str | None, prefix: str) -> None:
    """Start a class (its code and key, the key shown once), or teach one with its key; close it."""
    new = st.session_state.get(NEW_CLASS)
    if new is not None:
        st.success(f"Class **{new.code}** started: students open this page and type its code.",
                   icon=":material/school:")
        st.write("Your teacher key, shown only now: it is what hides entries and closes the class, from any device.")
        st.code(new.teacher_key, language=None)
        if st.button("I have kept the key", key=f"{prefix}_kept_key"):
            del st.session_state[NEW_CLASS]
            st.rerun()
    title = st.text_input("Title (optional)", key=f"{prefix}_title", max_chars=TEXT, placeholder="e.g. Tuesday's lab")
    if st.button("Start a class", key=f"{prefix}_start", icon=":material/add:"):
        started = _act(lambda classes: classes.start(title))
        if started is not None:
            st.session_state.setdefault(TEACHING, {})[started.code] = started.teacher_key
            st.session_state[NEW_CLASS] = started
            st.session_state[f"{prefix}_code"] = started.code
            st.rerun()
    if code is None or teacher_key(code):
        _close_section(code, prefix)
        return
    key = st.text_input(f"Teacher key of class {code}", key=f"{prefix}_key", type="password",
                        help="The key shown when the class was started.")
    if st.button("Teach this class", key=f"{prefix}_teach", disabled=not key, icon=":material/key:"):
        if _act(lambda classes: classes.is_teacher(code, key)):
            st.session_state.setdefault(TEACHING, {})[code] = key
            st.rerun()


def _close_section(code: str | None, prefix: str) -> None:
    if code is None:
        return
    sure = st.checkbox(f"Close class {code}", key=f"{prefix}_close_sure",
                       help="No new members or shares from then on; the board stays readable.")
    if st.button("Close the class", key=f"{prefix}_close", disabled=not sure, icon=":material/lock:"):
        if _act(lambda classes: classes.close(code, teacher_key(code)) or True):
            st.rerun()


# ------------------------------------------------------------------------------------ the board
def board_section(code: str, prefix: str) -> None:
    """The board, redrawn every BOARD_SECONDS (a fragment: nothing else on the page reruns)."""
    def board() -> None:
        current = _act(lambda classes: classes.board(code, teacher_key(code)))
        if current is not None:
            _draw_board(current, prefix)

    board.__qualname__ = "class_board"
    st.fragment(run_every=BOARD_SECONDS)(board)()


def _draw_board(board: Board, prefix: str) -> None:
    st.subheader(md(board.title, TEXT) if board.title else f"Class {board.code}")
    if board.closed:
        st.info("The teacher has closed this class: the board stays, but takes no new members or shares.",
                icon=":material/lock:")
    if not board.setups:
        st.info("Nothing shared yet: train a run, pause it, and press *Share with the class* on its page or on "
                "Compare.", icon=":material/hourglass_empty:")
        return
    for setup, entries in board.setups.items():
        st.markdown(f"#### {md(setup, TEXT)}")
        st.dataframe(leaderboard_frame(entries, board.teacher), hide_index=True,
                     column_config={"dev loss": st.column_config.NumberColumn(format="%.4f")})
        curves = pd.concat([e.curve.assign(run=entry_name(e)) for e in entries if not e.curve.empty])  \
            if any(not e.curve.empty for e in entries) else pd.DataFrame()
        devs = pd.DataFrame({"run": [entry_name(e) for e in entries], "step": [e.steps for e in entries],
                             "loss": [e.dev_loss for e in entries]})
        show_chart(runs_loss_chart(curves, devs, height=chart_height(240)), prefix, f"board {setup}")
    _entry_actions([e for entries in board.setups.values() for e in entries], board, prefix)


def entry_name(entry: Entry) -> str:
    return f"#{entry.rank} {entry.nickname} · {entry.label}"


def choice_name(entry: Entry) -> str:
    """An entry as the choice box names it: never by its rank, which changes as others share (Streamlit keeps a
    choice by the text it shows, so a renamed choice would be lost and another entry chosen)."""
    return f"{entry.nickname} · {entry.label} ({entry.setup}, no. {entry.share_id})"


def leaderboard_frame(entries: list[Entry], teacher: bool) -> pd.DataFrame:
    """One row per shared run, best first: who, what, its dev loss, and how its settings differ from the best's."""
    best, now = entries[0], time.time()
    frame = pd.DataFrame({
        "rank": [e.rank for e in entries], "nickname": [e.nickname for e in entries],
        "run": [e.label for e in entries], "dev loss": [e.dev_loss for e in entries],
        "steps": [e.steps for e in entries], "shared": [_ago(now - e.shared_at) for e in entries],
        "settings against the best": [against_best(e, best) for e in entries]})
    if teacher:
        frame["hidden"] = [e.hidden for e in entries]
    return frame


def against_best(entry: Entry, best: Entry) -> str:
    if entry.share_id == best.share_id:
        return "(the best)"
    changes = [f"{name} {_value(mine)} (best: {_value(theirs)})" for name, mine, theirs in differences(entry, best)]
    return "; ".join(changes) or "the same settings"


def _value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds} s ago" if seconds < 60 else f"{seconds // 60} min ago" if seconds < 3600 else \
        f"{seconds // 3600} h ago"


def _entry_actions(entries: list[Entry], board: Board, prefix: str) -> None:
    """Open an entry (sample from it, train it further); the teacher hides it or shows it again."""
    by_id = {e.share_id: e for e in entries}
    cols = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = cols[0].selectbox("A shared run", list(by_id), key=f"{prefix}_entry",
                               format_func=lambda i: choice_name(by_id[i]))
    entry = by_id.get(chosen)
    if entry is None:
        return
    if cols[1].button("Open this run", key=f"{prefix}_open", icon=":material/open_in_new:",
                      help="Make it one of your runs: sample from it, train it further, compare it with yours."):
        _open(board.code, entry)
    if board.teacher and cols[2].button("Show it again" if entry.hidden else "Hide it", key=f"{prefix}_hide",
                                        icon=":material/visibility:" if entry.hidden else ":material/visibility_off:"):
        if _act(lambda classes: classes.hide(board.code, teacher_key(board.code), entry.share_id,
                                             not entry.hidden) or True):
            st.rerun()


def _open(code: str, entry: Entry) -> None:
    opened = st.session_state.setdefault(OPENED, {})
    if opened.get((code, entry.share_id)) not in runs.registry():
        if len(runs.registry()) >= runs.MAX_RUNS:
            st.warning(f"You keep {runs.MAX_RUNS} runs, the most a session can: remove one on the Compare page first.")
            return
        shared = _act(lambda classes: classes.open(code, entry.share_id, teacher_key(code)))
        if shared is None:
            return
        rec = runs.from_checkpoint(shared.checkpoint, runs.new_run_id(), "Class", shared.label)
        rec.label = f"{shared.nickname} · {shared.label}"[:TEXT]
        opened[(code, entry.share_id)] = runs.add(rec).run_id
    st.session_state[OPEN_RUN] = opened[(code, entry.share_id)]
    st.rerun()


# ------------------------------------------------------------------------------------ an opened run
def opened_section(settings: SharedSettings, prefix: str) -> None:
    """The run last opened from the board: make names with it, or train it further on this tab's word list."""
    rec = runs.registry().get(st.session_state.get(OPEN_RUN))
    if rec is None:
        return
    st.subheader("The run you opened")
    st.write(f"**{md(rec.label, TEXT)}** ({rec.steps:,} steps, dev loss "
             f"{rec.losses.get('dev_loss', float('nan')):.4f}) is now one of your runs: on *Make more names* and "
             "*Compare*.")
    cols = st.columns([1, 2, 1], vertical_alignment="bottom")
    if cols[0].button("Make names with it", key=f"{prefix}_sample", icon=":material/auto_awesome:"):
        st.session_state["gen_model"] = rec.run_id
        st.switch_page("pages/6_Generate.py")
    steps = cols[1].select_slider("Train it further", FURTHER_STEPS, value=FURTHER_STEPS[0], key=f"{prefix}_further",
                                  format_func=lambda v: f"{v:,} steps",
                                  help="From its weights and step, with its own settings, on the sidebar's word "
                                       "list; the result is a new run beside it.")
    if cols[2].button("Train it", key=f"{prefix}_train_further", icon=":material/play_arrow:"):
        try:
            further = train_further(rec, settings, steps)
        except ValueError as err:  # another vocabulary (a CheckpointError), a loss curve that does not fit
            st.error(f"It cannot be trained further here: {err}")
        else:
            st.session_state[OPEN_RUN] = further.run_id
            st.rerun()


def train_further(rec: runs.RunRecord, settings: SharedSettings, steps: int) -> runs.RunRecord:
    """A copy of the run trained `steps` more from where it stopped (a fresh minibatch stream: a shared run keeps
    none), kept as a new run; CheckpointError if the word list has characters it never saw."""
    model = copy.deepcopy(rec.model)
    data = checkpoint.data_for(checkpoint.Checkpoint(model, rec.vocab, rec.words), settings.data, f"“{rec.label}”")
    config = replace(rec.train_config, steps=rec.steps + steps)
    trainer = Trainer(model, data, config, torch.Generator().manual_seed(rec.seed + rec.steps), settings.device)
    curve = rec.loss_curve
    trainer.resume(Progress(rec.steps, rec.seconds, rec.first_loss, None,
                            (torch.tensor(curve["step"].to_numpy()), torch.tensor(curve["loss"].to_numpy()), 1),
                            evals=list(rec.evals)))
    bar = st.progress(0.0, text="Training…")
    while not trainer.done:
        trainer.advance_for(CHUNK_SECONDS)
        bar.progress((trainer.step - rec.steps) / steps, text=f"Step {trainer.step:,} of {config.steps:,}")
    with st.spinner("Measuring the losses…"):
        return runs.record(trainer, runs.new_run_id(), f"{rec.label} · +{steps:,}"[:TEXT], rec.page,
                           settings.data_label, rec.seed, rec.sample_seed)
