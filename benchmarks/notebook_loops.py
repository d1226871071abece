"""The lectures' training loops as the notebooks run them: the baseline the trainer is measured against.

Plain tensors with `requires_grad`, the notebooks' own small layer classes (not nn.Module), one
`torch.randint` per step, autograd, `p.data += -lr * p.grad` and `lossi.append(loss.log10().item())`.
With `diagnostics=True` the part-3 loop also does what the lecture does to draw its plots:
`retain_grad()` on every layer output and the update:data ratio of every parameter, one
`.item()` each, every step. Each loop resumes where it stopped, so a benchmark can alternate it
with the trainer.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LECTURE_SEED = 2147483647


# ------------------------------------------------------------------------ the notebooks' layers
class Linear:
    def __init__(self, fan_in: int, fan_out: int, bias: bool = True, generator=None) -> None:
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out = self.out + self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.eps, self.momentum = eps, momentum
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x):
        dims = 0 if x.ndim == 2 else (0, 1)
        xmean = x.mean(dims, keepdim=True)
        xvar = x.var(dims, keepdim=True)
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        with torch.no_grad():
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


class Embedding:
    def __init__(self, num_embeddings: int, embedding_dim: int, generator=None) -> None:
        self.weight = torch.randn((num_embeddings, embedding_dim), generator=generator)

    def __call__(self, idx):
        self.out = self.weight[idx]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        self.out = x.squeeze(1) if x.shape[1] == 1 else x
        return self.out

    def parameters(self):
        return []


# ------------------------------------------------------------------------ the loops
class NotebookLoop:
    """One lecture's loop over (X, Y): `run(n)` trains the next n steps."""

    lr_decay_at = 100_000

    def __init__(self, X: torch.Tensor, Y: torch.Tensor, generator: torch.Generator | None) -> None:
        self.X, self.Y, self.g = X, Y, generator
        self.i = 0
        self.lossi: list[float] = []
        for p in self.parameters:
            p.requires_grad = True

    parameters: list[torch.Tensor]

    def logits(self, Xb: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def run(self, n: int) -> None:
        for _ in range(n):
            ix = torch.randint(0, self.X.shape[0], (32,), generator=self.g)
            Xb, Yb = self.X[ix], self.Y[ix]
            loss = F.cross_entropy(self.logits(Xb), Yb)
            self.before_backward()
            for p in self.parameters:
                p.grad = None
            loss.backward()
            lr = 0.1 if self.i < self.lr_decay_at else 0.01
            for p in self.parameters:
                p.data += -lr * p.grad
            self.lossi.append(loss.log10().item())
            self.after_update(lr)
            self.i += 1

    def before_backward(self) -> None:
        pass

    def after_update(self, lr: float) -> None:
        pass


class NotebookMLP(NotebookLoop):
    """Part 2: C, W1, b1, W2, b2, all unscaled."""

    def __init__(self, X, Y) -> None:
        g = torch.Generator().manual_seed(LECTURE_SEED)
        self.C = torch.randn((27, 10), generator=g)
        self.W1 = torch.randn((30, 200), generator=g)
        self.b1 = torch.randn(200, generator=g)
        self.W2 = torch.randn((200, 27), generator=g)
        self.b2 = torch.randn(27, generator=g)
        self.parameters = [self.C, self.W1, self.b1, self.W2, self.b2]
        super().__init__(X, Y, g)

    def logits(self, Xb):
        emb = self.C[Xb]
        h = torch.tanh(emb.view(-1, 30) @ self.W1 + self.b1)
        return h @ self.W2 + self.b2


class NotebookDeep(NotebookLoop):
    """Part 3: 5 x [Linear, BatchNorm1d, Tanh], Linear, BatchNorm1d (gamma * 0.1)."""

    lr_decay_at = 150_000

    def __init__(self, X, Y, diagnostics: bool) -> None:
        g = torch.Generator().manual_seed(LECTURE_SEED)
        self.diagnostics = diagnostics
        self.C = torch.randn((27, 10), generator=g)
        self.layers = []
        fan_in = 30
        for _ in range(5):
            self.layers += [Linear(fan_in, 100, bias=False, generator=g), BatchNorm1d(100), Tanh()]
            fan_in = 100
        self.layers += [Linear(100, 27, bias=False, generator=g), BatchNorm1d(27)]
        with torch.no_grad():
            self.layers[-1].gamma *= 0.1
        self.parameters = [self.C] + [p for layer in self.layers for p in layer.parameters()]
        self.ud: list[list[float]] = []
        super().__init__(X, Y, g)

    def logits(self, Xb):
        x = self.C[Xb].view(Xb.shape[0], -1)
        for layer in self.layers:
            x = layer(x)
        return x

    def before_backward(self) -> None:
        if self.diagnostics:
            for layer in self.layers:
                layer.out.retain_grad()

    def after_update(self, lr: float) -> None:
        if self.diagnostics:
            with torch.no_grad():
                self.ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in self.parameters])


class NotebookWaveNet(NotebookLoop):
    """Part 5: Embedding 24, three levels of FlattenConsecutive(2), Linear 128, BatchNorm1d, Tanh."""

    lr_decay_at = 150_000

    def __init__(self, X, Y) -> None:
        g = torch.Generator().manual_seed(42)  # the lecture's torch.manual_seed(42), as a generator
        self.layers = [Embedding(27, 24, generator=g)]
        width = 24
        for _ in range(3):
            self.layers += [FlattenConsecutive(2), Linear(width * 2, 128, bias=False, generator=g),
                            BatchNorm1d(128), Tanh()]
            width = 128
        self.layers.append(Linear(128, 27, generator=g))
        with torch.no_grad():
            self.layers[-1].weight *= 0.1
        self.parameters = [p for layer in self.layers for p in layer.parameters()]
        super().__init__(X, Y, g)

    def logits(self, Xb):
        x = Xb
        for layer in self.layers:
            x = layer(x)
        return x
