"""makemore explorer: the home page, a learning map of the lectures. Pages live in pages/."""
import streamlit as st

from ui.navigation import existing_pages, page_name
from ui.sidebar import page_end, page_setup
from ui.text import md

# what each stop of the map shows, in one sentence, by page name (its URL)
BEFORE = {"Data": "The word list every model learns from: its size, its characters and the bigram count matrix."}
LECTURES = {
    "Bigram": "Count character pairs and smooth them, then train a one-layer net that learns the same table.",
    "MLP": "Embed the last few characters, add a tanh layer, find a learning rate and watch the embeddings organise.",
    "Activations_and_BatchNorm": "Why the first loss is far too high and tanh saturates, and how Kaiming init and "
                                 "BatchNorm fix it, live.",
    "Backprop": "Write the backward pass by hand and check every gradient against autograd.",
    "WaveNet": "Fuse characters level by level, like a dilated convolution, to read a longer context.",
}
AFTER = {
    "Generate": "Draw names from any model you trained and watch one being drawn step by step.",
    "Models": "Every lecture's model in one place.",
    "Compare": "Overlay this session's runs, line up their settings, export them.",
    "Class": "Share runs with your class: a leaderboard per lecture setup, refreshed as students share.",
}
PAGES = {page_name(page.path): page for page in existing_pages()}

settings = page_setup("makemore explorer", "🔤")


def stop(name: str, sentence: str) -> None:
    """One stop of the map: a link to its page beside what it shows."""
    link, text = st.columns([2, 5], vertical_alignment="center")
    link.page_link(PAGES[name].path, label=PAGES[name].label, icon=PAGES[name].icon)
    text.write(sentence)


st.title("makemore explorer")
st.write("Character-level language models that learn to *make more* of a list of names, following Andrej "
         "Karpathy's makemore lectures. Every page trains its models live in your browser: move a slider, "
         "press Train, and watch them learn. No code needed.")

st.subheader("The learning map")
for title, stops in [("Start with the data", BEFORE), ("The lectures, in order: each builds on the one before", LECTURES),
                     ("Then make more, and compare", AFTER)]:
    st.markdown(f"**{title}**")
    with st.container(border=True):
        for name, sentence in stops.items():
            stop(name, sentence)

st.subheader("Shared settings")
data = settings.data
cols = st.columns(4)
cols[0].metric("Words in the current list", f"{len(data.words):,}")
cols[1].metric("Vocabulary", data.vocab.size, help=f"{len(data.vocab.chars)} characters and the boundary token "
                                                    f"{md(repr(data.vocab.boundary))}.")
cols[2].metric("Seed", settings.seed)
cols[3].metric("Device", settings.device)
st.caption(f"Word list: {md(settings.data_label)}. The sidebar's word list, seed and device apply to every page and "
           "stay as you move between pages. The lectures' own numbers need their names.txt: upload it to "
           "reproduce them.")
page_end()
