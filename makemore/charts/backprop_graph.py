"""Part 4's forward pass as a computation graph: DOT source for `st.graphviz_chart` (drawn in the browser).

Each tensor is a node filled by its gradient check (the colours of the check's bar chart, and a mark for
anyone who cannot tell them apart), labelled with its shape and the size of its gradient; each step of
the forward pass is an edge from an input to the result, labelled with the operation. An edge is drawn
red where the error travels back along it: from a wrong result to a wrong input, and out of the tensor
where the mistake is made (no step that reads it is wrong: its own backward step is the mistake). A wrong
tensor's edge to a right one stays grey (the error sums to nothing there, e.g. a mean over the batch).
"""
from __future__ import annotations

import pandas as pd

from .backprop import VERDICT_COLORS, verdict_labels

MARKS = {"exact": "✓ exact", "approximate": "≈ approximate", "wrong": "✗ wrong"}
HIGHLIGHT = "#0072B2"  # Okabe-Ito blue: the walk-through's current tensor and the gradients it sums
NEUTRAL = "#e0e0e0"  # the loss: its gradient is 1 by definition, nothing to check
STAGE_ORDER = ["embedding", "linear 1", "BatchNorm", "tanh", "linear 2", "softmax", "loss"]
SHAPES = {"data": 'shape=box, style="dashed"', "parameter": 'shape=box, style="filled"',
          "intermediate": 'shape=ellipse, style="filled"', "loss": 'shape=ellipse, style="filled", peripheries=2'}


def short_sci(value: float) -> str:
    """3.1e-3 rather than 3.1e-03 (labels in a graph are read at a glance)."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def backprop_graph(nodes: pd.DataFrame, edges: pd.DataFrame, highlight: str | None = None,
                   rankdir: str = "TB") -> str:
    """DOT source of the graph, its stages as boxes.

    nodes: tensor, kind (data / parameter / intermediate / loss), stage, forward, shape, exact, approximate,
    maxdiff, grad_max (as lessons.backprop_graph.graph_nodes returns). edges: source, target, op.
    highlight: a tensor drawn in blue, with the edges its gradient comes back along (the walk's step).
    """
    checked = nodes[nodes["kind"] != "data"]
    verdict = dict(zip(checked["tensor"], verdict_labels(checked)))
    lines = ["digraph backprop {",
             f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=11, nodesep=0.3, ranksep=0.32, '
             'bgcolor="transparent"];',
             '  node [fontname="Helvetica", fontsize=10, color="#444444", fillcolor="white", margin="0.08,0.03"];',
             '  edge [fontname="Helvetica", fontsize=10, color="#777777", fontcolor="#444444", arrowsize=0.6];']
    for row in nodes[nodes["kind"] == "data"].itertuples():
        lines.append(_node(row, None, row.tensor == highlight))
    for stage in STAGE_ORDER:
        members = checked[checked["stage"] == stage]
        if members.empty:
            continue
        lines.append(f'  subgraph {_quote("cluster_" + stage)} {{')
        lines.append(f'    label={_quote(stage)}; style="rounded,dashed"; color="#bbbbbb"; fontcolor="#666666";')
        lines += ["  " + _node(row, verdict[row.tensor], row.tensor == highlight) for row in members.itertuples()]
        lines.append("  }")
    labelled = set(edges.drop_duplicates("target").index)  # the op is written once, on the main input's edge
    wrong = {name for name, v in verdict.items() if v == "wrong"}
    read_by_wrong = set(edges.loc[edges["target"].isin(wrong), "source"])
    for index, edge in edges.iterrows():
        travelled = edge.source in wrong and (edge.target in wrong or edge.source not in read_by_wrong)
        lines.append(_edge(edge, index in labelled, travelled, edge.source == highlight))
    lines.append("}")
    return "\n".join(lines)


def _node(row, verdict: str | None, highlighted: bool) -> str:
    if row.kind == "data":
        text, fill = f"{row.tensor} {row.shape}\nintegers: no gradient", "white"
    elif row.kind == "loss":
        text, fill = f"{row.tensor}\nd loss / d loss = 1", NEUTRAL
    else:
        text, fill = f"{row.tensor} {row.shape}\n{MARKS[verdict]}\nmax |grad| {short_sci(row.grad_max)}", \
            VERDICT_COLORS[verdict]
    tooltip = f"{row.tensor} = {row.forward}"
    if verdict is not None and row.kind != "loss":
        tooltip += f"; largest |hand-written − autograd| = {row.maxdiff:.3g}"
    attributes = [SHAPES[row.kind], f"label={_quote(text)}", f"fillcolor={_quote(fill)}", f"tooltip={_quote(tooltip)}"]
    if highlighted:
        attributes += [f"color={_quote(HIGHLIGHT)}", "penwidth=3"]
    return f"  {_quote(row.tensor)} [{', '.join(attributes)}];"


def _edge(edge, labelled: bool, wrong: bool, highlighted: bool) -> str:
    attributes = [f"label={_quote(' ' + edge.op + ' ' if labelled else '')}"]
    if highlighted:
        attributes += [f"color={_quote(HIGHLIGHT)}", f"fontcolor={_quote(HIGHLIGHT)}", "penwidth=2.5"]
    elif wrong:
        attributes += [f"color={_quote(VERDICT_COLORS['wrong'])}", "penwidth=2"]
    return f"  {_quote(edge.source)} -> {_quote(edge.target)} [{', '.join(attributes)}];"


def _quote(text: str) -> str:
    """A DOT string: quotes and backslashes escaped, line breaks as DOT's centred \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
