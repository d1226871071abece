"""Text from users on a page: the one way a value that came from outside (a URL value, a file name, a run
label, a word, a drawn character, an error that quotes one) reaches Streamlit.

Streamlit reads markdown nearly everywhere it shows text: st.markdown and st.write, captions, alerts,
toasts, widget labels and help, expander titles, progress texts. There a file name like
`[log in](https://evil.example)` would become a link inside the app's own message box. So:

- `md(value)`: the value as markdown that shows it as written (its markup characters escaped);
- `code(value)`: the value as an inline code span (a fence longer than any backticks in it);
- `plain(value)`: for what Streamlit shows as plain text (select and multiselect options).

Each makes the value one line and cuts it to `limit` characters with an ellipsis: a 100 KB link value
is quoted, not repeated.
"""
from __future__ import annotations

import re

SHORT = 60  # characters of a value quoted in a sentence (a label, a file name, a link's value)
LONG = 300  # characters of a message that quotes values itself (an error from the library)
ELLIPSIS = "…"

_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
# Inline markup: emphasis, code, links and images, HTML and entities, strikethrough, math, Streamlit's
# `:color[...]` directives and `:shortcode:` icons, table cells, e-mail autolinks, and the escape itself.
_MARKUP = re.compile(r"([\\`*_\[\]<>&~$:|@])")
_BLOCK_START = re.compile(r"^(#|>|[+\-=]|\d+[.)])")  # a heading, quote, list item or rule at a line's start
_WWW = re.compile(r"(www)\.", re.IGNORECASE)  # GFM links a bare www.example.com
# Streamlit swaps `:smile:`, `:material/x:` and `:streamlit:` for icons in the text an escape leaves;
# a zero-width space after the colon breaks the pattern and shows nothing.
_SHORTCODE = re.compile(r"\\:(?=[\w+-])")
ZERO_WIDTH_SPACE = "\u200b"


def cut(value: object, limit: int = SHORT) -> str:
    """The value as text, at most `limit` characters (the last one an ellipsis when cut)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def plain(value: object, limit: int = SHORT) -> str:
    """One line, cut: for places Streamlit shows as plain text (the options of a select box)."""
    return cut(_LINE_BREAKS.sub(" ", cut(value, limit + 1)), limit)


def md(value: object, limit: int = SHORT) -> str:
    """Markdown that shows the value as written: one line, cut, its markup characters escaped."""
    text = _MARKUP.sub(r"\\\1", plain(value, limit).strip())
    text = _WWW.sub(r"\1\\.", _SHORTCODE.sub(lambda m: m.group(0) + ZERO_WIDTH_SPACE, text))
    return _BLOCK_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def code(value: object, limit: int = SHORT) -> str:
    """The value as an inline code span: nothing inside one is markup (CommonMark: a fence of n backticks
    ends only at the next run of exactly n, and one space is trimmed from each end when both have one)."""
    text = plain(value, limit)
    if not text.strip():
        return '""' if not text else f"`{text}`"
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"

