"""Text from users (file names, run labels, link values, drawn characters) is shown as written, never as markdown."""
import re

import pytest

from makemore.data import WordData
from makemore.models import NGramConfig
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import open_page, open_with_url
from tests.test_page_compare import make_record
from ui import runs
from ui.sidebar import UPLOAD_CHOICE
from ui.text import ELLIPSIS, SHORT, ZERO_WIDTH_SPACE, code, md, plain

HOSTILE = [  # each would change what a page shows if it were read as markdown
    "[log in again](https://evil.example)",
    "**bold** and _em_",
    ":red[red] :material/home: :smile:",
    "$x^2$ and $$y$$",
    "`tick` and ``two``",
    "<b>html</b> &amp; ~~gone~~",
    "![img](https://evil.example/x.png)",
    "www.evil.example a@b.example",
]
BLOCKS = ["# heading", "> quote", "- item", "1. item", "---", "| a | b |"]  # markup only at a line's start
MARKUP = set("\\`*_[]<>&~$:|@")


def unescaped(text: str) -> str:
    """What markdown shows of an escaped text: backslash escapes undone, the zero-width spaces dropped."""
    return re.sub(r"\\(.)", r"\1", text).replace(ZERO_WIDTH_SPACE, "")


def live(text: str) -> str:
    """The text with its escaped characters and code spans taken out: what markdown may still read as markup
    (CommonMark: a backslash escapes the next punctuation; a run of n backticks opens a span that closes at the
    next run of exactly n, and unclosed it is literal)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 2
            continue
        run = re.match(r"`+", text[i:])
        if run is None:
            out.append(text[i])
            i += 1
            continue
        fence = run.group(0)
        close = re.search(rf"(?<!`){fence}(?!`)", text[i + len(fence):])
        if close is None:
            out.append(fence)
            i += len(fence)
        else:
            i += len(fence) + close.end()
    return "".join(out)


@pytest.mark.parametrize("value", HOSTILE + BLOCKS)
def test_md_shows_the_value_as_written_with_no_live_markup(value):
    shown = md(value)
    assert unescaped(shown) == value
    assert not MARKUP & set(live(shown)), shown
    assert not re.match(r"(#|>|[+\-=]|\d+[.)])", shown)  # no block at the line's start
    assert "www." not in live(shown).lower()


@pytest.mark.parametrize("value", HOSTILE + BLOCKS + ["`", "``x`", " ` ", "a ` b"])
def test_code_spans_hold_any_value_whole(value):
    span = code(value)
    assert live(span) == ""  # one span, from its first character to its last
    fence = re.match(r"`+", span).group(0)
    inner = span[len(fence):-len(fence)]
    inner = inner[1:-1] if inner.startswith(" ") and inner.endswith(" ") and inner.strip() else inner
    assert inner == value


def test_long_values_are_cut_to_one_line():
    value = "a" * 100_000 + "\nline two"
    assert len(md(value)) == SHORT and md(value).endswith(ELLIPSIS)
    assert len(code(value)) == SHORT + 2
    assert plain("one\ntwo\r\nthree") == "one two three"


def text_shown(at) -> list[str]:
    """Every text on the page (and its sidebar) that Streamlit reads as markdown."""
    texts = []
    for kind in ("markdown", "caption", "success", "error", "warning", "info", "title", "header", "subheader"):
        texts += [element.value for element in at.get(kind)]
    texts += [element.label for element in at.get("expander")]
    return texts


def assert_shown_as_written(at, value: str) -> None:
    texts = text_shown(at)
    assert any(md(value) in t or code(value) in t for t in texts), (value, texts)
    assert not any(value in t.replace(code(value), "") for t in texts), (value, texts)


WORDS = b"emma\nolivia\nava\nisabella\nsophia\ncharlotte\nmia\namelia\nharper\nevelyn\n"


@pytest.mark.slow
@pytest.mark.parametrize("value", HOSTILE)
def test_an_uploaded_file_name_is_shown_as_written(value):
    at = open_page("pages/0_Data.py", shared_dataset=UPLOAD_CHOICE)
    at = at.file_uploader(key="shared_upload").set_value((f"{value}.txt", WORDS, "text/plain")).run()
    assert not at.exception
    assert_shown_as_written(at, value)  # "Loaded ..." in the sidebar
    at = at.run()  # the page's heading names the list
    assert at.session_state["shared_dataset"].startswith(plain(value))
    assert_shown_as_written(at, value)
    home = open_page("streamlit_app.py", shared_sources=dict(at.session_state["shared_sources"]),
                     shared_dataset=at.session_state["shared_dataset"])
    assert_shown_as_written(home, value)
    bad = open_page("pages/0_Data.py", shared_dataset=UPLOAD_CHOICE)
    bad = bad.file_uploader(key="shared_upload").set_value((f"{value}.txt", b"", "text/plain")).run()
    assert_shown_as_written(bad, value)  # "Could not use ..."


@pytest.mark.slow
@pytest.mark.parametrize("value", HOSTILE)
def test_a_link_value_is_quoted_as_code(value):
    at = open_with_url("pages/2_MLP.py", lr=value)
    assert not at.exception and at.session_state["mlp_lr"] == 0.1
    warning, = [w.value for w in at.warning]
    assert code(f"lr={value}") in warning and "`" not in live(warning)


@pytest.mark.slow
def test_a_100_kb_link_value_is_quoted_cut():
    at = open_with_url("pages/2_MLP.py", lr="9" * 100_000, n_hidden="[x](https://evil.example)" * 4000)
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2 and all(len(w) < 400 for w in warnings), [len(w) for w in warnings]


@pytest.mark.slow
@pytest.mark.parametrize("value", HOSTILE)
def test_a_run_label_is_shown_as_written_on_compare(default_data, value):
    record = make_record(default_data, 1.0, value, steps=5)
    at = open_page("pages/8_Compare.py", runs={record.run_id: record})
    assert not at.exception
    assert_shown_as_written(at, value)  # its expander's title
    assert at.multiselect(key="compare_runs").options == [plain(value)]


@pytest.mark.slow
def test_drawn_characters_that_are_markup_are_shown_as_written():
    data = WordData.from_words(["*_$`", "`$*_", "_*`$", "$`_*", "**``", "__$$"] * 5)
    trainer = build_trainer(NGramConfig(vocab_size=data.vocab.size), TrainConfig(steps=1, batch_size=None),
                            data, 3)
    trainer.advance(1)
    record = runs.from_trainer(trainer, runs.new_run_id(), "markup", "Bigram", "markup.txt", 3, 7)
    at = open_page("pages/6_Generate.py", runs={record.run_id: record}, gen_step=3)
    assert not at.exception
    lines = [m.value for m in at.markdown if m.value.startswith(("Drawn:", "Context"))]
    assert len(lines) == 2, [m.value for m in at.markdown]
    for line in lines:  # the page's own markup taken out, no markup is left outside code spans and escapes
        own = re.sub(r":orange-background\[\*\*|\*\*\]|\*\*", "", live(line))
        assert not set(own) & set("*_$`"), line


@pytest.mark.slow
def test_a_text_box_keeps_its_length_limit_whatever_sets_it():
    at = open_with_url("pages/5_WaveNet.py", word="a" * 20_000)
    assert not at.exception and at.session_state["wavenet_word"] == "diondre"
    warning, = [w.value for w in at.warning]
    assert "longer than 20 characters" in warning and len(warning) < 400
    at = open_page("pages/5_WaveNet.py", wavenet_word="b" * 20_000)  # set some other way: cut
    assert not at.exception and at.session_state["wavenet_word"] == "b" * 20
