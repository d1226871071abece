"""makemore.py's models (RNN, GRU, bag of words, Transformer): pick one, train it live, look inside, compare."""
import streamlit as st

from makemore.presets import SAMPLE_SEED
from ui.export import export_menu
from ui.live import live_run
from ui.panels.class_board import share_live_run
from ui.panels.inside_model import draw
from ui.panels.models import leaderboard_section, model_controls
from ui.presentation import controls_area
from ui.runnable import control_row, live_area
from ui.sidebar import page_end, page_setup

P = "models"
STATE = "models_run"

settings = page_setup("Models")
st.title("All the models")
st.write("makemore.py's other models (RNN, GRU, bag of words, Transformer) on the same data, trainer and "
         "diagnostics as the lectures' MLPs. Pick one, train it live, look inside it, and compare it with every "
         "other run of this session.")
with controls_area():
    model_config, train_config, run_label = model_controls(settings.data, P)
live_run(STATE, model_config, train_config, settings, run_label, "Models", SAMPLE_SEED)
control_row(STATE, P)
share_live_run(STATE, P)
live_area(STATE, lambda current: draw(current, P))
leaderboard_section(P)
export_menu(P)
page_end()
