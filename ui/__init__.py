"""Streamlit glue shared by the pages (sidebar settings, session state, live training).

Only the app imports this package; makemore/ never does.
"""
