"""Streamlit glue shared by the pages: `sidebar.page_setup` (every page's first call), session state and links
(`state`), anything that trains live (`runnable`, `live`, `pacing`), the pages' sections (`panels/`).

Only the app imports this package; makemore/ never does.
"""
