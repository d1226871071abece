"""The settings a run is made of (its model and training configs) as people read them: names like the
controls' labels, values without Python's None/True/False, and a table that puts the differences first."""
from __future__ import annotations

import pandas as pd

SETTING_NAMES = {  # config field -> readable name (the controls' labels where a page has one)
    "family": "model", "data": "word list", "seed": "seed", "vocab_size": "vocabulary size",
    "block_size": "context (characters)", "smoothing": "smoothing", "regularization": "regularization",
    "n_embd": "embedding size", "n_embd2": "hidden state size", "n_hidden": "neurons per layer",
    "n_layers": "hidden layers", "n_layer": "layers", "n_head": "heads", "nonlinearity": "nonlinearity",
    "gain": "init gain", "w1_gain": "W1 gain", "w1_scale": "W1 scale", "b1_scale": "b1 scale", "w2_scale": "W2 scale",
    "b2_scale": "b2 scale", "output_scale": "output scale", "scale_by_fan_in": "1/√fan_in scaling",
    "bias": "Linear biases", "batchnorm": "BatchNorm", "bn_momentum": "BatchNorm momentum",
    "bn_init_noise": "BatchNorm init noise", "bn_dim0_bug": "BatchNorm bug", "groups": "levels",
    "dropout": "dropout", "init_std": "init std", "lr": "learning rate", "batch_size": "batch size",
    "steps": "steps", "lr_decay_at": "lr decay at step", "lr_decay": "lr decay", "optimizer": "optimizer",
    "weight_decay": "weight decay", "decay_matmul_only": "decay Linear weights only", "grad_clip": "gradient clip",
    "stats_every": "statistics every", "gradients": "gradients", "device": "device",
}
FAMILY_NAMES = {"ngram": "n-gram counts", "bigram_nn": "neural bigram", "mlp": "MLP", "deep_mlp": "deep MLP",
                "wavenet": "WaveNet", "rnn": "RNN", "gru": "GRU", "bow": "bag of words", "transformer": "Transformer"}
BATCHNORM_FORMS = {"none": "off", "std": "on (part 3: std, no eps)", "var": "on (part 4: variance + eps)"}
UNSET = "—"  # a setting the run does not have, or left unset


def setting_name(key: str) -> str:
    return SETTING_NAMES.get(key, key.replace("_", " "))


def shown_value(key: str, value) -> str:
    """A setting's value as a person reads it: on/off, a dash for unset, 4 significant digits."""
    if value is None:
        return UNSET
    if key == "family":
        return FAMILY_NAMES.get(value, str(value))
    if key == "batchnorm" and isinstance(value, str):
        return BATCHNORM_FORMS.get(value, value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        return " × ".join(str(v) for v in value)
    return str(value)


def settings_frame(runs: list[tuple[str, dict]]) -> pd.DataFrame:
    """(run label, its settings) of each run as one table: a row per setting (readable name), a column per run
    (two runs of the same name told apart by a number), the rows where the runs differ first and marked in the
    first column ("differs"); settings no run has are left out."""
    labels, configs = [], [config for _, config in runs]
    for label, _ in runs:
        labels.append(label if label not in labels else f"{label} ({sum(x.startswith(label) for x in labels) + 1})")
    keys = list(dict.fromkeys(key for config in configs for key in config))
    rows = {setting_name(key): [shown_value(key, config.get(key)) for config in configs] for key in keys}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=labels)
    frame = frame[(frame != UNSET).any(axis=1)]
    differs = frame.nunique(axis=1) > 1
    frame.insert(0, "differs", differs.map({True: "✱", False: ""}))
    return pd.concat([frame[differs], frame[~differs]])
