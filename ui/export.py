"""Chart export: every chart a page draws can be downloaded as SVG or PNG.

Streamlit's chart toolbar has no export menu, so pages draw charts through `show_chart`, which
remembers the latest version of each; `export_menu` offers them as files, rendered with
vl-convert only when the user clicks (download buttons with a callable).
"""
from __future__ import annotations

import re

import altair as alt
import streamlit as st
import vl_convert

from makemore.charts.projector import for_projector
from ui.presentation import presenting

CHARTS = "_exportable_charts"  # session key: {page prefix: {chart name: latest chart}}
PENDING_MENUS = "_export_menus"  # session key: [(page prefix, popover)] placed in this run, filled at its end


class _Unchecked:
    """Converts to Vega-Lite without validating the result against the schema again, and copies cheaply.

    Validation was 40% of a live redraw; makemore.charts builds its specs from Altair's typed classes
    and tests/test_chart_specs.py validates every chart the pages draw, so the page skips it (as it skips
    Altair's debug mode: ui/process_tuning.py). And
    Altair's shallow copy (which its to_dict takes) re-runs the constructor, which for a layered chart
    deep-copies every layer again: here it copies the top object only, as its docstring promises.
    """

    def to_dict(self, validate: bool = False, **kwargs) -> dict:
        return super().to_dict(validate=False, **kwargs)

    def copy(self, deep=True, ignore=None):
        return _top_copy(self, type(self)) if deep is False else super().copy(deep, ignore)


class _Projected(_Unchecked):
    """As _Unchecked, in the projector's look (makemore.charts.projector): for presenter mode."""

    def to_dict(self, validate: bool = False, **kwargs) -> dict:
        return for_projector(super().to_dict(validate, **kwargs))


CHART_KINDS = (alt.Chart, alt.LayerChart, alt.HConcatChart, alt.VConcatChart, alt.ConcatChart)
UNCHECKED = {kind: type(kind.__name__, (_Unchecked, kind), {}) for kind in CHART_KINDS}
PROJECTED = {kind: type(kind.__name__, (_Projected, kind), {}) for kind in CHART_KINDS}


def _top_copy(chart: alt.TopLevelMixin, kind: type) -> alt.TopLevelMixin:
    """A copy of the chart's top object (its properties shared with the original) as a `kind`."""
    copy = object.__new__(kind)
    object.__setattr__(copy, "_args", chart._args)
    object.__setattr__(copy, "_kwds", dict(chart._kwds))
    return copy


def unchecked(chart: alt.TopLevelMixin, kinds: dict = UNCHECKED) -> alt.TopLevelMixin:
    """A shallow copy of the chart that Streamlit converts without re-validating it (as one of `kinds`)."""
    kind = kinds.get(type(chart))
    return chart if kind is None else _top_copy(chart, kind)


def file_name(*parts: str, suffix: str) -> str:
    """A download's file name: 'makemore-' and the parts as lowercase words joined by hyphens (a run's label
    of commas, brackets and slashes becomes 'deep-mlp-5x100-gain-1-667'), cut to a readable length."""
    words = re.findall(r"[a-z0-9]+(?:\.[0-9]+)*", " ".join(parts).lower().replace("×", "x"))
    return "-".join(["makemore", *words])[:80].rstrip("-") + suffix


def show_chart(chart: alt.TopLevelMixin, prefix: str, name: str, title: str | None = None,
               key: str | None = None):
    """Draw a chart full width (with a title, when given) and keep it for the page's export menu.

    The title is set on the chart itself: `.properties(title=...)` would validate it against the schema
    and, on a layered chart, rebuild every layer (a tenth of a live redraw).
    key: the chart answers clicks on its selection parameters (a rerun), under this widget key; then its
    selection state is returned (None otherwise).
    """
    if title is not None:
        chart.title = title
    st.session_state.setdefault(CHARTS, {}).setdefault(prefix, {})[name] = chart
    # presenting, for the back of the room: the projector's sizes and ink, without Streamlit's grey theme
    shown, theme = (unchecked(chart, PROJECTED), None) if presenting() else (unchecked(chart), "streamlit")
    if key is None:
        st.altair_chart(shown, width="stretch", theme=theme)
        return None
    return st.altair_chart(shown, width="stretch", theme=theme, on_select="rerun", key=key)


def export_menu(prefix: str) -> None:
    """The page's "Export charts" popover, here; `fill_export_menus` (at the end of the page, see
    ui.sidebar.page_end) fills it once every chart of the run is drawn, so it never lists the previous run's."""
    st.session_state.setdefault(PENDING_MENUS, []).append(
        (prefix, st.popover("Export charts", icon=":material/image:", help="Download any chart on this page as SVG or PNG")))


def start_page_charts() -> None:
    """A page run begins: forget the charts and menus of the last run (a chart not drawn now is not offered)."""
    st.session_state[CHARTS] = {}
    st.session_state[PENDING_MENUS] = []


def fill_export_menus() -> None:
    """Fill every export menu placed in this run with the charts drawn in it, each as SVG and PNG, rendered
    with vl-convert only when the user clicks (a download with a callable)."""
    for prefix, popover in st.session_state.pop(PENDING_MENUS, []):
        charts = st.session_state.get(CHARTS, {}).get(prefix, {})
        with popover:
            if not charts:
                st.caption("Draw something first: the charts appear here once they are on the page.")
                continue
            name = st.selectbox("Chart", list(charts), key=f"{prefix}_export_chart")
            stem = file_name(prefix, name, suffix="")
            svg, png = st.columns(2)
            # charts[name] is looked up at the click: a live chart redrawn since gives its latest state
            svg.download_button("SVG", lambda: vl_convert.vegalite_to_svg(charts[name].to_dict()), f"{stem}.svg",
                                "image/svg+xml", key=f"{prefix}_export_svg", on_click="ignore", width="stretch")
            png.download_button("PNG", lambda: vl_convert.vegalite_to_png(charts[name].to_dict(), scale=2),
                                f"{stem}.png", "image/png", key=f"{prefix}_export_png", on_click="ignore",
                                width="stretch")
