"""The class board: a teacher starts a class, students join with its code and a nickname and share their runs; the
board ranks them per lecture setup by dev loss, refreshing every few seconds."""
import streamlit as st

from ui.panels import class_board as panel
from ui.sidebar import page_end, page_setup

P = "class"

settings = page_setup("Class board")
st.title("The class board")
st.write("Everyone's runs side by side: the teacher starts a class and shows its code; students join with it and a "
         "nickname (no accounts) and press *Share with the class* beside a paused run. The board ranks the runs of "
         "each lecture setup by dev loss, shows how their settings differ from the best one's and overlays their "
         "loss curves. Open any run to make names with it or to train it further.")

join, teach = st.columns(2, gap="large")
with join:
    st.subheader("Join a class")
    code = panel.class_code_input(P)
    panel.join_section(code, P)
with teach:
    with st.expander("For the teacher", icon=":material/school:", expanded=st.session_state.get(panel.NEW_CLASS)
                     is not None or bool(panel.teacher_key(code))):
        panel.teacher_section(code, P)

if code:
    panel.board_section(code, P)
    panel.opened_section(settings, P)
page_end()
