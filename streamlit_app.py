"""makemore explorer: the home page, a learning map of the lectures. Pages live in pages/."""
import streamlit as st

from ui.navigation import PAGES, ROOT
from ui.settings import shared_sidebar
from ui.state import sidebar_share_link

# what each stop of the map shows, in one sentence
BEFORE = {"pages/0_Data.py": "The word list every model learns from: its size, its characters and the bigram "
                             "count matrix."}
LECTURES = {
    "pages/1_Bigram.py": "Count character pairs and smooth them, then train a one-layer net that learns the same "
                         "table.",
    "pages/2_MLP.py": "Embed the last few characters, add a tanh layer, find a learning rate and watch the "
                      "embeddings organise.",
    "pages/3_Activations_and_BatchNorm.py": "Why the first loss is 27 and tanh saturates, and how Kaiming init and "
                                            "BatchNorm fix it, live.",
    "pages/4_Backprop.py": "Write the backward pass by hand and check every gradient against autograd.",
    "pages/5_WaveNet.py": "Fuse characters level by level, like a dilated convolution, to read a longer context.",
}
AFTER = {
    "pages/6_Generate.py": "Draw names from any model you trained and watch one being drawn step by step.",
    "pages/7_Models.py": "Every lecture's model in one place.",
    "pages/8_Compare.py": "Overlay this session's runs, line up their settings, export them.",
}
LABELS = {path: (label, icon) for path, label, icon in PAGES}

st.set_page_config(page_title="makemore explorer", page_icon="🔤", layout="wide")
settings = shared_sidebar()


def stop(path: str, sentence: str) -> None:
    """One stop of the map: a link to its page (or 'coming soon') beside what it shows."""
    label, icon = LABELS[path]
    link, text = st.columns([2, 5], vertical_alignment="center")
    with link:
        if (ROOT / path).is_file():
            st.page_link(path, label=label, icon=icon)
        else:
            st.markdown(f":gray[{label} · *coming soon*]")
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
        for path, sentence in stops.items():
            stop(path, sentence)

st.subheader("Shared settings")
data = settings.data
cols = st.columns(4)
cols[0].metric("Words in the current list", f"{len(data.words):,}")
cols[1].metric("Vocabulary", data.vocab.size, help=f"{len(data.vocab.chars)} characters and the boundary token "
                                                    f"{data.vocab.boundary!r}.")
cols[2].metric("Seed", settings.seed)
cols[3].metric("Device", settings.device)
st.caption(f"Word list: {settings.data_label}. The sidebar's word list, seed and device apply to every page and "
           "stay as you move between pages. The lectures' own numbers need their names.txt: upload it to "
           "reproduce them.")
sidebar_share_link()
