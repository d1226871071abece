"""A bounded, downsampling record of values over training steps."""
from __future__ import annotations

import torch


class History:
    """Rows of `width` values keyed by step, never more than `capacity` rows.

    Rows arrive in chunks (a tensor of steps and a tensor of values). While there is room every
    row is kept; when the buffer fills, neighbouring rows are merged (averaged) and from then on
    each stored row averages twice as many incoming rows. So a 200,000-step run keeps its whole
    shape in bounded memory.
    """

    def __init__(self, width: int, capacity: int = 4096) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.width, self.capacity = width, capacity
        self._steps = torch.zeros(capacity, dtype=torch.int64)
        self._values = torch.zeros((capacity, width))
        self._size = 0
        self.stride = 1  # incoming rows averaged into one stored row
        self._pending_steps = torch.zeros(0, dtype=torch.int64)
        self._pending_values = torch.zeros((0, width))

    def __len__(self) -> int:
        return self._size

    def append(self, steps: torch.Tensor, values: torch.Tensor) -> None:
        """Add rows: steps (k,), values (k, width) or (k,) when width is 1."""
        values = values.detach().reshape(len(steps), self.width).float().cpu()
        steps = steps.cpu()
        steps = torch.cat([self._pending_steps, steps])
        values = torch.cat([self._pending_values, values])
        while True:
            full = len(steps) // self.stride * self.stride
            room = self.capacity - self._size
            take = min(full // self.stride, room)
            if take:
                n = take * self.stride
                self._store(steps[:n:self.stride], values[:n].view(take, self.stride, self.width).mean(1))
                steps, values = steps[n:], values[n:]
            if len(steps) < self.stride:
                break
            self._halve()
        self._pending_steps, self._pending_values = steps, values

    def _store(self, steps: torch.Tensor, values: torch.Tensor) -> None:
        k = len(steps)
        self._steps[self._size:self._size + k] = steps
        self._values[self._size:self._size + k] = values
        self._size += k

    def _halve(self) -> None:
        half = self._size // 2
        self._steps[:half] = self._steps[:2 * half:2].clone()
        self._values[:half] = self._values[:2 * half].view(half, 2, self.width).mean(1)
        self._size = half
        self.stride *= 2

    def restore(self, steps: torch.Tensor, values: torch.Tensor, stride: int) -> None:
        """Start again from rows kept earlier (`steps`, `values` (rows, width) and the `stride` they were stored
        at): rows appended from now on continue as if the history had never been taken apart. ValueError if they
        do not fit (a history restored from a store is data from outside)."""
        rows = len(steps)
        if rows > self.capacity or not isinstance(stride, int) or not 1 <= stride <= 2**40:
            raise ValueError(f"a history of {rows} rows at stride {stride} does not fit one of {self.capacity} rows")
        if values.numel() != rows * self.width:
            raise ValueError(f"a history of width {self.width} cannot take {values.numel()} values in {rows} rows")
        self._size, self.stride = 0, stride
        self._pending_steps, self._pending_values = self._pending_steps[:0], self._pending_values[:0]
        self._store(steps.to(torch.int64).cpu(), values.reshape(rows, self.width).float().cpu())

    @property
    def steps(self) -> torch.Tensor:
        return self._steps[:self._size]

    @property
    def values(self) -> torch.Tensor:
        return self._values[:self._size]

    def last(self) -> torch.Tensor | None:
        """The most recent row, stored or pending."""
        if len(self._pending_values):
            return self._pending_values[-1]
        return self._values[self._size - 1] if self._size else None
