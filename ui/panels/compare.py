"""The Compare page's sections: each run's row to rename, remove, share and export it."""
from __future__ import annotations

import streamlit as st

from ui import runs
from ui.export import file_name
from ui.panels.class_board import share_button
from ui.text import md


def manage_section(registry: dict[str, runs.RunRecord]) -> None:
    """An expander per run: its name, Remove, Share, its statistics (CSV) and its checkpoint."""
    st.subheader("Manage and export")
    for run_id, rec in list(registry.items()):
        with st.expander(f"{md(rec.label)} · {rec.family} · {rec.steps:,} steps", icon=":material/folder:"):
            name_col, remove_col = st.columns([4, 1])
            new_name = name_col.text_input("Name", rec.label, key=f"compare_name_{run_id}", max_chars=runs.MAX_LABEL,
                                           help="Rename the run (its charts and tables use this name).")
            if new_name != rec.label:
                runs.rename(run_id, new_name)
                st.rerun()
            if remove_col.button("Remove", key=f"compare_remove_{run_id}", icon=":material/delete:"):
                runs.remove(run_id)
                st.rerun()
            share_button(rec, f"compare_share_{run_id}")
            csv_col, ckpt_col = st.columns(2)
            csv_col.download_button("Statistics (CSV)", runs.stats_csv(rec),
                                    file_name(rec.label, "statistics", suffix=".csv"), "text/csv",
                                    key=f"compare_csv_{run_id}", icon=":material/table:",
                                    help="Loss per step, dev loss and update:data ratios, one row per value.")
            ckpt_col.download_button("Checkpoint (.pt)", runs.checkpoint_bytes(rec),
                                     file_name(rec.label, suffix=".pt"),
                                     key=f"compare_ckpt_{run_id}", icon=":material/download:",
                                     help="Config + weights + vocabulary: load it back below or with "
                                          "torch.load(path, weights_only=True).")
