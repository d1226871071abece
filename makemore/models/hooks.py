"""Forward hooks that make any torch module inspectable the way the lecture layers are.

A lecture layer keeps its last output in `.out`; `watch` gives any module the same habit
through a forward hook. The diagnostics then read `.out` and, on recorded steps, `.out.grad`
(kept by `retain_grad`, a backward hook on the tensor) without knowing what the module is.
"""
from __future__ import annotations

from typing import Iterable

import torch.nn as nn


def keep_output(module: nn.Module, inputs, output) -> None:
    """The forward hook: store the module's output as a plain attribute (no Module bookkeeping)."""
    module.__dict__["out"] = output


def watch(modules: Iterable[nn.Module]) -> None:
    """Keep every module's last output in `module.out` from now on."""
    for module in modules:
        module.__dict__["out"] = None
        module.register_forward_hook(keep_output)


def forget(modules: Iterable[nn.Module]) -> None:
    """Drop the kept outputs (after a large evaluation pass, so they do not stay in memory)."""
    for module in modules:
        module.__dict__["out"] = None
