"""Pure results the lesson pages cache for every session (st.cache_data: keyed by content, returns a copy).

Each function takes the word list's `data_key` (a hash of its bytes) as its cache key and the
WordData itself as `_data` (not hashed).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st
import torch

from makemore.data import WordData
from makemore.lessons import bigram
from makemore.lessons.mlp import lr_sweep as lr_finder_sweep


@st.cache_data(show_spinner="Counting character pairs…", max_entries=32)
def count_table(data_key: str, scope: str, block_size: int, _data: WordData) -> torch.Tensor:
    """N of the n-gram with this context length, over all words (scope "all") or one split."""
    words = _data.words if scope == "all" else _data.splits[scope]
    return bigram.count_table(words, _data.vocab, block_size)


@st.cache_data(show_spinner="Scoring the counting models at every smoothing…", max_entries=16)
def smoothing_sweep(data_key: str, block_sizes: tuple[int, ...], _data: WordData) -> pd.DataFrame:
    """Train and dev NLL of the counting models (fitted on train) at every smoothing of the sweep."""
    tables = {bs: count_table(data_key, "train", bs, _data) for bs in block_sizes}
    return bigram.smoothing_sweep(tables, _data)


@st.cache_data(show_spinner=False, max_entries=32)
def lr_sweep(data_key: str, model_config, batch_size: int, seed: int, device: str,
             _data: WordData) -> pd.DataFrame:
    """The learning-rate finder's curve for one configuration (see makemore.lessons.mlp)."""
    return lr_finder_sweep(model_config, _data, seed, batch_size, device=device)
