"""Compare the session's runs: overlay their curves, line up their configs, export and import them."""
import pandas as pd
import streamlit as st

from makemore.charts.compare import runs_loss_chart, runs_update_chart
from makemore.checkpoint import CheckpointError
from ui import runs
from ui.export import export_menu, show_chart
from ui.panels.compare import manage_section
from ui.presentation import chart_height
from ui.setting_names import settings_frame
from ui.sidebar import page_end, page_setup
from ui.text import LONG, md, plain

settings = page_setup("Compare runs")
st.title("Compare runs")
st.write("Every run you paused, finished or reset on any page is kept here, and on the server (a reload brings it "
         "back). Overlay their losses, see how their settings differ, rename, remove, export, share with your class "
         "or bring one back from a checkpoint.")
for info, why in runs.refused():
    st.warning(f"A kept run could not be brought back: {md(why, LONG)}", icon=":material/error:")
    if st.button("Remove it", key=f"compare_refused_{info.run_id}", icon=":material/delete:"):
        runs.remove(info.run_id)
        st.rerun()

registry = runs.registry()
if not registry:
    st.info("No runs yet: train on any page (pausing or finishing keeps the run), or upload a checkpoint below.")
else:
    st.dataframe(runs.leaderboard(list(registry.values())), hide_index=True,
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ["train", "dev", "test"]})
    chosen = st.multiselect("Runs to compare", list(registry), default=list(registry)[-4:], key="compare_runs",
                            format_func=lambda run_id: plain(registry[run_id].label),
                            help="Pick two or more runs to overlay. Colours follow the order you pick them in.")
    picked = [registry[i] for i in chosen]
    export_menu("compare")
    if picked:
        losses = pd.concat([r.loss_curve.assign(run=r.label) for r in picked if not r.loss_curve.empty],
                           ignore_index=True) if any(not r.loss_curve.empty for r in picked) else pd.DataFrame()
        evals = pd.DataFrame([{"run": r.label, "step": e["step"], "loss": e["dev"]}
                              for r in picked for e in r.evals if "dev" in e])
        st.subheader("Loss")
        show_chart(runs_loss_chart(losses, evals, height=chart_height(320)), "compare", "loss")
        st.caption("Smoothed training loss of each run; diamonds are its dev loss. A lower, earlier bend is a "
                   "better init or learning rate; a gap between a run's line and its diamonds is overfitting.")

        weights = sorted({n for r in picked if not r.update_curve.empty for n in r.update_curve["name"].unique()})
        if weights:
            st.subheader("Update : data ratio")
            name = st.selectbox("Parameter", weights, key="compare_param",
                                help="The same weight matrix in each run: how fast it changes, log10.")
            ud = pd.concat([r.update_curve[r.update_curve["name"] == name].assign(run=r.label)
                            for r in picked if not r.update_curve.empty], ignore_index=True)
            show_chart(runs_update_chart(ud, height=chart_height()), "compare", f"update-data {name}")
            st.caption("About -3 (dashed) is a healthy pace; a run far below it learns that layer too slowly.")

        st.subheader("Settings side by side")
        table = settings_frame([(r.label, r.config_dict()) for r in picked])
        st.dataframe(table.style.apply(
            lambda row: ["background-color: #fff3cd" if row["differs"] else "" for _ in row], axis=1))
        st.caption("✱ and highlighted: the settings that differ between the runs (listed first); — : a setting "
                   "the run does not have.")

    manage_section(registry)

st.subheader("Bring back a run")
upload = st.file_uploader("A checkpoint saved from this app or by `python -m makemore train --out`", type=["pt"],
                          key="compare_upload",
                          help="Only weights and plain values are read (torch.load with weights_only=True).")
if upload is not None and st.session_state.get("compare_restored") != upload.file_id:
    try:
        restored = runs.restore(upload.getvalue(), upload.name)
    except CheckpointError as err:
        st.error(md(err, LONG))
    else:
        st.session_state["compare_restored"] = upload.file_id
        st.success(f"Restored {md(restored.label)}: it is now in the list above and on the Generate page.")
        st.rerun()
page_end()
