"""MuSiCa: shapes, early exit, per-face independence, overfitting four faces."""

from __future__ import annotations

import pytest
import torch

from facecli.models.musica import MuSiCa, MuSiCaConfig, gaussian_pyramid, musica_loss, normalised_nme


def _net(n=68, crop=64):
    torch.manual_seed(0)
    return MuSiCa(MuSiCaConfig(n_landmarks=n, crop=crop))


def test_pyramid_and_patch_feature_size():
    p = gaussian_pyramid(torch.rand(2, 1, 142, 142), 3)
    assert [t.shape[-1] for t in p] == [142, 71, 36]
    net = MuSiCa(MuSiCaConfig())
    assert net.features[0].dim == 256 and len(net.patch_index) == 49
    assert sum(p.numel() for p in net.parameters()) * 4 / 1e6 < 10  # MB in float32


def test_pyramid_is_blur_then_every_second_pixel():
    """The strided blur gives exactly the binomial blur of the whole level, decimated."""
    import torch.nn.functional as F

    x = torch.rand(2, 1, 37, 52, generator=torch.Generator().manual_seed(0))
    k1 = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
    k = (k1[:, None] * k1[None, :])[None, None]
    want = [x]
    for _ in range(2):
        want.append(F.conv2d(F.pad(want[-1], (2, 2, 2, 2), mode="replicate"), k)[..., ::2, ::2])
    for got, ref in zip(gaussian_pyramid(x, 3), want):
        assert got.shape == ref.shape
        torch.testing.assert_close(got, ref, atol=1e-6, rtol=0)


def test_threshold_zero_is_the_full_cascade_and_faces_leave_independently():
    net = _net().eval()
    x = torch.randn(3, 1, 64, 64)
    with torch.no_grad():
        full = net(x)
        zero = net(x, exit_threshold=0.0)
        assert torch.equal(full.final, zero.final) and zero.exit_iteration.tolist() == [3, 3, 3]
        early = net(x, exit_threshold=1e9)  # everyone leaves after the first iteration
        assert early.exit_iteration.tolist() == [1, 1, 1] and torch.allclose(early.final, full.shapes[0])
        # a threshold between the faces' first predicted errors splits the batch
        e0 = full.errors[0]
        thr = float(e0.sort().values[1:].mean()) if float(e0.max() - e0.min()) > 0 else None
        if thr is not None:
            mixed = net(x, exit_threshold=thr)
            for i in range(3):
                k = int(mixed.exit_iteration[i]) - 1
                assert torch.allclose(mixed.final[i], full.shapes[k][i], atol=1e-5)
        one = net(x[1:2])
        assert torch.allclose(one.final[0], full.final[1], atol=1e-5)


def test_tiny_model_overfits_four_faces():
    torch.manual_seed(0)
    net = _net(crop=64)
    x = torch.randn(4, 1, 64, 64)
    gt = net.mean_shape.expand(4, -1, -1) + 0.1 * torch.randn(4, 68, 2)
    gt[:, 36] = torch.tensor([-0.4, -0.2])
    gt[:, 45] = torch.tensor([0.4, -0.2])
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    first = float(normalised_nme(net(x).final, gt).mean().detach())
    for _ in range(150):
        loss, _ = musica_loss(net(x), gt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = net.eval()(x)
    last = float(normalised_nme(out.final, gt).mean().detach())
    assert last < 0.25 * first
    # the predicted error has learnt the size of the remaining error
    assert float(out.errors[-1].mean().detach()) == pytest.approx(last, abs=0.05)


def test_extra_fine_iterations_run_at_full_resolution():
    cfg = MuSiCaConfig(n_landmarks=68, crop=64, extra_fine=1)
    assert cfg.iterations == 4 and [cfg.level_of(i) for i in range(4)] == [2, 1, 0, 0]
    torch.manual_seed(0)
    net = MuSiCa(cfg).eval()
    with torch.no_grad():
        out = net(torch.randn(2, 1, 64, 64))
        assert len(out.shapes) == 4 and out.exit_iteration.tolist() == [4, 4]
        assert net(torch.randn(2, 1, 64, 64), exit_threshold=1e9).exit_iteration.tolist() == [1, 1]


def test_fast_inference_path_equals_the_reference():
    """The im2col/channels-last inference path computes the NCHW reference's function,
    for the default patch and an odd one, and follows weight changes."""
    for patch in (14, 17):
        torch.manual_seed(1)
        f = MuSiCa(MuSiCaConfig(n_landmarks=68, crop=64, patch=patch)).features[0]
        x = torch.randn(2, 5, patch, patch)
        with torch.no_grad():
            torch.testing.assert_close(f.fast(x), f.reference(x), atol=1e-5, rtol=1e-5)
            f.attention.weight.mul_(-2.0)  # an in-place change must invalidate the packed weights
            f.conv2.bias.add_(0.5)
            torch.testing.assert_close(f.fast(x), f.reference(x), atol=1e-5, rtol=1e-5)
    net = _net().eval()
    x = torch.randn(3, 1, 64, 64)
    with torch.no_grad():
        fast = net(x)
    with torch.enable_grad():
        ref = net(x)  # autograd on: the reference path
    for a, b in zip(fast.shapes, ref.shapes):
        torch.testing.assert_close(a, b.detach(), atol=1e-5, rtol=1e-5)


def test_fast_path_keeps_small_work_buffers_only():
    """One face's maps are reused between calls; a big batch's are not kept."""
    torch.manual_seed(0)
    net = MuSiCa(MuSiCaConfig(n_landmarks=68, crop=64)).eval()
    with torch.no_grad():
        net(torch.randn(1, 1, 64, 64))
        ws = net.features[0].workspace
        assert ws is net.features[-1].workspace and ws  # one shared set for all iterations
        before = {k: v.data_ptr() for k, v in ws.items()}
        net(torch.randn(1, 1, 64, 64))
        assert {k: v.data_ptr() for k, v in ws.items()} == before
        big = net.features[0]
        big.KEEP_BYTES = 1024  # as if every map were large
        x = torch.randn(2, 5, 14, 14)
        torch.testing.assert_close(big.fast(x), big.reference(x), atol=1e-5, rtol=1e-5)
        assert all(v.numel() * v.element_size() <= 1024 for v in ws.values())
