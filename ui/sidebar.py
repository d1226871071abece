"""What every page does first (`page_setup`): the process's tuning, the page's config, the session's runs kept in
the store (its code in the URL, its runs brought back after a reload) and the shared sidebar (navigation, the word
list, the seed, the device and where the runs are kept)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st
import torch

from makemore.data import DEFAULT_WORDS_PATH, MAX_FILE_BYTES, DataError, WordData, parse_words
from makemore.presets import LECTURE_SEED
from ui import runs, session_store
from ui.closed_tabs import CLOSED_TABS
from ui.export import fill_export_menus, start_page_charts
from ui.navigation import sidebar_navigation
from ui.presentation import presenter_toggle, presenting
from ui.presenter import open_stage
from ui.process_tuning import tune_process
from ui.state import persistent_widget, remembered, sidebar_share_link
from ui.store import sessions
from ui.text import LONG, md, plain

UPLOAD_CHOICE = "Upload your own list…"
DEFAULT_CHOICE = "US first names, 2017 (shipped)"
EXAMPLE_LISTS = {  # label -> file in data/ (see data/README.md)
    DEFAULT_CHOICE: DEFAULT_WORDS_PATH,
    "US surnames, 1990 census": DEFAULT_WORDS_PATH.with_name("surnames.txt"),
    "World cities (accents, spaces)": DEFAULT_WORDS_PATH.with_name("cities.txt"),
}


@dataclass
class SharedSettings:
    """The sidebar's choices, the same on every page."""
    data: WordData
    data_key: str  # changes whenever the word list changes (pages reset their runs then)
    data_label: str
    seed: int
    device: str


@st.cache_data(show_spinner="Reading the word list…", max_entries=16)
def load_word_data(raw: bytes, name: str) -> WordData:
    """Parse and split a word list (cached for all sessions by content; each gets a copy)."""
    return WordData.from_words(parse_words(raw, name), split="lecture", name=name)


def _shipped_source(label: str) -> tuple[str, bytes]:
    path = EXAMPLE_LISTS.get(label, DEFAULT_WORDS_PATH)
    return path.name, path.read_bytes()


def page_setup(title: str, icon: str | None = None) -> SharedSettings:
    """Every page's first call: tune the process (once), configure the page, draw the shared sidebar."""
    tune_process()
    CLOSED_TABS.note_this_session()
    st.set_page_config(page_title=title, page_icon=icon, layout="wide")
    start_page_charts()
    session_store.keep_code_in_url()
    runs.bring_back()
    settings = _shared_sidebar()
    open_stage(presenting())  # presenter mode's dashboard, at the top of the page
    return settings


def page_end() -> None:
    """Every page's last call (also before an early st.stop()): the export menus filled with this run's charts,
    and the Copy link at the foot of the sidebar, once every control has run."""
    fill_export_menus()
    sidebar_share_link()


def _shared_sidebar() -> SharedSettings:
    """Render the sidebar settings and return them; a bad upload is reported, never raised."""
    sources: dict = remembered("shared_sources", dict)  # label -> (file name, bytes) of uploads
    sidebar_navigation()
    with st.sidebar:
        st.header("Settings")
        choices = [*EXAMPLE_LISTS, *sources, UPLOAD_CHOICE]
        if st.session_state.get("shared_dataset") not in choices:
            st.session_state["shared_dataset"] = DEFAULT_CHOICE
        choice = persistent_widget(
            st.selectbox, "shared_dataset", DEFAULT_CHOICE, label="Word list", options=choices,
            help="What the models learn to make more of. Every page uses this list; "
                 "the lectures' numbers come from their own names.txt (upload it to reproduce them).")
        if choice == UPLOAD_CHOICE:
            choice = _upload(sources) or DEFAULT_CHOICE
        name, raw = sources.get(choice) or _shipped_source(choice)
        seed = int(persistent_widget(
            st.number_input, "shared_seed", LECTURE_SEED, param="seed", label="Seed", min_value=0, max_value=2**53 - 1,
            step=1, help="Seeds the generator that draws the initial weights and the minibatches. "
                         f"{LECTURE_SEED} is the lectures' seed: with it the presets give their numbers."))
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        device = persistent_widget(
            st.selectbox, "shared_device", "cpu", label="Device", options=devices,
            help="Where the tensors live. These nets are tiny: the CPU is usually as fast as a GPU.")
        presenter_toggle()
        _kept_runs()
    data = load_word_data(raw, name)
    return SharedSettings(data, hashlib.sha1(raw).hexdigest()[:12], choice, seed, device)


def _upload(sources: dict) -> str | None:
    """A file uploader; on a good file, remember it as a new choice and select it."""
    upload = st.file_uploader(
        f"A UTF-8 text file, one item per line (up to {MAX_FILE_BYTES // 2**20} MB)", type=None,
        key="shared_upload", help="Names, words, cities… any characters: the vocabulary follows the file.")
    if upload is None:
        st.caption("Until you upload a file, the shipped names are used.")
        return None
    raw, name = upload.getvalue(), plain(upload.name)  # the name is quoted in labels and messages
    try:
        data = load_word_data(raw, name)
    except DataError as err:
        st.error(f"Could not use {md(name)}: {md(err, LONG)}")
        return None
    label = f"{name} ({len(data.words):,} items)"
    sources[label] = (name, raw)
    st.session_state["shared_dataset"] = label
    st.success(f"Loaded {md(label, len(label))}.")
    return label


def _kept_runs() -> None:
    """Where this session's runs are kept: how much, for how long, the link that continues them elsewhere, and a
    way to delete them (a shared computer)."""
    for message in session_store.notes():
        st.caption(f":material/cloud_off: {message}")
    kept = session_store.session()
    if kept is None:
        return
    with st.popover("Your runs", icon=":material/cloud_done:", help="Where your runs are kept, and the link that "
                    "brings them to another device"):
        usage = session_store.attempt(lambda current: current.usage())
        if usage is not None:
            st.write(f"Kept on this server: {usage.runs} of {sessions.MAX_RUNS} runs, {usage.nbytes / 2**20:.1f} of "
                     f"{sessions.MAX_BYTES / 2**20:.0f} MB, for {sessions.IDLE_DAYS} days after their last use. This "
                     "page's address holds your session's code: a reload brings your runs back.")
        st.markdown("**Continue on another device** with this link:")
        base = (st.context.url or "http://localhost:8501/").split("?")[0]
        st.code(f"{base}?{session_store.SESSION_PARAM}={kept.code}", language=None)
        st.caption("Whoever has it sees and changes your runs: keep it to yourself. The *Copy link* of each page "
                   "never carries it.")
        sure = st.checkbox("Delete my kept runs", key="shared_forget_sure",
                           help="On a shared computer: nothing of this session stays on the server.")
        if st.button("Forget them", key="shared_forget", disabled=not sure, icon=":material/delete_forever:"):
            session_store.forget()
            runs.registry().clear()
            st.rerun()
