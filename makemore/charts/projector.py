"""The projector's look for any chart: text readable from the back of a room, dark ink, thicker lines.

One place for it: `for_projector` takes a chart's finished Vega-Lite spec (any builder's) and returns it with
this config and with the sizes a builder set on its own marks and guides raised to the projector's minimum, so
that no builder needs to know about presenting.
"""
from __future__ import annotations

import textwrap
from typing import Any

MIN_TEXT_PX = 18  # the smallest text a chart draws on a projector
INK = "#111111"  # near black: a washed-out projector greys everything further
FONT = "Source Sans Pro, Source Sans, sans-serif"  # the page's font
LINE_WIDTH = 3.5  # px, for lines that set no width of their own
LINE_FACTOR = 1.6  # widths a builder set are scaled by this ...
MIN_LINE_WIDTH = 2.0  # ... and kept at least this (a faint per-step line stays the thinnest one)
POINT_FACTOR = 2.0  # areas of points and circles (a point's size is its area in px²)
TITLE_CHARACTERS = 30  # a title's line, at most: a third of a 1280-pixel screen at the projector's title size
Y_TITLE_PX_PER_CHARACTER = 10  # of a y axis title at the projector's size: its lines as long as the plot is high,
X_AXIS_PX = 60  # which is the chart's height less its x axis
MIN_Y_TITLE_CHARACTERS = 10
LEGEND_ROWS = 4  # a legend of more entries than this goes in two columns, to fit beside a short chart

_GUIDE = {"labelFontSize": MIN_TEXT_PX, "titleFontSize": MIN_TEXT_PX + 2, "labelColor": INK, "titleColor": INK,
          "labelFont": FONT, "titleFont": FONT, "labelLimit": 0}  # labelLimit 0: never cut a label with "…"
CONFIG = {
    "font": FONT,
    "axis": {**_GUIDE, "domainColor": INK, "tickColor": INK, "gridColor": "#c8c8c8", "titleFontWeight": "bold"},
    "legend": {**_GUIDE, "symbolSize": 220, "symbolStrokeWidth": 3, "rowPadding": 0, "columnPadding": 12},
    "header": {**_GUIDE},
    "title": {"fontSize": MIN_TEXT_PX + 4, "color": INK, "font": FONT, "anchor": "start", "limit": 0},
    "text": {"fontSize": MIN_TEXT_PX},
    "line": {"strokeWidth": LINE_WIDTH},
    "rule": {"strokeWidth": 2.5},
    "point": {"size": 120, "strokeWidth": 2.5},
    "circle": {"size": 120},
}
_FONT_KEYS = ("fontSize", "labelFontSize", "titleFontSize")  # in marks, axes, legends and headers
_STROKED = ("line", "rule", "trail")  # marks whose strokeWidth is what the eye follows


def for_projector(spec: dict) -> dict:
    """The spec (a Vega-Lite dict, changed in place and returned) in the projector's look."""
    spec["config"] = {**spec.get("config", {}), **CONFIG}
    if isinstance(spec.get("title"), str):
        spec["title"] = wrapped(spec["title"])
    height = spec.get("height")
    _raise_sizes(spec, max(MIN_Y_TITLE_CHARACTERS, int((height - X_AXIS_PX) / Y_TITLE_PX_PER_CHARACTER))
                 if isinstance(height, (int, float)) else None)
    return spec


def wrapped(title: str, width: int = TITLE_CHARACTERS) -> str | list[str]:
    """A long title as lines of at most `width` characters (Vega draws a list as lines), never cut short."""
    return textwrap.wrap(title, width, break_long_words=False, break_on_hyphens=False) if len(title) > width else title


def _raise_sizes(node: Any, y_title_characters: int | None) -> None:
    """Every font size in the spec raised to MIN_TEXT_PX, every mark's own widths and areas scaled, and y axis titles
    in lines of at most `y_title_characters`."""
    if isinstance(node, list):
        for item in node:
            _raise_sizes(item, y_title_characters)
        return
    if not isinstance(node, dict):
        return
    for key in _FONT_KEYS:
        if isinstance(node.get(key), (int, float)):
            node[key] = max(node[key], MIN_TEXT_PX)
    if isinstance(node.get("mark"), dict):
        _mark(node["mark"])
    if isinstance(node.get("encoding"), dict):
        _encoding(node["encoding"], y_title_characters)
    for key, value in node.items():
        if key not in ("data", "datasets", "config") and isinstance(value, (dict, list)):
            _raise_sizes(value, y_title_characters)


def _encoding(encoding: dict, y_title_characters: int | None) -> None:
    """A long y axis title in lines (it runs along the chart's height); a long legend in two columns."""
    y = encoding.get("y")
    if y_title_characters and isinstance(y, dict) and isinstance(y.get("title"), str):
        y["title"] = wrapped(y["title"], y_title_characters)
    for channel in encoding.values():
        domain = channel.get("scale", {}).get("domain") if isinstance(channel, dict) else None
        if isinstance(domain, list) and len(domain) > LEGEND_ROWS and channel.get("legend", {}) is not None:
            channel["legend"] = {**channel.get("legend", {}), "columns": 2}


def _mark(mark: dict) -> None:
    kind = mark.get("type")
    if kind == "text" and isinstance(mark.get("size"), (int, float)):
        mark["size"] = max(mark["size"], MIN_TEXT_PX)  # a text mark's size is its font size
    elif kind in ("point", "circle", "square") and isinstance(mark.get("size"), (int, float)):
        mark["size"] = mark["size"] * POINT_FACTOR
    if kind in _STROKED and isinstance(mark.get("strokeWidth"), (int, float)):
        mark["strokeWidth"] = max(mark["strokeWidth"] * LINE_FACTOR, MIN_LINE_WIDTH)
