"""What the views inside the network (issue 19) cost per redraw, against the live diagnostics page's own redraw.

    python benchmarks/inside_views_speed.py [--repeats 20]

For the deep net (5 x 100, part 3) and part 3's MLP after a few hundred steps: the time of the page's
current redraw (`ui.panels.diagnostics.draw`, Streamlit's bare mode: every element built, nothing sent),
then of each new view from its snapshot to the element Streamlit would send (data, chart, `st.altair_chart`
or `st.graphviz_chart`), as a median and as a share of that redraw. The weights view and the embedding
plot run on every redraw; the neuron view when a layer or unit is picked (its context pass once per
picked layer and step, the rest per unit); the graph when part 4's page reruns. One torch thread.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st  # noqa: E402
import torch  # noqa: E402

from makemore.charts.backprop_graph import backprop_graph  # noqa: E402
from makemore.charts.mlp import embedding_chart  # noqa: E402
from makemore.charts.neurons import neuron_contexts_chart, neuron_histogram_chart  # noqa: E402
from makemore.charts.weights import weight_heatmaps  # noqa: E402
from makemore.data import load_data  # noqa: E402
from makemore.lessons import backprop, backprop_graph as graph, neurons  # noqa: E402
from makemore.lessons.mlp import embedding_frame, grown_extent  # noqa: E402
from makemore.models import DeepMLPConfig  # noqa: E402
from makemore.presets import LECTURE_SEED, PRESETS  # noqa: E402
from makemore.stats import weights  # noqa: E402
from makemore.training import TrainConfig, build_trainer  # noqa: E402
from ui import live  # noqa: E402
from ui.panels import diagnostics as diagnostics_panel  # noqa: E402
from ui.export import unchecked  # noqa: E402


def median_ms(action, repeats: int) -> float:
    action()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def weights_view(trainer, scales: dict, names=None) -> None:
    scales.update(weights.grown_scales(trainer.snapshot, scales))
    st.altair_chart(unchecked(weight_heatmaps(weights.weight_frame(trainer.snapshot, scales, names))))


def embedding_view(trainer, itos) -> None:
    frame, axis = embedding_frame(trainer.model.C, itos)
    st.altair_chart(unchecked(embedding_chart(frame, axis, extent=grown_extent(frame))))


def neuron_unit(ca, unit: int) -> None:
    st.altair_chart(unchecked(neuron_contexts_chart(neurons.top_contexts(ca, unit))))
    st.altair_chart(unchecked(neuron_histogram_chart(neurons.unit_histogram(ca, unit), unit)))
    neurons.unit_summary(ca, unit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # Streamlit's bare mode warns about the missing runtime at every element
    torch.set_num_threads(1)
    data = load_data()
    config = TrainConfig(steps=10**9, lr_decay_at=None, stats_every=10)
    rows = []
    for name, model_config in (("deep net 5 x 100", DeepMLPConfig()), ("part 3's MLP", PRESETS["mlp-bn"].model)):
        trainer = build_trainer(model_config, config, data, LECTURE_SEED)
        trainer.advance(300, snapshot_last=True)
        run = live.LiveRun(trainer, {}, "bench", name, "benchmark", "shipped names", LECTURE_SEED, 0)
        redraw = median_ms(lambda: diagnostics_panel.draw(run, "bench"), args.repeats)
        last = [p.name for p in weights.matrices(trainer.snapshot)][-1]
        layer = [r.index for r in trainer.snapshot.layers if r.dead is not None][-1]
        context_pass = median_ms(lambda: neurons.context_activations(trainer.model, data, layer), max(3, args.repeats // 4))
        ca = neurons.context_activations(trainer.model, data, layer)
        rows += [(name, "diagnostics page redraw now (baseline)", redraw, redraw),
                 (name, "weights view, every matrix (per redraw)", median_ms(lambda: weights_view(trainer, {}), args.repeats), redraw),
                 (name, f"weights view, one matrix: {last} (per redraw)",
                  median_ms(lambda: weights_view(trainer, {}, [last]), args.repeats), redraw),
                 (name, "embedding plot (per redraw)", median_ms(lambda: embedding_view(trainer, data.vocab.itos),
                                                                 args.repeats), redraw),
                 (name, f"neurons: context pass, layer {layer} (once per layer and step)", context_pass, redraw),
                 (name, "neurons: interesting units (once per layer and step)",
                  median_ms(lambda: neurons.interesting_units(ca), args.repeats), redraw),
                 (name, "neurons: one unit's contexts, histogram, summary", median_ms(lambda: neuron_unit(ca, 3), args.repeats),
                  redraw)]
    model, Xb, Yb = backprop.lecture_batch(PRESETS["backprop"].model, data, LECTURE_SEED)

    def graph_view():
        table = backprop.gradcheck(model, Xb, Yb, "forget_bessel")
        st.graphviz_chart(backprop_graph(graph.graph_nodes(table, Xb, Yb), graph.edges(), "hprebn"))
    rows.append(("part 4's MLP", "gradient check + computation graph (per rerun)", median_ms(graph_view, args.repeats),
                 float("nan")))
    print("| network | view | median ms | share of the page's redraw |\n| --- | --- | ---: | ---: |")
    for network, view, ms, baseline in rows:
        share = "" if baseline != baseline else f"{ms / baseline:.2f}"
        print(f"| {network} | {view} | {ms:.1f} | {share} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
