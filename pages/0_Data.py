"""The data set: what the models learn from, down to the lecture's bigram count matrix."""
import pandas as pd
import streamlit as st

from makemore.charts.bigram import MATRIX_TOKENS, pair_heatmap
from makemore.charts.data import char_frequency_chart, length_histogram
from makemore.lessons import bigram
from makemore.lessons.data import char_counts, length_counts
from ui.cached import count_table
from ui.export import export_menu, show_chart
from ui.presentation import chart_height, side_by_side
from ui.sidebar import page_end, page_setup
from ui.state import persistent_widget
from ui.text import md

P = "data"
FIRST_ROWS = 15

settings = page_setup("The data set")
data = settings.data
words = data.words
boundary = md(repr(data.vocab.boundary))  # a character the list does not use: maybe `*` or `$`
st.title("The data set")
st.write(f"**{md(settings.data_label)}**: every model in the app learns to make more of these. To use your own "
         "list (any UTF-8 text file, one item per line), choose *Upload your own list…* under **Word list** "
         "in the sidebar.")

lengths = [len(word) for word in words]
cols = st.columns(5)
cols[0].metric("Words", f"{len(words):,}", help="Lines of the file (blank lines dropped).")
cols[1].metric("Vocabulary", f"{data.vocab.size}", help=f"{len(data.vocab.chars)} distinct characters plus the "
               f"boundary token {boundary}, which marks where a word starts and ends.")
cols[2].metric("Shortest / longest", f"{min(lengths)} / {max(lengths)}", help="Characters per word.")
cols[3].metric("Mean length", f"{sum(lengths) / len(words):.2f}")
cols[4].metric("Bigrams", f"{sum(lengths) + len(words):,}", help="Every word of n characters gives n + 1 "
               "(previous, next) pairs once framed by the boundary token: '.emma.' gives .e em mm ma a.")
st.caption("Split as in the lectures (shuffled with seed 42, then 80 % / 10 % / 10 %): "
           + ", ".join(f"{name} {len(part):,} words" for name, part in data.splits.items()) + ".")

left, right = side_by_side([1, 3])
with left:
    st.subheader("The first rows")
    st.dataframe(pd.DataFrame({"word": words[:FIRST_ROWS], "length": lengths[:FIRST_ROWS]},
                              index=range(1, min(FIRST_ROWS, len(words)) + 1)), height=38 + 35 * FIRST_ROWS)
with right:
    st.subheader("Word lengths")
    show_chart(length_histogram(length_counts(words), chart_height()), P, "lengths",
               title="How many words have each length")
    st.caption("A model must learn when to stop as well as what to write: the boundary token after the last "
               "character is its 'end of word'.")

st.subheader("Character frequencies")
show_chart(char_frequency_chart(char_counts(words), chart_height()), P, "characters",
           title="Share of each character among all characters")
st.caption("A model that ignored the context would sample characters with these frequencies; the bigram "
           "model does better by looking at the previous character.")

st.subheader("The bigram matrix")
view = persistent_widget(
    st.radio, "data_matrix_view", "counts", param="view", label="Show", options=["counts", "probabilities"], horizontal=True,
    help="Counts: how often the column's character follows the row's (N[ix1, ix2] in the lecture). "
         "Probabilities: each row divided by its sum, so a row is P(next | previous) and sums to 1.")
N = count_table(settings.data_key, "all", 1, data)
tokens = bigram.frequent_tokens(N, MATRIX_TOKENS)
values = N if view == "counts" else bigram.row_normalized(N)
frame = bigram.matrix_frame(values, data.vocab.itos, tokens)
title = "Bigram counts N (row: previous character, column: next)" if view == "counts" else \
    "P(next | previous): the counts, row-normalized"
show_chart(pair_heatmap(frame, view, "d" if view == "counts" else ".2f"), P, "bigram matrix", title=title)
if len(tokens) < data.vocab.size:
    st.caption(f"Showing the boundary and the {len(tokens) - 1} most frequent of {len(data.vocab.chars)} "
               "characters, so that every cell stays readable.")
st.caption(f"Each cell shows a pair and {'its count' if view == 'counts' else 'P(column | row)'}. The row "
           f"{boundary} is how words start, the column {boundary} how they end. Grey cells "
           "(0) are pairs that never occur: a model built from these counts alone would call them impossible, "
           "which is why part 1 adds smoothing.")
export_menu(P)
page_end()
