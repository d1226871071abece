"""Every lecture's exact setup as a named preset: model config, training schedule, seeds, figures."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .data import MAKEMORE_SEED
from .models import (
    BoWConfig,
    DeepMLPConfig,
    GRUConfig,
    MLPConfig,
    NeuralBigramConfig,
    NGramConfig,
    RNNConfig,
    TransformerConfig,
    WaveNetConfig,
)
from .training import TrainConfig

LECTURE_SEED = 2147483647  # torch.Generator().manual_seed(2147483647) in parts 1-4
SAMPLE_SEED = LECTURE_SEED + 10  # the lectures' sampling generator (parts 2-5)
MAKEMORE_STEPS = 15_000  # makemore.py trains until stopped; the Transformer's test loss bottoms out near here (README)
# makemore.py's optimization: AdamW, lr 5e-4, weight decay 0.01, batch 32 words, no lr decay
MAKEMORE_TRAIN = TrainConfig(steps=MAKEMORE_STEPS, batch_size=32, lr=5e-4, lr_decay_at=None, optimizer="adamw",
                             weight_decay=0.01, stats_every=100)
# makemore.py as of June 2022, when its README's "test logprob of ~1.92" was written (commit 054568e); its
# August refactor dropped the dropout, the decay rule, the clipping and the init, and the README kept the number
MAKEMORE_2022_SEED = 1337
MAKEMORE_2022_STEPS = 60_000  # with dropout the test loss is still falling slowly here (1.943; README)
MAKEMORE_2022_TRAIN = replace(MAKEMORE_TRAIN, steps=MAKEMORE_2022_STEPS, weight_decay=0.1, decay_matmul_only=True,
                              grad_clip=1.0)


@dataclass(frozen=True)
class LectureFigures:
    """What the lecture printed, to show beside ours (None where it printed nothing)."""
    params: int | None = None
    first_loss: float | None = None
    train: float | None = None
    dev: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Preset:
    name: str
    part: str  # the lecture: "1".."5", or "makemore.py"
    description: str
    model: object  # a model config; vocab_size is filled in from the data
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = LECTURE_SEED  # seeds the generator for init and minibatches
    sample_seed: int = SAMPLE_SEED
    lecture: LectureFigures = LectureFigures()


PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("bigram", "1", "bigram counts with +1 smoothing, P = (N+1) row-normalized",
           NGramConfig(smoothing=1.0), TrainConfig(steps=0), sample_seed=LECTURE_SEED,
           lecture=LectureFigures(params=729, train=2.4544,
                                  note="NLL over all 228,146 bigrams of names.txt (--split none)")),
    Preset("bigram-nn", "1", "neural bigram: one-hot @ W (27x27), full-batch gradient descent, lr 50",
           NeuralBigramConfig(regularization=0.01),
           TrainConfig(steps=300, batch_size=None, lr=50.0, lr_decay_at=None, stats_every=0),
           sample_seed=LECTURE_SEED,
           lecture=LectureFigures(params=729, note="its loss with the regularization converges to about 2.48 and "
                                                "its NLL to about 2.46, just above the counts")),
    Preset("mlp", "2", "MLP: emb 10, block 3, 200 tanh hidden units, unscaled init",
           MLPConfig(), TrainConfig(),
           lecture=LectureFigures(params=11897, train=2.1260, dev=2.1701)),
    Preset("mlp-bn", "3", "MLP + BatchNorm: gain 5/3, W2*0.01, b2*0, no b1",
           MLPConfig(w1_gain=5 / 3, b1_scale=None, w2_scale=0.01, b2_scale=0.0, batchnorm="std"),
           TrainConfig(),
           lecture=LectureFigures(params=12097, first_loss=3.3239, train=2.0674, dev=2.1057)),
    Preset("deep", "3", "deep net: 5 x [Linear 100, BatchNorm1d, Tanh], output BatchNorm gamma*0.1",
           DeepMLPConfig(), TrainConfig(lr_decay_at=150_000),
           lecture=LectureFigures(params=47024, first_loss=3.2870)),
    Preset("backprop", "4", "part 4's MLP trained with a hand-written backward pass",
           MLPConfig(w1_gain=5 / 3, b1_scale=0.1, w2_scale=0.1, b2_scale=0.1, batchnorm="var",
                     bn_init_noise=0.1),
           TrainConfig(gradients="by_hand"),
           lecture=LectureFigures(params=12297, train=2.0705, dev=2.1099,
                                  note="the lecture's BatchNorm init came from an unseeded RNG")),
    Preset("wavenet", "5", "WaveNet-style hierarchy: block 8, emb 24, 3 levels of FlattenConsecutive(2)",
           WaveNetConfig(), TrainConfig(lr_decay_at=150_000), seed=42,
           lecture=LectureFigures(params=76579, first_loss=3.3167, train=1.769, dev=1.993)),
    Preset("rnn", "makemore.py", "RNN (Mikolov 2010): emb 64, 64 tanh hidden units, whole words; AdamW",
           RNNConfig(), MAKEMORE_TRAIN, seed=MAKEMORE_SEED, lecture=LectureFigures(params=11803)),
    Preset("gru", "makemore.py", "GRU (Cho 2014): emb 64, 64 gated hidden units, whole words; AdamW",
           GRUConfig(), MAKEMORE_TRAIN, seed=MAKEMORE_SEED, lecture=LectureFigures(params=28315)),
    Preset("bow", "makemore.py", "bag of words: emb 64, causal average of the past, 64-unit tanh MLP; AdamW",
           BoWConfig(), MAKEMORE_TRAIN, seed=MAKEMORE_SEED, lecture=LectureFigures(params=12827)),
    Preset("transformer", "makemore.py", "Transformer (Vaswani 2017): 4 layers, 4 heads, 64 channels; AdamW",
           TransformerConfig(), MAKEMORE_TRAIN, seed=MAKEMORE_SEED,
           lecture=LectureFigures(params=204544, note="makemore.py's README: a test loss of about 1.92 on names.txt, "
                                                      "measured with June 2022's settings (transformer-2022)")),
    Preset("transformer-2022", "makemore.py",
           "the Transformer as makemore.py trained it in June 2022: dropout 0.1, weight decay 0.1 on the Linear "
           "weights, gradient clipping 1.0, N(0, 0.02) init",
           TransformerConfig(dropout=0.1, init_std=0.02), MAKEMORE_2022_TRAIN, seed=MAKEMORE_2022_SEED,
           lecture=LectureFigures(params=204544, note="makemore.py's README: a test loss of about 1.92 on names.txt")),
]}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
