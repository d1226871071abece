"""Part 2's embedding plot: each character's vector in C as a point in the plane."""
from __future__ import annotations

import pandas as pd
import torch

from .word_stats import is_vowel, visible


def plane_coordinates(C: torch.Tensor) -> tuple[torch.Tensor, str]:
    """(V, 2) coordinates of the rows of C and what the axes are.

    A 2-D embedding is shown as it is (the lecture's figure); a wider one by its first two
    principal components, each direction's sign fixed so the picture does not flip as it trains.
    """
    C = C.detach().float().cpu()
    if C.shape[1] == 2:
        return C, "embedding dimension"
    if C.shape[1] == 1:
        return torch.cat([C, torch.zeros_like(C)], 1), "embedding dimension"
    centered = C - C.mean(0, keepdim=True)
    _, _, Vh = torch.linalg.svd(centered, full_matrices=False)
    directions = Vh[:2]
    signs = torch.sign(directions.gather(1, directions.abs().argmax(1, keepdim=True)))
    return centered @ (directions * signs).T, "principal component"


def embedding_frame(C: torch.Tensor, itos) -> tuple[pd.DataFrame, str]:
    """char, label, kind (boundary / vowel / other), x, y for every token; and the axes' name."""
    xy, axis = plane_coordinates(C)
    kinds = ["boundary" if i == 0 else ("vowel" if is_vowel(ch) else "other") for i, ch in enumerate(itos)]
    frame = pd.DataFrame({"char": list(itos), "label": [visible(ch) for ch in itos], "kind": kinds,
                          "x": xy[:, 0].numpy(), "y": xy[:, 1].numpy()})
    return frame, axis
