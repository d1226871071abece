"""The guided walk-throughs' stops, page by page (see ui/walkthrough.py)."""
from __future__ import annotations

from ui.panels.deep_net_controls import KAIMING_TANH, setup_values
from ui.walkthrough import Stop


def diagnostics_tour(prefix: str) -> list[Stop]:
    """Lecture 3's story: hockey stick, saturated tanh, Kaiming gain, BatchNorm, deep-net diagnostics."""
    return [
        Stop("Why is the first loss about 27?", "Press **Step 1**. The first loss is far above the red dashed line, the loss of a uniform guess, "
             "-ln(1/27) ≈ 3.30. With raw `randn` weights the logits are huge: the net is confidently wrong "
             "about almost every character.", setup_values(prefix, "Broken init (hockey stick)")),
        Stop("The hockey stick", "Press **Step 1,000** (or Train). The loss plunges over the first hundred steps, "
             "which the net spends only shrinking its logits, then bends into slow progress: a hockey stick. "
             "Those steps are wasted training.", setup_values(prefix, "Broken init (hockey stick)")),
        Stop("Scale the output layer by 0.01", "Step once more: the first loss is now ≈ 3.3, no hockey stick. "
             "But look at the **Saturation image**: white cells everywhere and whole white columns. The tanh layer "
             "is saturated, and a saturated unit passes (almost) no gradient back: those neurons barely learn.",
             setup_values(prefix, "Output layer scaled down")),
        Stop("Kaiming init: gain 5/3 over √fan_in", "The weights are now `randn * (5/3) / sqrt(fan_in)`. Step: the "
             "pre-activations have std ≈ 1, the activation histogram spreads over (-1, 1), only a few percent "
             "saturate and the saturation image goes dark.", setup_values(prefix, "Kaiming gain 5/3")),
        Stop("BatchNorm", "BatchNorm standardizes each pre-activation over the batch. Step, then move the **Init "
             "gain** to 0.5 or 3 and step again: with BatchNorm the activations hardly change. That robustness is "
             "why it made deep nets trainable.", setup_values(prefix, "BatchNorm")),
        Stop("Five layers without BatchNorm", "Five tanh layers at gain 5/3: the activation and gradient "
             "histograms keep similar spreads in every layer. Now try gain 1 (the activations shrink layer by "
             "layer) or 3 (they saturate), pressing Step 1 after each change.",
             setup_values(prefix, "Lecture: deep net with BatchNorm", batchnorm=False, gain=KAIMING_TANH)),
        Stop("The lecture's deep net, diagnosed", "Press **Step 1,000**, then **Step 1**. With the lecture's seed "
             "and names.txt the tables are the lecture's printout (saturation 2-3 %, gradient std ≈ 2e-3). The "
             "update:data lines sit near -3: a healthy pace. Move the learning rate to 10^-2 and train on: they "
             "fall towards -4 and learning crawls.", setup_values(prefix, "Lecture: deep net with BatchNorm")),
    ]


def bigram_tour() -> list[Stop]:
    """Lecture 1: counting, smoothing, the trigram, the neural bigram that learns the same table, samples."""
    counts = {"bigram_smoothing": 1.0}
    neural = {"bigram_lr": 50.0, "bigram_reg": 0.01, "bigram_steps": 300}
    return [
        Stop("Count the pairs", "Open **The data set** page first to see the count matrix. Here, P = (N + 1) "
             "row-normalized: the table scores every name by the mean negative log likelihood of its pairs, "
             "2.45 on names (the lecture's 2.4544). A uniform guess scores ln 27 ≈ 3.30.", counts),
        Stop("No smoothing", "Smoothing 0: the dev and test NLL become **infinite**. One pair that never occurred "
             "in the training words gets probability 0, and log 0 = -∞. That is why the lecture adds 1 to every "
             "count.", {"bigram_smoothing": 0.0}),
        Stop("Too much smoothing", "Smoothing 100: every row flattens towards a uniform guess, and both train and "
             "dev NLL rise. Exercise 3's chart shows the sweet spot in between (lowest dev NLL).",
             {"bigram_smoothing": 100.0}),
        Stop("The trigram", "Back to smoothing 1. The trigram row reads two characters instead of one: its dev "
             "NLL is lower (exercise 1). More context helps, but its table grows as 27³: the next lecture's MLP "
             "avoids that.", counts),
        Stop("Train the neural bigram", "Press **Train** under The neural bigram. One-hot(previous) @ W, trained by "
             "gradient descent with lr 50, reaches about 2.46: just above the counts, and the learned table on "
             "the left takes on the counted table's pattern.", {**counts, **neural}),
        Stop("Regularization is smoothing", "Set the regularization to 1 (a new network starts) and train: "
             "mean(W²) pulls W towards 0, i.e. towards equal probabilities, like adding many fake counts. Its NLL "
             "stays higher.", {**counts, **neural, "bigram_reg": 1.0}),
        Stop("Make more names", "Scroll to **Samples**: the counts and the trained net draw almost the same names "
             "for a seed. A bigram only knows one character back, so most names are poor; the MLP does better.",
             {**counts, **neural}),
    ]


def mlp_tour() -> list[Stop]:
    """Lecture 2: embeddings, the learning-rate finder, training, overfitting and the embedding plot."""
    lecture = {"mlp_n_embd": 10, "mlp_block_size": 3, "mlp_n_hidden": 200, "mlp_batch_size": 32,
               "mlp_steps": 200_000, "mlp_lr": 0.1}
    return [
        Stop("Two numbers per character", "Embedding size 2, as the lecture starts: each character is a point in "
             "the plane. Press **Step 1,000** a few times and watch the embedding plot: vowels drift together.",
             {**lecture, "mlp_n_embd": 2, "mlp_n_hidden": 100}),
        Stop("Find the learning rate", "Press **Run the finder**: 1,000 steps with the learning rate rising from "
             "10⁻³ to 1. The loss falls faster as lr grows, bottoms out, then explodes. The shaded valley's left "
             "edge (about 0.1) is the lecture's choice.", lecture),
        Stop("Train the lecture's network", "The lecture's setup: 10-d embeddings, context 3, 200 tanh units, "
             "batch 32, lr 0.1 then 0.01. Press **Train**: the loss starts at ~27 (an untuned init: lecture 3 "
             "fixes it) and falls below the bigram's 2.45 within a few thousand steps.", lecture),
        Stop("Minibatches", "Batch size 1 makes every step noisy; 512 makes it smooth but slow. 32 is the "
             "lecture's trade-off: many cheap, approximate steps beat a few exact ones.",
             {**lecture, "mlp_batch_size": 1}),
        Stop("Overfitting", "Hidden size 500 and a small list: the train loss keeps falling while the dev dots "
             "flatten and rise. The gap between them is overfitting; the dev split is what tells you.",
             {**lecture, "mlp_n_hidden": 500}),
    ]


def backprop_tour() -> list[Stop]:
    """Lecture 4: backpropagating by hand, the one-go formulas, and mistakes that the check catches."""
    return [
        Stop("Every gradient by hand", "The table compares each intermediate tensor's hand-written gradient with "
             "autograd's, in the lecture's order: all rows pass. Exact down to W2 and b2; from tanh's backward on "
             "torch 2's fused kernel rounds differently, so those agree to ~1e-9.", {"backprop_mistake": "none"}),
        Stop("Forget Bessel's correction", "The BatchNorm variance used n-1 in the forward pass; dividing by n in "
             "the backward one is a classic slip. The check turns red from bndiff2 down to C: every tensor "
             "before the mistake inherits it.", {"backprop_mistake": "forget_bessel"}),
        Stop("Drop the broadcasting sum", "counts_sum was broadcast over 27 columns in the forward pass, so its "
             "gradient must be summed back. Forget that and the error starts right at counts.",
             {"backprop_mistake": "drop_broadcast_sum"}),
        Stop("A wrong transpose", "The shapes still fit, so nothing crashes, but dh is wrong and so is everything "
             "below it: only a gradient check finds this kind of bug.", {"backprop_mistake": "wrong_transpose"}),
        Stop("Train without autograd", "Back to no mistake. Press **Train** at the bottom: the hand-written "
             "backward pass and its autograd twin start from the same init and see the same batches; their loss "
             "curves lie on top of each other.", {"backprop_mistake": "none"}),
    ]


def wavenet_tour() -> list[Stop]:
    """Lecture 5's performance log, stop by stop: context, hierarchy, the BatchNorm bug, scaling up."""
    def config(block_size, levels, n_embd, n_hidden, bug=False):
        return {"wavenet_block_size": block_size, "wavenet_levels": levels, "wavenet_n_embd": n_embd,
                "wavenet_n_hidden": n_hidden, "wavenet_bn_bug": bug}
    return [
        Stop("Where part 3 ended", "Context 3, one flat layer of 200: the lecture's starting point (train 2.058, dev "
             "2.105). Look at the layer table: the flat net squashes all 3 characters in one Linear.",
             config(3, 1, 10, 200)),
        Stop("More context: 3 → 8", "Eight characters, still flat: the lecture's first win (dev 2.027). But the "
             "first Linear now sees 80 numbers at once.", config(8, 1, 10, 200)),
        Stop("Flat → hierarchical", "Three levels of FlattenConsecutive(2): pairs, then pairs of pairs. With 68 "
             "units it has the flat net's ~22K parameters. The tree below shows which characters each unit "
             "sees. (This stop keeps the lecture's BatchNorm bug on.)", config(8, 3, 10, 68, bug=True)),
        Stop("The BatchNorm bug", "With 3-D input, BatchNorm must average over batch *and* positions. The bug "
             "averaged over the batch only: look at the running mean's shape, one row per position. Fixed, dev "
             "improves a little (2.022).", config(8, 3, 10, 68)),
        Stop("Scale up", "24-d embeddings and 128 units: 76,579 parameters, the lecture's best (train 1.769, dev "
             "1.993) after 200,000 steps. Train it and log it next to the others.", config(8, 3, 24, 128)),
    ]
