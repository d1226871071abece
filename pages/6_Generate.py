"""Make more: sample names from any model of this session, and watch one being drawn step by step."""
import streamlit as st

from makemore.presets import SAMPLE_SEED
from makemore.sampling import sample_names
from ui import runs
from ui.export import export_menu
from ui.panels.generate import names_section, preset_trainer, trace_section
from ui.presentation import side_by_side
from ui.sidebar import page_end, page_setup
from ui.state import persistent_widget
from ui.text import md, plain

P = "gen"

settings = page_setup("Make more names")
st.title("Make more names")
st.write("Every model trained in this browser session (on any page) is here. Pick one, draw names from it, and "
         "watch how one name is drawn, one character at a time.")
registry = runs.registry()
preset_trainer(settings, "gen_model", expanded=not registry)
if not registry:
    st.info("No models yet: train one on the Bigram or MLP page (pausing or finishing keeps it), or train a preset "
            "above.", icon=":material/info:")
    page_end()
    st.stop()

ids = list(registry)
if st.session_state.get("gen_model") not in ids:
    st.session_state["gen_model"] = ids[-1]
run_id = persistent_widget(  # a row of its own: a run's label is long, and a cut one cannot be told apart
    st.selectbox, "gen_model", ids[-1], label="Model", options=ids,
    format_func=lambda i: f"{plain(registry[i].label)} · {registry[i].page} · "
                          + (f"{registry[i].steps:,} steps" if registry[i].steps else "counted"),
    help="Runs are kept when you pause, finish or reset them on a lesson page.")
cols = st.columns(3)
with cols[0]:
    count = int(persistent_widget(st.number_input, "gen_count", 20, param="count", label="How many", min_value=1,
                                  max_value=200, step=1, help="Names to draw."))
with cols[1]:
    seed = int(persistent_widget(
        st.number_input, "gen_seed", SAMPLE_SEED, param="sample_seed", label="Seed", min_value=0,
        max_value=2**53 - 1, step=1, help=f"Seeds the generator: the same seed gives the same names. The lectures sample with {SAMPLE_SEED} "
             "(part 1 with 2147483647)."))
with cols[2]:
    temperature = persistent_widget(
        st.slider, "gen_temperature", 1.0, param="temp", label="Temperature", min_value=0.1, max_value=3.0, step=0.1,
        help="Divides the logits before the softmax. 1 samples the model as trained; below 1 sharpens it "
             "(safer, more common names, more repeats of the data); above 1 flattens it (wilder, less name-like).")
record = registry[run_id]
try:
    samples = sample_names(record.model, record.vocab, count, seed, temperature, known_words=record.words)
except RuntimeError as err:  # torch.multinomial refuses probabilities that are inf or NaN
    st.error(f"**{md(record.label)}** cannot make names: its probabilities are not numbers ({md(err)}). Its training "
             "probably diverged: pick another model, or train this one again with a lower learning rate.",
             icon=":material/error:")
    page_end()
    st.stop()

left, right = side_by_side([1, 2])
with left:
    names_section(samples, seed, record.label)
with right:
    trace_section(record, samples, seed, temperature, P)
export_menu(P)
page_end()
