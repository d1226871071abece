"""No session sees another's data: separate runs, no shared mutable module state, a fair share of the CPU."""
import ast
import subprocess
import sys
import threading

import pytest
import torch

from makemore.models import DeepMLPConfig
from makemore.presets import LECTURE_SEED
from makemore.training import TrainConfig, build_trainer
from tests.apptest_helpers import open_page, press_step
from tests.conftest import ROOT

PAGE = "pages/3_Activations_and_BatchNorm.py"
SHARED_CODE = sorted([*ROOT.glob("makemore/**/*.py"), *ROOT.glob("ui/**/*.py")])  # imported once, shared by sessions
ALL_CODE = SHARED_CODE + sorted([ROOT / "streamlit_app.py", *ROOT.glob("pages/*.py")])
MUTATING_METHODS = {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault",
                    "add", "discard", "sort", "reverse", "__setitem__", "__delitem__"}
CONTAINER_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"}
# "file: function" of every st.cache_resource: read-only objects, or (the store) a pool of connections that holds no
# session's data, each session's code being in its own session state
READ_ONLY_RESOURCES: set[str] = {"ui/session_store.py: process_store"}


def page_train_config(**overrides) -> TrainConfig:
    """What the diagnostics page trains with at its default controls."""
    return TrainConfig(**{"steps": 200_000, "batch_size": 32, "lr": 0.1, "lr_decay_at": None, "stats_every": 10,
                          **overrides})


def alone(config: DeepMLPConfig, data, steps: int, **train) -> torch.Tensor:
    """The loss curve of a run trained by itself, nothing else in the process training."""
    trainer = build_trainer(config, page_train_config(**train), data, LECTURE_SEED)
    trainer.advance(steps)
    return trainer.loss_history.values


@pytest.mark.slow
def test_two_sessions_training_at_once_get_the_curves_they_get_alone(default_data):
    a = open_page(PAGE)
    b = open_page(PAGE, diag_width=50, diag_gain=2.0, diag_batch_size=16)
    for _ in range(2):  # interleaved, as two students' ticks are on one server
        a = press_step(a, "diag_step100")
        b = press_step(b, "diag_step100")
    trainer_a, trainer_b = (s.session_state["diag_run"].trainer for s in (a, b))
    assert trainer_a.model is not trainer_b.model and trainer_a.g is not trainer_b.g
    assert torch.equal(trainer_a.loss_history.values, alone(DeepMLPConfig(), default_data, 200))
    b_alone = alone(DeepMLPConfig(n_hidden=50, gain=2.0), default_data, 200, batch_size=16)
    assert torch.equal(trainer_b.loss_history.values, b_alone)
    assert len(a.session_state["runs"]) == 1 and len(b.session_state["runs"]) == 1  # each sees its own run only
    assert set(a.session_state["runs"]).isdisjoint(b.session_state["runs"])


def test_trainers_in_concurrent_threads_match_their_solo_runs(default_data):
    """The server runs each session's script in its own thread: no shared RNG or buffer between them."""
    configs = [DeepMLPConfig(n_hidden=32, n_layers=2), DeepMLPConfig(n_hidden=24, n_layers=3, batchnorm=False)]
    solo = [alone(config, default_data, 150) for config in configs]
    trainers = [build_trainer(config, page_train_config(), default_data, LECTURE_SEED) for config in configs]
    threads = [threading.Thread(target=lambda t=t: [t.advance(10) for _ in range(15)]) for t in trainers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for trainer, values in zip(trainers, solo):
        assert torch.equal(trainer.loss_history.values, values)


# ------------------------------------------------------------------------------------ module state
def mutable_module_names(tree: ast.Module) -> set[str]:
    """Names a module binds, at its top level, to a dict/list/set (literal, comprehension or constructor)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        container = isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)) or (
            isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", "")) in CONTAINER_CALLS)
        if container:
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _named(node: ast.AST) -> str | None:
    """'X' for `X` or `module.X`."""
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def runtime_mutations(tree: ast.Module) -> set[tuple[ast.AST, str, int]]:
    """(target node, name, line) of every in-place change made inside a function (so while serving, not
    at import): X.append(...), X[k] = v, X[k] += v, del X[k]; and `global X`."""
    found = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATING_METHODS:
                found.add((node.func.value, _named(node.func.value), node.lineno))
            targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete)) else
                       [node.target] if isinstance(node, ast.AugAssign) else [])
            found |= {(t.value, _named(t.value), node.lineno) for t in targets if isinstance(t, ast.Subscript)}
            if isinstance(node, ast.Global):
                found |= {(node, name, node.lineno) for name in node.names}
    return {item for item in found if item[1]}


def shared_state_mutations(modules: dict[str, str], shared: set[str]) -> list[str]:
    """'file:line NAME' wherever a function changes a module-level container of a module in `shared` (such a
    container is one object for every session): through its own name, an imported name or `module.NAME`."""
    trees = {path: ast.parse(source) for path, source in modules.items()}
    containers = {name for path in shared for name in mutable_module_names(trees[path])}
    found = []
    for path, tree in trees.items():
        own = mutable_module_names(tree) if path in shared else set()
        imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for alias in node.names}
        for target, name, line in runtime_mutations(tree):
            visible = own | (imported & containers) if not isinstance(target, ast.Attribute) else containers
            if name in visible or (isinstance(target, ast.Global) and path in shared):
                found.append(f"{path}:{line} {name}")
    return sorted(found)


def test_the_scanner_finds_a_mutated_registry():
    modules = {"registry.py": "RUNS = {}\nNAMES = []\nNAMES.append('import time is fine')\n"
                              "def keep(run):\n    RUNS[run.id] = run\n    global COUNT\n",
               "page.py": "import registry\nfrom registry import RUNS\ndef f(runs):\n    registry.NAMES.append('x')\n"
                          "    RUNS.pop('a')\n    runs['b'] = 1\n"}
    assert shared_state_mutations(modules, {"registry.py"}) == [
        "page.py:4 NAMES", "page.py:5 RUNS", "registry.py:5 RUNS", "registry.py:6 COUNT"]


def test_no_code_changes_module_level_state_while_serving():
    modules = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in ALL_CODE}
    shared = {str(path.relative_to(ROOT)) for path in SHARED_CODE}
    changes = shared_state_mutations(modules, shared)
    assert not changes, f"module-level containers are shared by every session (use st.session_state): {changes}"


def test_cache_resource_holds_only_read_only_objects():
    """st.cache_resource hands every session the same object: each use must be on the read-only list."""
    uses = set()
    for path in ALL_CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any("cache_resource" in ast.unparse(d) for d in node.decorator_list):
                    uses.add(f"{path.relative_to(ROOT)}: {node.name}")
    assert uses <= READ_ONLY_RESOURCES, f"review and list as read-only, or use st.cache_data: {uses - READ_ONLY_RESOURCES}"


@pytest.mark.slow
def test_the_app_shares_the_cpu_between_sessions_from_startup():
    """Every page calls page_setup first; a server process that has run a page trains on one torch thread per
    operation and switches the GIL quickly (a training thread gets it back soon from a session drawing charts)."""
    probe = ("import sys, torch; torch.set_num_threads(4); from streamlit.testing.v1 import AppTest; "
             "AppTest.from_file('pages/0_Data.py', default_timeout=120).run(); "
             "print(torch.get_num_threads(), sys.getswitchinterval())")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    threads, interval = proc.stdout.split()[-2:]
    assert threads == "1" and float(interval) <= 0.001
    pages = [p for p in ALL_CODE if p.parent.name == "pages" or p.name == "streamlit_app.py"]
    for page in pages:  # page_setup comes before anything the page draws
        code = page.read_text(encoding="utf-8")
        assert "page_setup(" in code and code.index("page_setup(") < code.index("\nst."), page.name
