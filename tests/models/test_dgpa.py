import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from facecli.models.arcface import ArcFaceHead, arcface_logits
from facecli.models.attention import (
    DualPathAttention,
    dual_path_attention,
    dual_path_attention_reference,
    set_attention_impl,
)
from facecli.models.dgpa import DGPAConfig, DGPANet
from facecli.models.grid import gradient_energy, grid_boundaries, sample_cells


def _face_like(b=3, s=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(b, 3, s, s)
    # a textured blob whose position differs per image
    for i in range(b):
        cy, cx = s // 4 + s // 6 * i, s * 5 // 8 - s // 8 * i
        x[i, :, cy - 6 : cy + 6, cx - 6 : cx + 6] = torch.rand(3, 12, 12, generator=g)
    return x


@pytest.mark.parametrize("uniform", [0.0, 0.3, 1.0])
def test_grid_boundaries_monotone_and_cover(uniform):
    x = _face_like()
    rows, cols = grid_boundaries(x, 4, uniform)
    for bnd in (rows, cols):
        assert bnd.shape == (3, 5)
        assert torch.all(bnd[:, 0] == -1) and torch.all(bnd[:, -1] == 1)
        assert torch.all(torch.diff(bnd, dim=1) > 0)  # strictly increasing: no empty cell
    if uniform == 1.0:
        assert torch.allclose(rows, torch.linspace(-1, 1, 5).expand(3, -1))


def test_dynamic_grid_follows_gradient_energy():
    x = _face_like(b=3)
    rows, cols = grid_boundaries(x, 4, 0.3)
    # each image's cells crowd around its blob: the middle row boundary sits near the blob centre
    centres_y = torch.tensor([12 + 8 * i for i in range(3)], dtype=torch.float32)  # s = 48
    mid_y = (rows[:, 2] + 1) / 2 * 48
    assert torch.all((mid_y - centres_y).abs() < 4)
    assert rows[0, 2] < rows[1, 2] < rows[2, 2]  # boundaries differ per image
    # the share of energy inside each cell row is (nearly) equal for the energy part
    e = gradient_energy(x)
    assert e.shape == (3, 48, 48) and torch.all(e >= 0)
    # each cell is at least uniform/G of the side wide
    assert torch.all(torch.diff(rows, dim=1) >= 2 * 0.3 / 4 - 1e-5)


def test_sample_cells_uniform_grid_matches_pooling():
    f = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8)
    lin = torch.linspace(-1, 1, 5).expand(2, -1)
    cells = sample_cells(f, lin, lin, 2)  # 4x4 cells of 2x2 px sampled at pixel centres: exact
    assert cells.shape == (2, 16, 3, 2, 2)
    assert torch.allclose(cells[:, 5], f[:, :, 2:4, 2:4])  # row 1, column 1
    assert torch.allclose(cells[:, 14], f[:, :, 6:8, 4:6])  # row 3, column 2


@pytest.mark.parametrize("b,c,h,w,g,p", [(2, 3, 32, 32, 4, 6), (3, 8, 24, 20, 3, 5), (1, 1, 7, 9, 2, 4)])
def test_sample_cells_equals_grid_sample_with_gradients(b, c, h, w, g, p):
    """The separable form is grid_sample (bilinear, border, align_corners=False), values and
    gradients, bounds outside the image included."""
    torch.manual_seed(0)
    x = torch.randn(b, c, h, w, dtype=torch.float64, requires_grad=True)
    rows, cols = grid_boundaries(torch.randn(b, 1, h, w, dtype=torch.float64), g, uniform=0.3)
    rows[:, 0], cols[:, -1] = -1.3, 1.2  # beyond the edges: the border pixel
    frac = (torch.arange(p, dtype=x.dtype) + 0.5) / p

    def coords(bounds):
        return (bounds[:, :-1, None] + (bounds[:, 1:, None] - bounds[:, :-1, None]) * frac).reshape(b, g * p)

    grid = torch.stack(torch.broadcast_tensors(coords(cols)[:, None, :], coords(rows)[:, :, None]), dim=-1)
    want = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    want = want.reshape(b, c, g, p, g, p).permute(0, 2, 4, 1, 3, 5).reshape(b, g * g, c, p, p)
    got = sample_cells(x, rows, cols, p)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    gy = torch.randn_like(got)
    (g_got,), (g_want,) = torch.autograd.grad((got * gy).sum(), x), torch.autograd.grad((want * gy).sum(), x)
    torch.testing.assert_close(g_got, g_want, rtol=0, atol=1e-12)


def test_attention_shapes_and_ranges():
    att = DualPathAttention(16)
    x = torch.randn(5, 16, 6, 6)
    y = att(x, keep_maps=True)
    ch, sp = att.last_maps
    assert y.shape == x.shape and ch.shape == (5, 16) and sp.shape == (5, 1, 6, 6)
    assert torch.all((ch > 0) & (ch < 1)) and torch.all((sp > 0) & (sp < 1))
    # |y| <= |x| elementwise: both weights are in (0, 1)
    assert torch.all(y.abs() <= x.abs() + 1e-6)


def test_attention_reference_is_cbam():
    torch.manual_seed(0)
    att = DualPathAttention(8, reduction=2)
    x = torch.randn(2, 8, 5, 5)
    # independent CBAM written with modules
    mlp = torch.nn.Sequential(att.fc1, torch.nn.ReLU(), att.fc2)
    ch = torch.sigmoid(mlp(F.adaptive_avg_pool2d(x, 1).flatten(1)) + mlp(F.adaptive_max_pool2d(x, 1).flatten(1)))
    xc = x * ch[..., None, None]
    sp = torch.sigmoid(att.spatial(torch.cat([xc.mean(1, keepdim=True), xc.max(1, keepdim=True).values], 1)))
    assert torch.allclose(att(x), xc * sp, atol=1e-6)


def test_attention_goes_through_one_replaceable_function():
    calls = []

    def spy(*args):
        calls.append(args[0].shape)
        return dual_path_attention_reference(*args)

    prev = set_attention_impl(spy)
    try:
        net = DGPANet(DGPAConfig(width=8, cells=2, patch=4, dim=16, cell_dim=8))
        net.eval()
        net(torch.randn(2, 3, 32, 32))
    finally:
        set_attention_impl(prev)
    assert calls == [torch.Size([2 * 4, 16, 4, 4])]
    assert dual_path_attention.__module__ == "facecli.models.attention"


@pytest.mark.parametrize("grid,attention", [("dynamic", True), ("uniform", True), ("dynamic", False)])
def test_dgpa_embeddings_unit_and_grad(grid, attention):
    net = DGPANet(
        DGPAConfig(in_channels=6, width=8, cells=3, patch=4, dim=32, cell_dim=16, grid=grid, attention=attention)
    )
    x = torch.randn(4, 6, 40, 40, requires_grad=True)
    e = net(x)
    assert e.shape == (4, 32)
    assert torch.allclose(e.norm(dim=1), torch.ones(4), atol=1e-5)
    e.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert (net.attention is None) == (not attention)


def test_arcface_logits_margin():
    emb = F.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), dim=1)
    centres = torch.tensor([[math.cos(0.3), math.sin(0.3)], [0.0, 1.0]])
    labels = torch.tensor([0, 1])
    lg = arcface_logits(emb, centres, labels, scale=10.0, margin=0.5)
    # sample 0: angle 0.3 to its class -> cos(0.8); angle to class 1 is pi/2 -> 0
    assert lg[0, 0].item() == pytest.approx(10 * math.cos(0.8), abs=1e-5)
    assert lg[0, 1].item() == pytest.approx(0.0, abs=1e-5)
    # sample 1: angle 0 -> cos(0.5)
    assert lg[1, 1].item() == pytest.approx(10 * math.cos(0.5), abs=2e-3)  # sin clamped away from 0 for finite grads
    # past pi - m: the fallback keeps decreasing
    far = arcface_logits(
        F.normalize(torch.tensor([[-1.0, 0.01]]), dim=1), torch.tensor([[1.0, 0.0]]), torch.tensor([0]), 1.0, 0.5
    )
    assert far.item() == pytest.approx(math.cos(math.pi - 0.01) - 0.5 * math.sin(0.5), abs=1e-3)
    loss, acc = ArcFaceHead(2, 2, scale=10, margin=0.5)(emb, labels)
    assert loss.item() > 0 and 0 <= acc.item() <= 1


def test_cell_dim_must_be_even():
    with pytest.raises(ValueError, match="even cell_dim"):
        DGPANet(DGPAConfig(cell_dim=7))


def test_dgpa_deterministic_given_seed():
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        net = DGPANet(DGPAConfig(width=8, cells=2, patch=3, dim=16, cell_dim=8)).eval()
        outs.append(net(_face_like(2, 32)).detach().numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
