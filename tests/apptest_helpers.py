"""Reading what an AppTest run drew: Vega-Lite charts with their data, and page lookups."""
import json
import re

from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def open_page(relative_path: str, **state) -> AppTest:
    """An AppTest of a page with session state preset (e.g. a word list), after its first run."""
    at = AppTest.from_file(str(ROOT / relative_path), default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def open_with_url(relative_path: str, **params) -> AppTest:
    """An AppTest of a page opened from a link with these query parameters, after its first run."""
    at = AppTest.from_file(str(ROOT / relative_path), default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def press_step(at: AppTest, key: str, most_runs: int = 200) -> AppTest:
    """Press a Step button and run the page until the live area reached the Step's target.

    In the app the browser's timer reruns the live area every tick and each tick trains toward the target for
    its paced budget; AppTest ticks once per run, so the runs stand in for the timer."""
    at = at.button(key=key).click().run()
    for _ in range(most_runs):
        if not any(getattr(value, "target", None) is not None for value in at.session_state.values()):
            return at
        at = at.run()
    raise AssertionError(f"{key} did not reach its target in {most_runs} runs")


def charts(at: AppTest) -> list[dict]:
    """Every Vega-Lite chart on the page: {"spec": dict, "data": [DataFrame, ...]}."""
    result = []
    for element in at.get("vega_lite_chart"):
        proto = element.proto
        frames = [dataframe_util.convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets]
        result.append({"spec": json.loads(proto.spec), "data": frames})
    return result


def chart_with_columns(at: AppTest, *columns: str) -> list[dict]:
    """The charts with a dataset holding all the given columns."""
    return [c for c in charts(at) if any(set(columns) <= set(f.columns) for f in c["data"])]


def with_word_list(path) -> dict:
    """Session state that selects a word list file in the shared sidebar, as an upload would."""
    label = f"{path.name} (test)"
    return {"shared_sources": {label: (path.name, path.read_bytes())}, "shared_dataset": label}


NAME_LINE = re.compile(r"\d+\. (`+) ?(.*?) ?\1 · (new|\*in the data\*)")


def generated_names(at: AppTest) -> tuple[list[str], list[str]]:
    """The Generate page's list of names: (names, each "new" or "in the data")."""
    listing = next(m.value for m in at.markdown if NAME_LINE.match(m.value))
    lines = [NAME_LINE.fullmatch(line) for line in listing.splitlines()]
    assert all(lines), listing
    return [line[2] for line in lines], [line[3].strip("*") for line in lines]
