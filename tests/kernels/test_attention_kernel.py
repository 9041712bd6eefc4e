"""The fused attention kernel's phases (host build) and, on a GPU, the CUDA build, against the
PyTorch reference: outputs, gradients through the training path, odd shapes."""

import pytest
import torch

from facecli.kernels import attention as ka
from facecli.models.attention import DualPathAttention, dual_path_attention, dual_path_attention_reference

from helpers.gpu import needs_cxx, needs_gpu


def _params(c: int, *, k: int = 7, reduction: int = 8, seed: int = 0):
    torch.manual_seed(seed)
    m = DualPathAttention(c, reduction=reduction, kernel=k)
    with torch.no_grad():  # non-trivial biases
        for p in m.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return m, (m.fc1.weight, m.fc1.bias, m.fc2.weight, m.fc2.bias, m.spatial.weight, m.spatial.bias)


@pytest.mark.parametrize(
    "shape,k",
    [
        ((64, 32, 6, 6), 7),  # grid-attn's per-cell maps
        ((2, 64, 24, 24), 7),  # a whole feature map
        ((3, 5, 1, 1), 7),
        ((1, 33, 7, 3), 3),
        ((4, 8, 2, 9), 5),
    ],
)
@needs_cxx
def test_forward_matches_the_reference(shape, k):
    _, params = _params(shape[1], k=k)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    got = ka.forward(x, *params, ka.host_backend())
    want = dual_path_attention_reference(x, *params)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


@needs_cxx
def test_gradients_go_through_the_reference():
    m, params = _params(16)
    x = torch.randn(6, 16, 5, 5, requires_grad=True)
    gy = torch.randn(6, 16, 5, 5)
    y, ch, sp = ka.fused_dual_path_attention(
        x, *params, backend=ka.host_backend(), reference=dual_path_attention_reference
    )
    loss = (y * gy).sum() + ch.square().sum() + sp.sum()
    yr, chr_, spr = dual_path_attention_reference(x, *params)
    loss_r = (yr * gy).sum() + chr_.square().sum() + spr.sum()
    inputs = (x, *params)
    for g, gr in zip(torch.autograd.grad(loss, inputs), torch.autograd.grad(loss_r, inputs)):
        torch.testing.assert_close(g, gr, rtol=1e-5, atol=1e-6)


@needs_cxx
def test_training_steps_equal_the_reference(monkeypatch):
    """A few optimiser steps of a block with the fused forward land where the reference's do."""
    from facecli.models import attention as att

    x = torch.randn(8, 16, 6, 6, generator=torch.Generator().manual_seed(3))
    states = []
    for use_kernel in (True, False):
        m, _ = _params(16, seed=5)
        if use_kernel:
            monkeypatch.setattr(
                att,
                "_IMPL",
                lambda *a: ka.fused_dual_path_attention(
                    *a, backend=ka.host_backend(), reference=dual_path_attention_reference
                ),
            )
        opt = torch.optim.SGD(m.parameters(), lr=0.5)
        for _ in range(3):
            opt.zero_grad()
            m(x).square().mean().backward()
            opt.step()
        monkeypatch.setattr(att, "_IMPL", dual_path_attention_reference)
        states.append([p.detach().clone() for p in m.parameters()])
    for a, b in zip(*states):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_shared_memory_bound():
    _, params = _params(32)
    assert ka.fits(torch.empty(1, 32, 6, 6), params[0])
    assert not ka.fits(torch.empty(1, 32, 80, 80), params[0])  # 3 x 6400 floats: the reference runs


def test_cpu_tensors_use_the_reference():
    _, params = _params(8)
    x = torch.randn(2, 8, 4, 4)
    for g, w in zip(dual_path_attention(x, *params), dual_path_attention_reference(x, *params)):
        assert torch.equal(g, w)


@needs_gpu
@pytest.mark.parametrize("shape", [(512, 32, 6, 6), (3, 5, 1, 1), (2, 64, 24, 24)])
def test_cuda_kernel_matches_reference_with_gradients(shape):
    _, params = _params(shape[1])
    params = tuple(p.detach().cuda().requires_grad_(True) for p in params)
    x = torch.randn(*shape, device="cuda", requires_grad=True)
    got = ka.fused_dual_path_attention(x, *params, reference=dual_path_attention_reference)
    want = dual_path_attention_reference(x, *params)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)
    gy = torch.randn_like(got[0])
    inputs = (x, *params)
    for a, b in zip(
        torch.autograd.grad((got[0] * gy).sum(), inputs), torch.autograd.grad((want[0] * gy).sum(), inputs)
    ):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@needs_gpu
def test_dispatch_uses_the_kernel_on_cuda(monkeypatch):
    _, params = _params(32)
    params = tuple(p.detach().cuda() for p in params)
    x = torch.randn(16, 32, 6, 6, device="cuda")
    calls = []
    real = ka.fused_dual_path_attention
    monkeypatch.setattr(ka, "fused_dual_path_attention", lambda *a, **k: calls.append(1) or real(*a, **k))
    dual_path_attention(x, *params)
    assert calls
    monkeypatch.setenv("FACECLI_KERNELS", "reference")
    calls.clear()
    dual_path_attention(x, *params)
    assert not calls


@needs_gpu
def test_dispatch_trains_through_the_reference(monkeypatch):
    _, params = _params(32)
    params = tuple(p.detach().cuda().requires_grad_(True) for p in params)
    x = torch.randn(16, 32, 6, 6, device="cuda")
    calls = []
    real = ka.fused_dual_path_attention
    monkeypatch.setattr(ka, "fused_dual_path_attention", lambda *a, **k: calls.append(1) or real(*a, **k))
    y = dual_path_attention(x, *params)[0]
    assert not calls and y.requires_grad
    with torch.no_grad():
        dual_path_attention(x, *params)
    assert calls
