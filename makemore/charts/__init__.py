"""Altair chart builders: a tidy DataFrame in, an alt.Chart out. No Streamlit here.

core.py holds what every chart shares (layer colours, sizes, downsampling); the other modules
hold one builder per chart kind, grouped by the lecture that uses them (backprop_graph writes DOT for
st.graphviz_chart instead: Vega-Lite has no graph layout).
"""
