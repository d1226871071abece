"""Presenter mode's dashboard: on a projector (1280 x 800 up to 1920 x 1080) a lecture page's run controls,
its story's few sliders and its key charts fill the first screen, so the room watches the network learn
without anyone scrolling.

The stage is a container that `open_stage` places in every page (empty where nothing goes on it) and that the
CSS orders right after the page's title, wherever in the script its parts are drawn:

    ┌ title ──────────────────────────────────────────────────────────┐
    │ controls: [Train][Step 1][Step 100][Step 1,000][Reset] slider slider slider │
    │ notes: notices and the walk-through, in a strip of fixed height that scrolls │
    │ charts: the live area, its key charts in a grid that fits the screen        │
    └ the rest of the page, in the script's order ─────────────────────┘

A page puts things there with `on_stage(slot)` and `story()`; outside presenter mode both draw in place, so a
page reads the same either way. Any chart can be shown alone at full screen and back in one click: the
"Spotlight" button (Streamlit's own full-screen button, always shown and labelled here).
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

import streamlit as st

STAGE = "_presenter_stage"  # session key: this run's stage slots (DeltaGenerators), absent when not presenting
ROW_HEIGHT = "_presenter_row_height"  # session key: the chart height of the grid being drawn
SLOTS = ("controls", "notes", "charts")
STORY_WIDTH = 190  # px, a story slider on the controls row
NOTES_MAX_HEIGHT = "5rem"  # the notes strip scrolls inside beyond this: it never pushes the charts down
# Chart heights (px, axes included: Streamlit fits them inside) that let a grid of this many rows fit under the
# controls and notes on a 1280 x 800 screen with the projector's 18 px axis text; a 1920 x 1080 screen shows them
# with room to spare.
ROW_HEIGHTS = {1: 440, 2: 160}
CELL_HEIGHT = "calc((100vh - 370px) / 2)"  # a cell of the 2-row grid: what is left under the controls, halved

CSS = f"""
<style>
  html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] {{ font-size: 1.2rem; }}
  h1 {{ font-size: 1.7rem !important; padding: 0 !important; }}
  h2, h3 {{ font-size: 1.6rem !important; padding: 0.2rem 0 !important; }}
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] p {{ font-size: 2.2rem !important; }}
  /* the whole screen for the page: the title beside the sidebar's button, little margin */
  [data-testid="stHeader"] {{ background: transparent; pointer-events: none; }}
  [data-testid="stHeader"] button, [data-testid="stHeader"] a {{ pointer-events: auto; }}
  [data-testid="stMainBlockContainer"] {{ padding: 0.6rem 1.5rem 2rem 4rem; max-width: none; }}
  /* the stage right after the title, whatever the script drew in between */
  [data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > :has(h1) {{ order: -2; }}
  [data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"] > :has(> .st-key-presenter_stage) {{
      order: -1; }}
  .st-key-presenter_stage {{ gap: 0.4rem; }}
  .st-key-presenter_controls button p {{ font-size: 1.05rem; }}
  .st-key-presenter_controls [data-testid="stWidgetLabel"] p {{ font-size: 0.95rem; line-height: 1.3;
      word-break: normal !important; overflow-wrap: normal !important; }}
  .st-key-presenter_controls button {{ padding: 0.25rem 0.6rem; min-height: 2.4rem; }}
  .st-key-presenter_controls [data-testid="stHorizontalBlock"], .st-key-presenter_controls {{ gap: 0.5rem; }}
  .st-key-presenter_notes {{ max-height: {NOTES_MAX_HEIGHT}; overflow-y: auto; }}
  .st-key-presenter_notes summary {{ padding-top: 0.1rem; padding-bottom: 0.1rem; }}
  .st-key-presenter_notes details[open] > summary {{ display: none; }}  /* open: the stop's Close ends it */
  .st-key-presenter_notes p {{ font-size: 1.05rem; }}
  /* a walk-through stop in one row: Back / Next first (in reach without scrolling the strip), its title, its text */
  .st-key-presenter_notes [data-testid="stExpanderDetails"] > [data-testid="stVerticalBlock"] {{
      flex-direction: row; align-items: flex-start; padding-top: 0.3rem; }}
  .st-key-presenter_notes [data-testid="stExpanderDetails"] > [data-testid="stVerticalBlock"] > * {{ flex: 1 1 0; }}
  .st-key-presenter_notes [data-testid="stVerticalBlock"] > :has(p > strong:only-child) {{ flex: 0 0 11rem; }}
  .st-key-presenter_notes [data-testid="stVerticalBlock"] > :has(button) {{ order: -1; flex: none; width: auto; }}
  /* an empty stage or notes strip takes no room (pages without a live area, runs without a notice) */
  :has(> .st-key-presenter_stage:not(:has([data-testid="stElementContainer"]))),
  :has(> .st-key-presenter_notes:not(:has([data-testid="stElementContainer"]))) {{ display: none; }}
  /* the live area's status line (step, speed, sharing the server) on one line */
  .st-key-presenter_charts p:has(> strong:first-child) {{ font-size: 1rem; }}
  [class*="st-key-presenter_cell_"] {{ height: {CELL_HEIGHT} !important; flex: none !important; overflow-y: auto;
      overflow-x: hidden; gap: 0.4rem; }}
  [class*="st-key-presenter_cell_"] h3 {{ font-size: 1.25rem !important; padding: 0.1rem 0 0.3rem !important; }}
  [class*="st-key-presenter_cell_"] [data-testid="stWidgetLabel"] {{ display: none; }}
  /* nothing cut with an ellipsis: labels wrap instead */
  [data-testid="stSidebarNav"] span, [data-testid="stPageLink-NavLink"] span, [data-testid="stMetricLabel"] *,
  [data-testid="stMetricValue"] *, [data-testid="stWidgetLabel"] *, button p {{ white-space: normal !important;
      overflow: visible !important; text-overflow: clip !important; }}
  [data-testid="stMetricValue"] > div {{ overflow-wrap: anywhere; }}
  /* Spotlight: a chart's full-screen button, always shown (the toolbar's others stay on hover), with its name */
  [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) [data-testid="stElementToolbar"] {{
      opacity: 1 !important; z-index: 10; top: -2.1rem; }}
  [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]):not(:hover)
      [data-testid="stElementToolbarButton"]:not(:has(button[aria-label*="ullscreen"])) {{ display: none; }}
  [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) [data-testid="stElementToolbar"]
      button[aria-label="Fullscreen"]::after {{ content: "Spotlight"; margin-left: 0.3rem; font-size: 0.95rem; }}
</style>
"""


def open_stage(presenting: bool) -> None:
    """Every page's place for the dashboard (page_setup calls it): its slots, empty until something goes there."""
    if not presenting:
        st.session_state.pop(STAGE, None)
        return
    st.sidebar.markdown(CSS, unsafe_allow_html=True)  # in the sidebar: no gap in the main area for it
    stage = st.container(key="presenter_stage")
    row = stage.container(key="presenter_controls", horizontal=True, vertical_alignment="bottom", gap="small")
    st.session_state[STAGE] = {"row": row, "controls": row.container(width="content"),
                               "notes": stage.container(key="presenter_notes"),
                               "charts": stage.container(key="presenter_charts")}


def on_stage(slot: str):
    """Draw into the stage's `slot` when presenting, in place otherwise: "controls" (the run's buttons, first on
    the controls row), "notes" (notices, the walk-through) or "charts" (the live area)."""
    assert slot in SLOTS, slot
    stage = st.session_state.get(STAGE)
    return stage[slot] if stage else nullcontext()


def story(width: int | str = STORY_WIDTH):
    """A control of the lecture's story: on the stage's controls row when presenting (`width` px wide, or
    "content"), in place otherwise."""
    stage = st.session_state.get(STAGE)
    return stage["row"].container(width=width) if stage else nullcontext()


@contextmanager
def grid(rows: int = 1, spec: int | list[float] = 2) -> Iterator[list]:
    """The cells of a grid of key charts (`rows` rows of the columns `spec`), row by row; while it is drawn,
    `chart_height()` is the height that fits one of its rows on the screen. Not presenting: one row of columns."""
    if STAGE not in st.session_state:
        yield list(st.columns(spec))
        return
    outer = st.session_state.get(ROW_HEIGHT)
    st.session_state[ROW_HEIGHT] = ROW_HEIGHTS[rows]
    try:
        cells = [cell for _ in range(rows) for cell in st.columns(spec, gap="medium")]
        # below its chart, a cell of a grid of several rows scrolls (its tables and captions) rather than
        # pushing the next row off the screen
        yield cells if rows == 1 else [cell.container(key=f"presenter_cell_{i}") for i, cell in enumerate(cells)]
    finally:
        st.session_state[ROW_HEIGHT] = outer


def fitted(draw: Callable) -> Callable:
    """A live area's drawing, that in presenter mode draws its charts side by side, each as tall as fits one row
    of the dashboard (a grid inside it sets its own)."""
    def fitted_draw(*args, **kwargs):
        if STAGE not in st.session_state:
            return draw(*args, **kwargs)
        st.session_state[ROW_HEIGHT] = ROW_HEIGHTS[1]
        try:
            return draw(*args, **kwargs)
        finally:
            st.session_state.pop(ROW_HEIGHT, None)
    return fitted_draw


def row_height() -> int | None:
    """The chart height of the grid being drawn, if any."""
    return st.session_state.get(ROW_HEIGHT)
