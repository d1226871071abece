"""A model's parameters as views into one flat buffer, with a twin row for their gradients.

Row 0 of a (2, N) buffer holds every weight and row 1 every gradient, each parameter starting
on a CHUNK boundary (zero padding between them). So the SGD update of the whole model is two
operations, a copy of all weights and gradients is one, and the per-parameter std of all of
them takes a handful: a few numbers per chunk, then one small matrix product adds up each
parameter's chunks. The model keeps working as before: its nn.Parameters simply live in the buffer.
"""
from __future__ import annotations

import torch

CHUNK = 128  # parameters start at multiples of this; statistics sum chunk by chunk


class FlatParameters:
    """Owns the storage of `params` (rebinding each to a view of `data`) and their gradients `grad`."""

    def __init__(self, params: list[torch.nn.Parameter]) -> None:
        first = params[0]
        starts, size = [], 0
        for p in params:
            starts.append(size)
            size += -(-p.numel() // CHUNK) * CHUNK
        self.buffer = torch.zeros((2, size), dtype=first.dtype, device=first.device)
        self.data, self.grad = self.buffer[0], self.buffer[1]
        self._update = torch.empty_like(self.data)
        for p, start in zip(params, starts):
            view = self.data[start:start + p.numel()].view(p.shape)
            view.copy_(p.detach())
            p.data = view
        self.params = [p.detach() for p in params]  # aliases of the views, outside autograd
        self.grads = [self.grad[start:start + p.numel()].view(p.shape) for p, start in zip(params, starts)]
        self._starts = starts
        # members[c, i] = 1 where chunk c belongs to parameter i
        self._members = torch.zeros((size // CHUNK, len(params)), dtype=torch.float64, device=first.device)
        for i, (p, start) in enumerate(zip(params, starts)):
            self._members[start // CHUNK:(start + p.numel() - 1) // CHUNK + 1, i] = 1.0
        self._counts = torch.tensor([p.numel() for p in params], dtype=torch.float64, device=first.device)
        self._lr, self._lr_tensor = None, None

    def sgd(self, lr: float | torch.Tensor, stop: int | None = None) -> None:
        """data -= lr * grad, rounded as the lecture's `p.data += -lr * p.grad` rounds it.

        `lr` is one number, or a (N,) tensor laid out like `data` (see `layout`): one per weight.
        `stop`: update only data[:stop] (the parameters before offset `stop`, see `offset`).
        """
        if not isinstance(lr, torch.Tensor):
            if lr != self._lr:  # a 0-dim tensor multiplies faster than a Python float
                self._lr, self._lr_tensor = lr, torch.tensor(lr, dtype=self.data.dtype, device=self.data.device)
            lr = self._lr_tensor
        elif stop is not None:
            lr = lr[:stop]
        data, grad, update = ((self.data, self.grad, self._update) if stop is None else
                              (self.data[:stop], self.grad[:stop], self._update[:stop]))
        torch.mul(grad, lr, out=update)
        data.sub_(update)

    def offset(self, i: int) -> int:
        """Where parameter i starts in `data`."""
        return self._starts[i]

    def layout(self, values: list[torch.Tensor]) -> torch.Tensor:
        """(N,): a tensor laid out like `data`, each parameter's part filled with its value (broadcast)."""
        out = torch.zeros_like(self.data)
        for p, start, value in zip(self.params, self._starts, values):
            out[start:start + p.numel()].view(p.shape).copy_(value.expand_as(p))
        return out

    def views(self, buffer: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Parameter by parameter, the weights (row 0) and gradients (row 1) of a copy of `buffer`."""
        return ([buffer[0, start:start + p.numel()].view(p.shape) for p, start in zip(self.params, self._starts)],
                [buffer[1, start:start + p.numel()].view(p.shape) for p, start in zip(self.params, self._starts)])

    def chunk_moments(self, buffers: torch.Tensor) -> torch.Tensor:
        """(k, 3, 2, n_chunks) of k copies of `buffer` (k, 2, N): per chunk of the weights and of the
        gradients, its first value a and the sum and the root sum of squares of (x - a): what `stds`
        needs, a few small numbers."""
        chunks = buffers.view(buffers.shape[0], 2, -1, CHUNK)
        shift = chunks[..., :1]
        centered = chunks - shift  # around a value of its own, so a gain near 1 with a tiny spread stays precise
        return torch.stack([shift[..., 0], centered.sum(-1), torch.linalg.vector_norm(centered, dim=-1)], 1)

    def stds(self, moments: torch.Tensor) -> torch.Tensor:
        """(k, 2, n_params): std() of every parameter and of its gradient, from `chunk_moments` of k copies.

        The chunks' sums and sums of squares are rebuilt in float64 and one matrix product adds up
        each parameter's chunks (the zero padding adds nothing).
        """
        k = moments.shape[0]
        shift, sums, norms = moments.double().unbind(1)  # each (k, 2, n_chunks)
        chunk_sums = sums + CHUNK * shift
        chunk_squares = norms ** 2 + shift * (2 * sums + CHUNK * shift)
        totals = (torch.cat([chunk_sums, chunk_squares], 1).view(4 * k, -1) @ self._members).view(k, 2, 2, -1)
        n = self._counts
        variance = ((totals[:, 1] - totals[:, 0] ** 2 / n) / (n - 1)).clamp_min(0)
        return torch.where(n > 1, variance, torch.nan).sqrt().to(self.data.dtype)  # like torch: one value has no std
