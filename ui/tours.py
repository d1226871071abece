"""The guided walk-throughs' stops, page by page (see ui/walkthrough.py)."""
from __future__ import annotations

from ui.controls import KAIMING_TANH, preset_values
from ui.walkthrough import Stop


def diagnostics_tour(prefix: str) -> list[Stop]:
    """Lecture 3's story: hockey stick, saturated tanh, Kaiming gain, BatchNorm, deep-net diagnostics."""
    return [
        Stop("Why is the first loss about 27?", "Press **Step 1**. The first loss is far above the red dashed line, the loss of a uniform guess, "
             "-ln(1/27) ≈ 3.30. With raw `randn` weights the logits are huge: the net is confidently wrong "
             "about almost every character.", preset_values(prefix, "Broken init (hockey stick)")),
        Stop("The hockey stick", "Press **Step 1,000** (or Train). The loss plunges over the first hundred steps, "
             "which the net spends only shrinking its logits, then bends into slow progress: a hockey stick. "
             "Those steps are wasted training.", preset_values(prefix, "Broken init (hockey stick)")),
        Stop("Scale the output layer by 0.01", "Step once more: the first loss is now ≈ 3.3, no hockey stick. "
             "But look at the **Saturation image**: white cells everywhere and whole white columns. The tanh layer "
             "is saturated, and a saturated unit passes (almost) no gradient back: those neurons barely learn.",
             preset_values(prefix, "Output layer scaled down")),
        Stop("Kaiming init: gain 5/3 over √fan_in", "The weights are now `randn * (5/3) / sqrt(fan_in)`. Step: the "
             "pre-activations have std ≈ 1, the activation histogram spreads over (-1, 1), only a few percent "
             "saturate and the saturation image goes dark.", preset_values(prefix, "Kaiming gain 5/3")),
        Stop("BatchNorm", "BatchNorm standardizes each pre-activation over the batch. Step, then move the **Init "
             "gain** to 0.5 or 3 and step again: with BatchNorm the activations hardly change. That robustness is "
             "why it made deep nets trainable.", preset_values(prefix, "BatchNorm")),
        Stop("Five layers without BatchNorm", "Five tanh layers at gain 5/3: the activation and gradient "
             "histograms keep similar spreads in every layer. Now try gain 1 (the activations shrink layer by "
             "layer) or 3 (they saturate), pressing Step 1 after each change.",
             preset_values(prefix, "Lecture: deep net with BatchNorm", batchnorm=False, gain=KAIMING_TANH)),
        Stop("The lecture's deep net, diagnosed", "Press **Step 1,000**, then **Step 1**. With the lecture's seed "
             "and names.txt the tables are the lecture's printout (saturation 2-3 %, gradient std ≈ 2e-3). The "
             "update:data lines sit near -3: a healthy pace. Move the learning rate to 10^-2 and train on: they "
             "fall towards -4 and learning crawls.", preset_values(prefix, "Lecture: deep net with BatchNorm")),
    ]
