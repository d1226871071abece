"""The guided walk-throughs' stops, page by page (see ui/walkthrough.py)."""
from __future__ import annotations

from dataclasses import replace

from makemore.lessons import activations
from makemore.lessons.wavenet import LECTURE_LOG, LogStep, layer_table
from makemore.presets import PRESETS
from ui.panels.deep_net_controls import (
    BATCHNORM,
    BLOCK_SIZE,
    DEEP,
    KAIMING,
    KAIMING_TANH,
    N_EMBD,
    OUTPUT_FIXED,
    RAW,
    TANH_FIXED,
    setup_values,
)
from ui.walkthrough import Stop


HOCKEY_WINDOW = 25  # steps each of the hockey stick's quoted mean losses averages


def diagnostics_tour(prefix: str, run) -> list[Stop]:
    """Lecture 3's story at the lecture's own stops: part 3's MLP fixed one step at a time, then the deep net.
    Every number is the page's run's (`run`: the ui.live.LiveRun the page shows), said once it shows it."""
    f = activations.run_facts(run.trainer)
    mlp_fan_in = BLOCK_SIZE * N_EMBD
    return [
        Stop("Why is the first loss so high?", "Part 2's MLP as it was: every parameter straight from `randn`. "
             "Press **Step 1**." + _first_loss(f), setup_values(prefix, RAW)),
        Stop("The hockey stick", "Press **Step 1,000** (or Train, then Pause)." + _hockey(run.trainer, f),
             setup_values(prefix, RAW)),
        Stop("Fix the output layer: W2 × 0.01, b2 × 0", "Small output weights and no output bias: the logits "
             "start near 0, every character about equally likely. Press **Step 1**." + _output_fixed(f),
             setup_values(prefix, OUTPUT_FIXED)),
        Stop("Fix the tanh layer: W1 × 0.2, b1 × 0.01", "Smaller weights into tanh pull its inputs out of the "
             "flat tails. Press **Step 1**." + _spread(f), setup_values(prefix, TANH_FIXED)),
        Stop("Kaiming init: W1 × (5/3)/√fan_in", f"0.2 was found by trying; Kaiming's rule derives the scale: "
             f"tanh's gain 5/3 over √fan_in = √{mlp_fan_in}, W1 × {KAIMING_TANH / mlp_fan_in ** 0.5:.3f}: more "
             "than 0.2, so more units saturate, but a rule that fits any layer's size. "
             "Press **Step 1**." + _spread(f), setup_values(prefix, KAIMING)),
        Stop("BatchNorm", "BatchNorm standardizes each pre-activation over the batch, then scales and shifts it "
             "by its learned gain and bias; b1 is gone (subtracting the batch mean cancels any bias). Press "
             "**Step 1**." + _spread(f) + " Then move the **W1 gain** to 0.5 or 3 and press Step 1 again: what "
             "reaches tanh hardly changes. That robustness is why BatchNorm made deep nets trainable.",
             setup_values(prefix, BATCHNORM)),
        Stop("Five layers without BatchNorm", "The deep net: five tanh layers of 100 at gain 5/3, no BatchNorm. "
             "Press **Step 1**." + _layers(f) + " Now try gain 1 (the activations shrink layer by layer) or 3 "
             "(they saturate), pressing Step 1 after each change.",
             setup_values(prefix, DEEP, batchnorm=False, gain=KAIMING_TANH)),
        Stop("The lecture's deep net, diagnosed", "Press **Step 1,000**, then **Step 1**: the tables show "
             "step 1,000's batch, which the lecture printed; with its seed and names.txt they are its printout."
             + _printout(f) + " Move the learning rate to 10^-2 and train on: each step is ten times smaller "
             "and the update:data lines drop by about one.", setup_values(prefix, DEEP)),
    ]


def _batch(f: activations.RunFacts) -> str:
    return "" if f.snapshot_step == 0 else f" (the batch of step {f.snapshot_step:,})"


def _first_loss(f: activations.RunFacts) -> str:
    if f.first_loss is None:
        return ""
    text = (f" The first loss is **{f.first_loss:.2f}**, {f.above_uniform:.1f} times a uniform guess's (the red "
            f"dashed line, -ln(1/{f.vocab}) = {f.uniform:.2f}).")
    if f.mean_top_prob is not None:
        text += (f" The logits reach ±{f.max_logit:.0f}{_batch(f)}, so the softmax is sure of itself: its top "
                 f"guess gets {f.mean_top_prob:.0%} on average, and the right character mostly next to nothing.")
    return text


def _hockey(trainer, f: activations.RunFacts) -> str:
    means = {step: activations.mean_loss_before(trainer.loss_history, step, HOCKEY_WINDOW) for step in (100, 1000)}
    if f.first_loss is None or means[100] is None:
        return ""
    text = (f" From a first loss of {f.first_loss:.1f}, the mean loss of the {HOCKEY_WINDOW} steps before step 100 "
            f"is {means[100]:.1f}")
    if means[1000] is not None:
        text += f" and before step 1,000 {means[1000]:.2f}"
    last = means[1000] if means[1000] is not None else means[100]
    above = f", still above the {f.uniform:.2f} a good init starts from" if last > f.uniform else ""
    return (text + f": a steep fall while the net shrinks its logits, then slow progress{above}. A hockey stick: "
            "those first steps only undo the init.")


def _output_fixed(f: activations.RunFacts) -> str:
    text = "" if f.first_loss is None else \
        f" The first loss is **{f.first_loss:.4f}**; a uniform guess's is {f.uniform:.4f}: no hockey stick."
    if f.white_pct:
        text += (f" But the **Saturation image** is {f.white_pct[0]:.0f}% white{_batch(f)}: that share of the tanh "
                 "outputs lie beyond ±0.99, where tanh is flat and passes almost no gradient back")
        text += (f"; {f.dead[0]} of the {f.width} neurons are white for every example and learn nothing from "
                 "this batch." if f.dead[0] else ". No neuron is white for every example, but most learn slowly.")
    return text


def _spread(f: activations.RunFacts) -> str:
    if not f.white_pct or not f.preact_std:
        return ""
    return (f" What enters tanh has std {f.preact_std[0]:.2f}{_batch(f)}, {f.white_pct[0]:.1f}% of the tanh outputs "
            f"are white in the saturation image, and the first loss is {f.first_loss:.4f}.")


def _layers(f: activations.RunFacts) -> str:
    if len(f.act_std) < 2 or len(f.grad_std) < 2:
        return ""
    return (f" From the first tanh layer to the last{_batch(f)}, the activations' std goes {f.act_std[0]:.2f} → "
            f"{f.act_std[-1]:.2f} and the gradients' {f.grad_std[0]:.1e} → {f.grad_std[-1]:.1e}: similar spreads "
            "in every layer.")


def _printout(f: activations.RunFacts) -> str:
    if not f.saturated_pct:
        return ""
    text = (f" This page, step {f.snapshot_step:,}'s batch: saturation {min(f.saturated_pct):.2f}-"
            f"{max(f.saturated_pct):.2f} % (|t| > 0.97), gradient std {min(f.grad_std):.2e}-{max(f.grad_std):.2e}.")
    if f.weight_ud is not None:
        text += (f" The weights' update:data ratios are 10^{f.weight_ud[0]:.1f} to 10^{f.weight_ud[1]:.1f} (the "
                 "dashed guide: 10^-3).")
    return text


def bigram_tour() -> list[Stop]:
    """Lecture 1: counting, smoothing, the trigram, the neural bigram that learns the same table, samples."""
    nn = PRESETS["bigram-nn"]
    lecture = PRESETS["bigram"].model.smoothing
    counts = {"bigram_smoothing": lecture}
    neural = {"bigram_lr": nn.train.lr, "bigram_reg": nn.model.regularization, "bigram_steps": nn.train.steps}
    none, much, strong = 0.0, 100.0, 1.0
    return [
        Stop("Count the pairs", "Open **The data set** page first to see the count matrix. Here, P = "
             f"(N + {lecture:g}) row-normalized: the table scores every name by the mean negative log likelihood of "
             "its pairs; on the lectures' names.txt, counted and scored on all words as the lecture did, 2.4544. A uniform guess "
             "scores ln 27 ≈ 3.30 there.", counts),
        Stop("No smoothing", f"Smoothing {none:g}: the dev and test NLL become **infinite**. One pair that never "
             "occurred in the training words gets probability 0, and log 0 = -∞. That is why the lecture adds "
             f"{lecture:g} to every count.", {"bigram_smoothing": none}),
        Stop("Too much smoothing", f"Smoothing {much:g}: every row flattens towards a uniform guess, and both train "
             "and dev NLL rise. Exercise 3's chart shows the sweet spot in between (lowest dev NLL).",
             {"bigram_smoothing": much}),
        Stop("The trigram", f"Back to smoothing {lecture:g}. The trigram row reads two characters instead of one: its "
             "dev NLL is lower (exercise 1). More context helps, but its table grows with the cube of the "
             "vocabulary: the next lecture's MLP avoids that.", counts),
        Stop("Train the neural bigram", "Press **Train** under The neural bigram. One-hot(previous) @ W, trained by "
             f"gradient descent with lr {nn.train.lr:g} for {nn.train.steps:,} steps: on names.txt its training loss "
             f"(the chart: NLL + {nn.model.regularization:g} × mean(W²)) flattens near 2.48 and its NLL (the table) "
             "near 2.46, just above the counts, and the learned table on the left takes on the counted table's "
             "pattern.", {**counts, **neural}),
        Stop("Regularization is smoothing", f"Set the regularization to {strong:g} (a new network starts) and train: "
             "mean(W²) pulls W towards 0, i.e. towards equal probabilities, like adding many fake counts. Its NLL "
             "stays higher.", {**counts, **neural, "bigram_reg": strong}),
        Stop("Make more names", "Scroll to **Samples**: the counts and the trained net draw almost the same names "
             "for a seed. A bigram only knows one character back, so most names are poor; the MLP does better.",
             {**counts, **neural}),
    ]


def mlp_tour() -> list[Stop]:
    """Lecture 2: embeddings, the learning-rate finder, training, overfitting and the embedding plot."""
    m, t = PRESETS["mlp"].model, PRESETS["mlp"].train
    lecture = {"mlp_n_embd": m.n_embd, "mlp_block_size": m.block_size, "mlp_n_hidden": m.n_hidden,
               "mlp_batch_size": t.batch_size, "mlp_steps": t.steps, "mlp_lr": t.lr}
    start = {**lecture, "mlp_n_embd": 2, "mlp_n_hidden": 100}
    return [
        Stop("Two numbers per character", f"Embedding size {start['mlp_n_embd']}, as the lecture starts: each "
             "character is a point in the plane. Press **Step 1,000** a few times and watch the embedding plot: "
             "vowels drift together.", start),
        Stop("Find the learning rate", "Press **Run the finder**: 1,000 steps with the learning rate rising from "
             "10⁻³ to 1. The loss falls faster as lr grows, bottoms out, then explodes. The shaded valley's left "
             "edge (about 0.1 on names.txt) is the lecture's choice.", lecture),
        Stop("Train the lecture's network", f"The lecture's setup: {m.n_embd}-d embeddings, context {m.block_size}, "
             f"{m.n_hidden} tanh units, batch {t.batch_size}, lr {t.lr:g} then {t.lr * 0.1:g}. Press **Train**: the "
             "loss starts far above the red line of a uniform guess (an untuned init: lecture 3 fixes it), plunges, "
             "then falls slowly; the dev dots end well below the bigram's.", lecture),
        Stop("Minibatches", "Batch size 1 makes every step noisy; 512 makes it smooth but slow. "
             f"{t.batch_size} is the lecture's trade-off: many cheap, approximate steps beat a few exact ones.",
             {**lecture, "mlp_batch_size": 1}),
        Stop("Overfitting", "Hidden size 500 and a small list: the train loss keeps falling while the dev dots "
             "flatten and rise. The gap between them is overfitting; the dev split is what tells you.",
             {**lecture, "mlp_n_hidden": 500}),
    ]


def backprop_tour() -> list[Stop]:
    """Lecture 4: backpropagating by hand, the one-go formulas, and mistakes that the check catches."""
    return [
        Stop("Every gradient by hand", "The table compares each intermediate tensor's hand-written gradient with "
             "autograd's, in the lecture's order: all rows pass. Down to W2 and b2 they are autograd's bit for "
             "bit; from tanh's backward on, torch 2's fused kernel rounds differently, so those agree only to "
             "rounding (the caption under the table says how closely).", {"backprop_mistake": "none"}),
        Stop("Forget Bessel's correction", "The BatchNorm variance used n-1 in the forward pass; dividing by n in "
             "the backward one is a classic slip. The check turns red at bndiff2, where the slip is, and at the "
             "tensors computed from it on the way back: bndiff, hprebn, embcat, W1, emb and C. Two stay green: "
             "bnmeani, because the slip adds to dbndiff a term proportional to bndiff, which sums to zero over the "
             "batch; and b1, whose gradient BatchNorm makes zero either way (subtracting the mean cancels any "
             "bias).", {"backprop_mistake": "forget_bessel"}),
        Stop("Drop the broadcasting sum", "counts_sum was broadcast over every column in the forward pass, so its "
             "gradient must be summed back. Forget that and the error starts right at counts.",
             {"backprop_mistake": "drop_broadcast_sum"}),
        Stop("A wrong transpose", "The shapes still fit, so nothing crashes, but dh is wrong and so is every "
             "gradient computed from it (b1's aside: BatchNorm makes it zero either way). Only a gradient check "
             "finds this kind of bug.", {"backprop_mistake": "wrong_transpose"}),
        Stop("Train without autograd", "Back to no mistake. Press **Train** at the bottom: the hand-written "
             "backward pass and its autograd twin start from the same init and see the same batches; their loss "
             "curves lie on top of each other.", {"backprop_mistake": "none"}),
    ]


def wavenet_tour() -> list[Stop]:
    """Lecture 5's performance log, stop by stop: context, hierarchy, the BatchNorm bug, scaling up."""
    def config(step: LogStep) -> dict:
        c = step.config
        return {"wavenet_block_size": c.block_size, "wavenet_levels": len(c.groups), "wavenet_n_embd": c.n_embd,
                "wavenet_n_hidden": c.n_hidden, "wavenet_bn_bug": c.bn_dim0_bug}

    def params(step: LogStep) -> int:
        return int(layer_table(replace(step.config, vocab_size=27))["params"].sum())

    flat3, flat8, tree, fixed, big = LECTURE_LOG
    steps = PRESETS["wavenet"].train.steps
    return [
        Stop("Where part 3 ended", f"Context {flat3.config.block_size}, one flat layer of {flat3.config.n_hidden}: "
             f"the lecture's starting point (train {flat3.train}, dev {flat3.dev}). Look at the layer table: the "
             f"flat net squashes all {flat3.config.block_size} characters in one Linear.", config(flat3)),
        Stop(f"More context: {flat3.config.block_size} → {flat8.config.block_size}", f"{flat8.config.block_size} "
             f"characters, still flat: the lecture's first win (dev {flat8.dev}). But the first Linear now sees "
             f"{flat8.config.block_size * flat8.config.n_embd} numbers at once.", config(flat8)),
        Stop("Flat → hierarchical", f"{len(tree.config.groups)} levels of FlattenConsecutive("
             f"{tree.config.groups[0]}): pairs, then pairs of pairs. With {tree.config.n_hidden} units it has "
             f"{params(tree):,} parameters, the flat net's {params(flat8):,} give or take. The tree below shows "
             "which characters each unit sees. (This stop keeps the lecture's BatchNorm bug on.)", config(tree)),
        Stop("The BatchNorm bug", "With 3-D input, BatchNorm must average over batch *and* positions. The bug "
             "averaged over the batch only: look at the running mean's shape, one row per position. Fixed, dev "
             f"improves a little ({fixed.dev}).", config(fixed)),
        Stop("Scale up", f"{big.config.n_embd}-d embeddings and {big.config.n_hidden} units: {params(big):,} "
             f"parameters, the lecture's best (train {big.train}, dev {big.dev}) after {steps:,} steps. Train it "
             "and log it next to the others.", config(big)),
    ]
