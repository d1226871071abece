"""makemore explorer: the home page. Pages live in pages/ and Streamlit lists them in the sidebar."""
import streamlit as st

from ui.settings import shared_sidebar

st.set_page_config(page_title="makemore explorer", page_icon="🔤", layout="wide")

settings = shared_sidebar()
st.title("makemore explorer")
st.write("Watch character-level language models learn to make more names, lecture by lecture.")
data = settings.data
st.metric("Words in the current list", f"{len(data.words):,}")
st.caption(f"{data.vocab.size} tokens: the boundary {data.vocab.boundary!r} and {len(data.vocab.chars)} characters.")
