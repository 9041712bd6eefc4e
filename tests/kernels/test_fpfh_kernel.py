"""The FPFH kernels' per-thread code (host build) and, on a GPU, the CUDA build, against the
PyTorch reference and Open3D's neighbour search."""

import numpy as np
import pytest
import torch

from facecli.features.fpfh import fpfh, fpfh_reference, hybrid_neighbours
from facecli.kernels import fpfh as kf

from helpers.gpu import needs_cxx, needs_gpu


def _cloud(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A bumpy sphere cap with outward normals (a face-like patch), float32."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d[:, 2] = np.abs(d[:, 2])
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    r = 1.0 + 0.05 * np.sin(5 * d[:, 0]) * np.cos(4 * d[:, 1])
    return (d * r[:, None]).astype(np.float32), d.astype(np.float32)


def _host(pts, nrm, radius, max_nn, search):
    return kf.fpfh_tensors(
        torch.from_numpy(pts), torch.from_numpy(nrm), radius, max_nn, kf.host_backend(), search=search
    ).numpy()


@needs_cxx
@pytest.mark.parametrize("search", kf.SEARCHES)
@pytest.mark.parametrize("n,radius,max_nn", [(1001, 0.25, 50), (777, 0.4, 100), (333, 0.15, 7)])
def test_histograms_match_the_reference(search, n, radius, max_nn):
    pts, nrm = _cloud(n)
    ref = fpfh_reference(pts, nrm, radius, max_nn)
    out = _host(pts, nrm, radius, max_nn, search)
    assert out.shape == (n, 33) and out.dtype == np.float32
    # within 1e-4 of the histograms' scale (each 11-bin block sums to 100)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-2)
    assert np.abs(out - ref).max() / 100 < 1e-4


@needs_cxx
@pytest.mark.parametrize("search", kf.SEARCHES)
def test_neighbours_match_open3d(search):
    pts, _ = _cloud(500, seed=1)
    for max_nn in (100, 6):
        idx, d2, cnt = kf.radius_search(torch.from_numpy(pts), 0.2, max_nn, kf.host_backend(), search=search)
        o_idx, o_d2, o_cnt = hybrid_neighbours(pts, 0.2, max_nn)
        np.testing.assert_array_equal(cnt.numpy(), o_cnt)
        for i in range(len(pts)):
            c = int(cnt[i])
            assert idx[i, 0] == i  # the point itself first
            np.testing.assert_allclose(d2[i, :c].numpy(), o_d2[i, :c], rtol=1e-4, atol=1e-6)
            assert np.all(np.diff(d2[i, :c].numpy()) >= 0)
            if max_nn == 100:  # all within the radius: the same sets
                assert set(idx[i, :c].tolist()) == set(o_idx[i, :c].tolist())


@needs_cxx
def test_odd_sizes():
    b = kf.host_backend()
    one = _host(np.zeros((1, 3), np.float32), np.array([[0, 0, 1]], np.float32), 1.0, 10, "grid")
    assert one.shape == (1, 33) and not one.any()  # one point: no neighbour, all zero (as Open3D)
    pts, nrm = _cloud(37)
    far = pts * 100  # spread so nobody has a neighbour within the radius
    for s in kf.SEARCHES:
        assert not _host(far, nrm, 0.01, 10, s).any()
        idx, _, cnt = kf.radius_search(torch.from_numpy(far), 0.01, 10, b, search=s)
        assert (cnt == 1).all() and (idx[:, 0] == torch.arange(37, dtype=torch.int32)).all()
    empty = kf.fpfh_tensors(torch.zeros((0, 3)), torch.zeros((0, 3)), 1.0, 10, b)
    assert empty.shape == (0, 33)


def test_grid_tables_partition_the_points():
    pts, _ = _cloud(300, seed=2)
    g = kf.grid_tables(torch.from_numpy(pts), 0.1)
    assert sorted(g["order"].tolist()) == list(range(300))
    assert (g["keys"][1:] > g["keys"][:-1]).all() and int(g["sizes"].sum()) == 300
    assert (g["starts"][1:] == (g["starts"] + g["sizes"])[:-1]).all()
    cell = g["cell"].long()
    key = (cell[:, 2] * g["dims"][1] + cell[:, 1]) * g["dims"][0] + cell[:, 0]
    for m in range(len(g["keys"])):
        run = g["order"][g["starts"][m] : g["starts"][m] + g["sizes"][m]].long()
        assert (key[run] == g["keys"][m]).all()


@needs_cxx
def test_unknown_search_is_refused():
    with pytest.raises(ValueError, match="grid"):
        kf.radius_search(torch.zeros((3, 3)), 1.0, 4, kf.host_backend(), search="kdtree")


@needs_gpu
@pytest.mark.parametrize("search", kf.SEARCHES)
def test_cuda_kernel_matches_reference(search):
    for n in (1, 31, 1000, 4099):
        pts, nrm = _cloud(n, seed=n)
        ref = fpfh_reference(pts, nrm, 0.25, 60)
        out = kf.fpfh_numpy(pts, nrm, 0.25, 60, device="cuda", search=search)
        np.testing.assert_allclose(out, ref, rtol=0, atol=1e-2)


@needs_gpu
def test_fpfh_dispatches_to_the_kernel_on_cuda(monkeypatch):
    pts, nrm = _cloud(800)
    calls = []
    real = kf.fpfh_numpy
    monkeypatch.setattr(kf, "fpfh_numpy", lambda *a, **k: calls.append(1) or real(*a, **k))
    np.testing.assert_allclose(fpfh(pts, nrm, 0.25, 60, device="cuda"), fpfh_reference(pts, nrm, 0.25, 60), atol=1e-2)
    assert calls
    monkeypatch.setenv("FACECLI_KERNELS", "reference")
    calls.clear()
    fpfh(pts, nrm, 0.25, 60, device="cuda")
    assert not calls
