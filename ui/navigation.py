"""The sidebar's table of contents: every page in the lectures' order, with readable names."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
PAGES = [  # (file, label, icon), in the order a class meets them
    ("streamlit_app.py", "Home: the learning map", ":material/home:"),
    ("pages/0_Data.py", "The data set", ":material/table_view:"),
    ("pages/1_Bigram.py", "1 · Bigram", ":material/grid_on:"),
    ("pages/2_MLP.py", "2 · MLP", ":material/hub:"),
    ("pages/3_Activations_and_BatchNorm.py", "3 · Activations & BatchNorm", ":material/monitoring:"),
    ("pages/4_Backprop.py", "4 · Backprop by hand", ":material/functions:"),
    ("pages/5_WaveNet.py", "5 · WaveNet", ":material/account_tree:"),
    ("pages/6_Generate.py", "Make more names", ":material/auto_awesome:"),
    ("pages/7_Models.py", "All the models", ":material/model_training:"),
    ("pages/8_Compare.py", "Compare runs", ":material/compare_arrows:"),
]


def existing_pages() -> list[tuple[str, str, str]]:
    return [page for page in PAGES if (ROOT / page[0]).is_file()]


def sidebar_navigation() -> None:
    """Links to every page that exists (Streamlit's own list is hidden in .streamlit/config.toml)."""
    for path, label, icon in existing_pages():
        try:
            st.sidebar.page_link(path, label=label, icon=icon)
        except st.errors.StreamlitAPIException:  # e.g. under AppTest, which registers one page only
            st.sidebar.markdown(f"- {label}")
