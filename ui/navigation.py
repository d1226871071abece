"""The sidebar's table of contents: the home page, then every page in its file's order (the lectures' order),
with readable names."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
HOME = "streamlit_app.py"
LABELS = {  # a page's name (its URL: the file name without its number) -> (label, icon)
    "": ("Home: the learning map", ":material/home:"),
    "Data": ("The data set", ":material/table_view:"),
    "Bigram": ("1 · Bigram", ":material/grid_on:"),
    "MLP": ("2 · MLP", ":material/hub:"),
    "Activations_and_BatchNorm": ("3 · Activations & BatchNorm", ":material/monitoring:"),
    "Backprop": ("4 · Backprop by hand", ":material/functions:"),
    "WaveNet": ("5 · WaveNet", ":material/account_tree:"),
    "Generate": ("Make more names", ":material/auto_awesome:"),
    "Models": ("All the models", ":material/model_training:"),
    "Compare": ("Compare runs", ":material/compare_arrows:"),
    "Class": ("Class board", ":material/groups:"),
}
DEFAULT_ICON = ":material/article:"


class Page(NamedTuple):
    path: str  # relative to the repository's root
    label: str
    icon: str


def page_name(path: str) -> str:
    """'pages/3_Activations_and_BatchNorm.py' -> 'Activations_and_BatchNorm' (its URL, as Streamlit names it);
    the home page's is ''."""
    if path == HOME:
        return ""
    number, _, name = Path(path).stem.partition("_")
    return name if number.isdigit() and name else Path(path).stem


def _in_file_order(path: Path) -> tuple[int, str]:
    number = path.stem.partition("_")[0]
    return int(number) if number.isdigit() else 10**6, path.name


def existing_pages() -> list[Page]:
    """The home page, then pages/ in the order of their files' numbers."""
    paths = [HOME] + [f"pages/{p.name}" for p in sorted((ROOT / "pages").glob("*.py"), key=_in_file_order)]
    return [Page(path, *LABELS.get(page_name(path), (page_name(path).replace("_", " "), DEFAULT_ICON)))
            for path in paths]


def page_path(name: str) -> str | None:
    """The file of the page with this name (see page_name), if there is one."""
    return next((page.path for page in existing_pages() if page_name(page.path) == name), None)


def sidebar_navigation() -> None:
    """Links to every page (Streamlit's own list is hidden in .streamlit/config.toml)."""
    for path, label, icon in existing_pages():
        try:
            st.sidebar.page_link(path, label=label, icon=icon)
        except st.errors.StreamlitAPIException:  # e.g. under AppTest, which registers one page only
            st.sidebar.markdown(f"- {label}")
