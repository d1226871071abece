"""Part 4's computation graph: its edges are chunked_forward's dependencies, its red nodes the check's failures,
its DOT well formed, and the walk-through a valid backward order."""
import re
from dataclasses import replace

import pytest
import torch

from makemore.charts.backprop import VERDICT_COLORS
from makemore.charts.backprop_graph import HIGHLIGHT, backprop_graph, short_sci
from makemore.lessons import backprop_graph as bg
from makemore.lessons.backprop import CHECK_ORDER, MISTAKES, STEPS, chunked_forward, gradcheck
from makemore.models import build_model
from makemore.presets import PRESETS
from makemore.training.by_hand import mlp_parameters

NODE = re.compile(r'^\s*"(?P<name>[^"]+)" \[(?P<attrs>.*)\];$')
EDGE = re.compile(r'^\s*"(?P<source>[^"]+)" -> "(?P<target>[^"]+)" \[(?P<attrs>.*)\];$')
ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[\w.#]+)')


@pytest.fixture(scope="module")
def part4(default_data):
    model = build_model(replace(PRESETS["backprop"].model, vocab_size=27), torch.Generator().manual_seed(2147483647))
    X, Y = default_data.windows("train", 3)
    ix = torch.randint(0, X.shape[0], (32,), generator=torch.Generator().manual_seed(1))
    return model, X[ix], Y[ix]


def parse(dot: str) -> tuple[dict, list]:
    """The DOT's nodes {name: attrs} and edges [(source, target, attrs)], checking every line is one of
    the statements the builder writes and the braces balance."""
    nodes, edges, depth = {}, [], 0
    lines = dot.splitlines()
    assert lines[0] == "digraph backprop {" and lines[-1] == "}"
    for line in lines[1:-1]:
        depth += line.count("{") - line.count("}")
        assert depth >= 0, line
        if match := EDGE.match(line):
            edges.append((match["source"], match["target"], attributes(match["attrs"])))
        elif match := NODE.match(line):
            assert match["name"] not in nodes, line
            nodes[match["name"]] = attributes(match["attrs"])
        else:
            assert re.match(r'^\s*(graph|node|edge) \[.*\];$|^\s*subgraph "cluster_[^"]+" \{$|^\s*label=.*;$|^\s*\}$',
                            line), line
    assert depth == 0
    return nodes, edges


def attributes(text: str) -> dict:
    pairs = ATTR.findall(text)
    assert ", ".join(f"{k}={v}" for k, v in pairs) == text  # nothing the pattern did not account for
    return {key: value.strip('"') for key, value in pairs}


def dot_for(part4, mistake=None, highlight=None):
    model, Xb, Yb = part4
    table = gradcheck(model, Xb, Yb, mistake)
    return table, backprop_graph(bg.graph_nodes(table, Xb, Yb), bg.edges(), highlight)


def test_the_dot_is_well_formed_and_every_checked_tensor_is_a_node_with_its_shape(part4):
    table, dot = dot_for(part4)
    nodes, edges = parse(dot)
    assert set(CHECK_ORDER) <= set(nodes) and set(nodes) == set(CHECK_ORDER) | {"Xb", "Yb", "loss"}
    assert {(s, t) for s, t, _ in edges} == {(s, t) for s, t in zip(bg.edges()["source"], bg.edges()["target"])}
    for row in table.itertuples():
        assert nodes[row.tensor]["label"].startswith(f"{row.tensor} {row.shape}\\n"), row.tensor
        assert f"max |grad| {short_sci(row.grad_max)}" in nodes[row.tensor]["label"]
    assert nodes["Xb"]["label"].startswith("Xb (32, 3)") and nodes["Yb"]["label"].startswith("Yb (32,)")
    ops = [attrs["label"].strip() for _, _, attrs in edges if attrs["label"]]
    assert len(ops) == len(bg.OPERATIONS)  # each operation written once


@pytest.mark.parametrize("mistake", [None, *MISTAKES])
def test_the_red_nodes_are_the_check_tables_failures_and_the_error_travels_along_edges(part4, mistake):
    table, dot = dot_for(part4, mistake)
    nodes, edges = parse(dot)
    red = {name for name, attrs in nodes.items() if attrs["fillcolor"] == VERDICT_COLORS["wrong"]}
    assert red == set(table.loc[~table["approximate"], "tensor"])
    assert all(("✗ wrong" in attrs["label"]) == (name in red) for name, attrs in nodes.items())
    # one red node is where the mistake is made (no step that reads it is wrong); every other is read by a red one
    origins = [name for name in red if not set(bg.readers(name)) & red]
    assert len(origins) == (0 if mistake is None else 1), origins
    # the error travels back from a red result to a red input, and out of the origin along its own steps
    assert {(s, t) for s, t, attrs in edges if attrs.get("color") == VERDICT_COLORS["wrong"]} == \
        {(s, t) for s, t, _ in edges if s in red and (t in red or s in origins)}
    if mistake == "forget_bessel":  # the wrong dbndiff sums to zero over the batch: dbnmeani and dbnraw stay right
        assert {("bndiff", "bnraw"), ("hprebn", "bnmeani")} <= {(s, t) for s, t, attrs in edges if s in red
                                                               and attrs.get("color") != VERDICT_COLORS["wrong"]}


def test_the_edges_are_the_dependencies_of_chunked_forward(part4):
    model, Xb, Yb = part4
    p = {k: v.detach().clone().requires_grad_(True) for k, v in mlp_parameters(model).items()}
    t = chunked_forward(p, Xb, Yb)
    named = {t[name].grad_fn: name for name in t}
    leaves = {id(v): k for k, v in p.items()}
    found = set()
    for name, value in t.items():  # walk autograd's graph back from each result to the named tensors it reads
        todo = [fn for fn, _ in value.grad_fn.next_functions]
        while todo:
            fn = todo.pop()
            if fn is None:
                continue
            if fn in named:
                found.add((named[fn], name))
            elif hasattr(fn, "variable"):
                found.add((leaves[id(fn.variable)], name))
            else:
                todo += [f for f, _ in fn.next_functions]
    # the minibatch has no gradient: what changes when it changes is what reads it (and what follows)
    changed_by = {}
    for data, other in (("Xb", (Xb.roll(1, 0), Yb)), ("Yb", (Xb, Yb.roll(1, 0)))):
        moved = chunked_forward(p, *other)
        changed_by[data] = {name for name in t if not torch.equal(moved[name], t[name])}
    for data, changed in changed_by.items():
        first = {name for name in changed if not any(s in changed for s, tgt in found if tgt == name)}
        found |= {(data, name) for name in first}
    assert found == {(s, t) for s, t in zip(bg.edges()["source"], bg.edges()["target"])}
    assert changed_by["Yb"] == {"loss"}


def test_the_walk_visits_every_gradient_after_the_steps_it_sums():
    walk = bg.backward_walk()
    assert list(walk["tensor"]) == ["loss", *CHECK_ORDER] and list(walk["step"]) == list(range(len(walk)))
    seen = set()
    for row in walk.itertuples():
        assert set(row.sources) <= seen, row.tensor
        assert set(row.sources) == set(bg.readers(row.tensor))
        seen.add(row.tensor)
    sentence = walk.set_index("tensor").loc["hprebn", "sentence"]
    assert "2 uses" in sentence and STEPS["bnmeani"][1] in sentence and STEPS["bndiff"][1] in sentence


def test_the_highlighted_step_is_outlined_with_the_gradients_it_sums(part4):
    _, dot = dot_for(part4, highlight="counts")
    nodes, edges = parse(dot)
    assert nodes["counts"]["color"] == HIGHLIGHT and "penwidth" in nodes["counts"]
    assert all("penwidth" not in attrs for name, attrs in nodes.items() if name != "counts")
    blue = {t for s, t, attrs in edges if attrs.get("color") == HIGHLIGHT}
    assert blue == {"probs", "counts_sum"} == set(bg.readers("counts"))


def test_short_scientific_labels():
    assert [short_sci(v) for v in (0.0, 3.14e-3, 1.0, 7.159, 1.02e-8)] == ["0", "3.1e-3", "1.0e0", "7.2e0", "1.0e-8"]
