"""The fast training path against the lecture's own operations (autograd through the layer modules)."""
import time
from dataclasses import replace

import pytest
import torch

from makemore import engine
from makemore.engine import fast_step
from makemore.engine.flat import FlatParameters
from makemore.models import DeepMLPConfig, build_model
from makemore.presets import PRESETS
from makemore.stats import diagnostics
from makemore.training import TrainConfig, advance_within, build_trainer
from makemore.training.autograd_step import AutogradStep
from makemore.training.trainer import FIRST_CHUNK

LECTURE_NETS = ["mlp", "mlp-bn", "deep", "backprop", "wavenet"]


def twin_trainers(model_config, train_config, data, seed):
    """The same run on the lecture path (autograd) and on the fast path.

    The backprop preset trains through its own hand-written backward pass (see test_backprop); here its
    architecture runs on autograd and on the engine like the others."""
    exact = build_trainer(model_config, replace(train_config, gradients="autograd"), data, seed)
    fast = build_trainer(model_config, replace(train_config, gradients="fast"), data, seed)
    assert isinstance(exact.stepper, AutogradStep) and isinstance(fast.stepper, engine.FastStep)
    return exact, fast


@pytest.mark.slow
@pytest.mark.parametrize("name", LECTURE_NETS)
def test_fast_path_gives_the_lectures_losses(default_data, name):
    preset = PRESETS[name]
    exact, fast = twin_trainers(preset.model, preset.train, default_data, preset.seed)
    exact.advance(100)
    fast.advance(100)
    assert fast.step == exact.step == 100
    assert torch.allclose(fast.loss_history.values, exact.loss_history.values, atol=1e-5, rtol=0)
    assert abs(fast.loss_history.last().item() - exact.loss_history.last().item()) < 1e-5
    assert fast.evaluate("dev") == pytest.approx(exact.evaluate("dev"), abs=1e-5)  # weights and running stats


@pytest.mark.parametrize("model_config", [PRESETS["mlp"].model, DeepMLPConfig(n_hidden=32, n_layers=2, batchnorm=False),
                                          replace(PRESETS["wavenet"].model, batchnorm=False)])
def test_without_batchnorm_the_fast_path_is_the_lectures_bit_for_bit(default_data, model_config):
    """Linear (mm, then + b), embedding, tanh and cross-entropy with autograd's own kernels, and the flat
    update rounded as `p.data += -lr * p.grad`: the same floats, step after step."""
    exact, fast = twin_trainers(model_config, TrainConfig(steps=30, stats_every=0), default_data, 3)
    exact.advance(30)
    fast.advance(30)
    assert torch.equal(fast.loss_history.values, exact.loss_history.values)
    assert all(torch.equal(a, b) for a, b in zip(fast.model.parameters(), exact.model.parameters()))


@pytest.mark.slow
@pytest.mark.parametrize("nonlinearity", ["sigmoid", "relu", "leaky_relu", "elu"])
@pytest.mark.parametrize("batchnorm", [True, False])
def test_every_nonlinearity_trains_alike(default_data, nonlinearity, batchnorm):
    config = DeepMLPConfig(n_hidden=32, n_layers=3, nonlinearity=nonlinearity, batchnorm=batchnorm, gain=5 / 3)
    exact, fast = twin_trainers(config, TrainConfig(steps=60), default_data, 3)
    exact.advance(60)
    fast.advance(60)
    assert torch.allclose(fast.loss_history.values, exact.loss_history.values, atol=1e-5, rtol=0)


@pytest.mark.parametrize("model_config", [DeepMLPConfig(n_hidden=32, n_layers=2, gain=1e-3),
                                          PRESETS["mlp-bn"].model, PRESETS["backprop"].model])
def test_batchnorm_is_the_lectures_formula(default_data, model_config):
    """Also where eps matters (a tiny batch variance) and in part 3's std form (no eps, running std)."""
    exact, fast = twin_trainers(model_config, TrainConfig(steps=10, stats_every=1), default_data, 2)
    exact.advance(2)  # a tiny variance makes training chaotic: compare the first steps
    fast.advance(2)
    for ra, rb in zip(exact.snapshot.layers, fast.snapshot.layers):
        assert torch.allclose(ra.out, rb.out, atol=1e-5, rtol=1e-5), ra.kind
    for name, buffer in exact.model.named_buffers():
        assert torch.allclose(buffer, dict(fast.model.named_buffers())[name], rtol=1e-5, atol=1e-7), name


def test_fast_gradients_equal_autograd(default_data):
    for config in [PRESETS["deep"].model, PRESETS["wavenet"].model, PRESETS["mlp-bn"].model]:
        model = build_model(replace(config, vocab_size=default_data.vocab.size), torch.Generator().manual_seed(5))
        twin = build_model(replace(config, vocab_size=default_data.vocab.size), torch.Generator().manual_seed(5))
        X, Y = twin.examples(default_data, "train")
        ix = torch.randint(0, X.shape[0], (32,), generator=torch.Generator().manual_seed(1))
        _, loss = twin(X[ix], Y[ix])
        loss.backward()
        fast_loss, grads = engine.FastStep(model).gradients(X[ix], Y[ix])
        assert torch.allclose(fast_loss, loss.detach(), atol=1e-6)
        for p, g in zip(twin.parameters(), grads):
            assert torch.allclose(g, p.grad, atol=1e-6, rtol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["deep", "wavenet", "mlp-bn"])
def test_snapshots_are_the_lecture_paths(default_data, name):
    preset = PRESETS[name]
    exact, fast = twin_trainers(preset.model, replace(preset.train, stats_every=25), default_data, preset.seed)
    exact.advance(51)
    fast.advance(51)
    a, b = exact.snapshot, fast.snapshot
    assert a.step == b.step == 50 and a.lr == b.lr
    assert [(r.index, r.kind, r.block, r.out.shape) for r in a.layers] == \
           [(r.index, r.kind, r.block, r.out.shape) for r in b.layers]
    for ra, rb in zip(a.layers, b.layers):
        assert torch.allclose(ra.out, rb.out, atol=1e-4)
        assert ra.grad is not None and torch.allclose(ra.grad, rb.grad, atol=1e-6, rtol=1e-3)
        for mask_a, mask_b in [(ra.saturated, rb.saturated), (ra.dead, rb.dead)]:
            assert (mask_a is None) == (mask_b is None)
            if mask_a is not None:
                assert (mask_a != mask_b).float().mean() < 1e-3
    assert [(p.name, p.block, p.shape) for p in a.params] == [(p.name, p.block, p.shape) for p in b.params]
    for pa, pb in zip(a.params, b.params):
        assert torch.allclose(pa.data, pb.data, atol=1e-5)
        assert torch.allclose(pa.grad, pb.grad, atol=1e-6, rtol=1e-3)
    weights = [i for i, p in enumerate(a.params) if len(p.shape) == 2]
    assert torch.allclose(a.update_log10[weights], b.update_log10[weights], atol=1e-4)
    # the histories the charts draw
    assert torch.equal(exact.update_history.steps, fast.update_history.steps)
    assert torch.allclose(exact.saturation_history.values, fast.saturation_history.values, atol=1e-3)


def test_statistics_are_the_same_whatever_ring_the_recordings_wait_in(default_data, monkeypatch):
    """Recorded steps wait for their statistics as copies in a ring of `pending_limit` slots; a ring of
    3 (chunks of 7 recorded steps leave it part-way round, so later batches of slots wrap) gives the
    histories and the picture a ring of 32 gives."""
    preset = PRESETS["deep"]
    config = replace(preset.train, stats_every=1)
    wide = build_trainer(preset.model, config, default_data, preset.seed)
    slot_bytes = wide.stepper.flat.buffer.numel() * wide.stepper.flat.buffer.element_size()
    monkeypatch.setattr(fast_step, "RING_BYTES", 3 * slot_bytes)
    narrow = build_trainer(preset.model, config, default_data, preset.seed)
    assert narrow.stepper.pending_limit == 3 and wide.stepper.pending_limit > 7
    for _ in range(6):
        wide.advance(7)
        narrow.advance(7)
    assert torch.equal(wide.loss_history.values, narrow.loss_history.values)
    assert torch.equal(wide.update_history.steps, narrow.update_history.steps)
    assert torch.allclose(wide.update_history.values, narrow.update_history.values, atol=1e-6, rtol=0)
    assert torch.equal(wide.saturation_history.values, narrow.saturation_history.values)
    assert narrow.snapshot.step == wide.snapshot.step == 41
    for a, b in zip(wide.snapshot.params, narrow.snapshot.params):
        assert torch.equal(a.data, b.data) and torch.equal(a.grad, b.grad)


def test_snapshot_keeps_its_tensors_while_training_goes_on(default_data):
    preset = PRESETS["deep"]
    trainer = build_trainer(preset.model, replace(preset.train, stats_every=0), default_data, preset.seed)
    trainer.advance(5, snapshot_last=True)
    snap = trainer.snapshot
    before = [(r.out.clone(), r.grad.clone()) for r in snap.layers] + [(p.data.clone(), p.grad.clone())
                                                                      for p in snap.params]
    trainer.advance(5)
    after = [(r.out, r.grad) for r in snap.layers] + [(p.data, p.grad) for p in snap.params]
    assert all(torch.equal(x, y) and torch.equal(gx, gy) for (x, gx), (y, gy) in zip(before, after))


def test_layers_keep_their_last_output(default_data):
    preset = PRESETS["wavenet"]
    trainer = build_trainer(preset.model, replace(preset.train, stats_every=0), default_data, preset.seed)
    trainer.advance(3)
    shapes = [tuple(layer.out.shape) for layer in trainer.model.layers]
    assert shapes[:4] == [(32, 8, 24), (32, 4, 48), (32, 4, 128), (32, 4, 128)] and shapes[-1] == (32, 27)
    summary = diagnostics.nonlinearity_summary(trainer.model)  # reads layer.out, as pages may
    assert summary.shape == (3, 2) and torch.isfinite(summary).all()


@pytest.mark.parametrize("stats_every", [1, 3])
def test_a_diverging_run_keeps_its_last_healthy_picture(default_data, stats_every):
    config = DeepMLPConfig(n_hidden=32, n_layers=2, batchnorm=False, gain=10.0)
    trainer = build_trainer(config, TrainConfig(steps=5000, lr=1e4, stats_every=stats_every), default_data, 1)
    assert isinstance(trainer.stepper, engine.FastStep)
    while not trainer.done:
        trainer.advance(7)
    assert trainer.diverged and torch.isfinite(trainer.loss_history.values).all()
    snapshot = trainer.snapshot
    assert snapshot is not None and snapshot.step < trainer.diverged_at
    assert len(trainer.update_history) and trainer.update_history.steps.max() < trainer.diverged_at
    # the picture is of one step: its activations are the ones its saturation history row measured
    row = trainer.saturation_history.values[trainer.saturation_history.steps == snapshot.step].view(-1, 2)
    stds = torch.stack([r.out.std() for r in snapshot.layers if r.saturated is not None])
    assert torch.allclose(row[:, 1], stds, rtol=1e-4)


@pytest.mark.slow
def test_models_the_fast_path_cannot_take_run_on_the_lecture_path(default_data):
    cases = [
        (PRESETS["bigram-nn"].model, PRESETS["bigram-nn"].train),
        (DeepMLPConfig(n_hidden=16, n_layers=1), TrainConfig(optimizer="adamw", lr=1e-3)),
        (DeepMLPConfig(n_hidden=16, n_layers=1), TrainConfig(gradients="autograd")),
    ]
    for model_config, train_config in cases:
        trainer = build_trainer(model_config, train_config, default_data, 1)
        assert isinstance(trainer.stepper, AutogradStep)
        assert trainer.advance(3) == 3 and torch.isfinite(trainer.loss_history.values).all()


@pytest.mark.slow
def test_the_batchnorm_bug_trains_alike_on_the_fast_path(default_data):
    """Part 5's dim-0 bug: statistics per position, running statistics that become (T, C).

    This model is chaotic even on the lecture path (a 1e-7 nudge to one weight grows to 2e-4 in
    100 steps), so the running statistics are compared after 10 steps and the losses over 50."""
    preset = PRESETS["wavenet"]
    exact, fast = twin_trainers(replace(preset.model, bn_dim0_bug=True), preset.train, default_data, 4)
    exact.advance(10)
    fast.advance(10)
    buffers = dict(fast.model.named_buffers())
    for name, buffer in exact.model.named_buffers():
        assert buffer.shape == buffers[name].shape and torch.allclose(buffer, buffers[name], atol=1e-5), name
    assert {tuple(b.shape) for b in buffers.values()} == {(4, 128), (2, 128), (128,)}  # per position, then per unit
    exact.advance(40)
    fast.advance(40)
    assert torch.allclose(fast.loss_history.values, exact.loss_history.values, atol=1e-5, rtol=0)
    assert fast.evaluate("dev") == pytest.approx(exact.evaluate("dev"), abs=1e-5)


def test_flat_parameters_own_the_weights_and_update_like_the_lecture():
    g = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(shape, generator=g) * scale + shift)
              for shape, scale, shift in [((30, 100), 1.0, 0.0), ((100,), 0.01, 1.0), ((27,), 0.3, 0.0), ((1,), 1, 0)]]
    originals = [p.detach().clone() for p in params]
    flat = FlatParameters(params)
    assert all(torch.equal(p, o) for p, o in zip(params, originals))
    assert all(p.untyped_storage().data_ptr() == flat.data.untyped_storage().data_ptr() for p in params)
    grads = [torch.randn(p.shape, generator=g) for p in params]
    for view, grad in zip(flat.grads, grads):
        view.copy_(grad)
    flat.sgd(0.1)
    for p, o, grad in zip(params, originals, grads):
        assert torch.equal(p.detach(), o + (-0.1 * grad))  # bit for bit the lecture's update
    data_std, grad_std = flat.stds(flat.chunk_moments(flat.buffer[None]))[0]
    expected_data = torch.stack([p.detach().std() for p in params[:3]])
    expected_grad = torch.stack([grad.std() for grad in grads[:3]])
    assert torch.allclose(data_std[:3], expected_data, rtol=1e-5)  # one is a gain near 1 with a 1% spread
    assert torch.allclose(grad_std[:3], expected_grad, rtol=1e-5)
    assert torch.isnan(data_std[3]) and torch.isnan(grad_std[3])  # the std of one number, as torch says


@pytest.mark.slow
def test_advance_for_trains_until_the_budget_or_max_steps(default_data):
    trainer = build_trainer(DeepMLPConfig(n_hidden=16, n_layers=2), TrainConfig(steps=500), default_data, 1)
    assert trainer.advance_for(0.0) >= 1  # a tick always trains something
    before = trainer.step
    assert trainer.advance_for(60.0, max_steps=37) == 37 and trainer.step == before + 37
    assert trainer.advance_for(60.0) == 500 - before - 37  # the budget outlasts the schedule
    assert trainer.done and trainer.advance_for(1.0) == 0


class SlowSteps:
    """A run whose steps take 0.05 s each, and that has trained `step` of them in `seconds` before."""

    def __init__(self, step: int, seconds: float) -> None:
        self.step, self.seconds, self.done, self.chunks = step, seconds, False, []

    def advance(self, n: int) -> int:
        self.chunks.append(n)
        time.sleep(0.05 * n)
        self.step, self.seconds = self.step + n, self.seconds + 0.05 * n
        return n


def test_a_run_that_knows_its_speed_fills_the_budget_in_one_chunk():
    trained = SlowSteps(step=100, seconds=5.0)
    assert advance_within(trained, 0.2) == 4 and trained.chunks == [4]  # not 16 steps (0.8 s) to learn the speed
    fresh = SlowSteps(step=0, seconds=0.0)
    assert advance_within(fresh, 0.2) == FIRST_CHUNK  # it has to measure first


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_fast_path_on_cuda(default_data):
    preset = PRESETS["deep"]
    cpu = build_trainer(preset.model, preset.train, default_data, preset.seed)
    gpu = build_trainer(preset.model, preset.train, default_data, preset.seed, device="cuda")
    assert isinstance(gpu.stepper, engine.FastStep)
    cpu.advance(50)
    gpu.advance(50, snapshot_last=True)
    assert torch.allclose(cpu.loss_history.values, gpu.loss_history.values, atol=1e-4)
    assert gpu.snapshot is not None and gpu.snapshot.layers[0].out.is_cuda
