"""FPFH: agreement with Open3D, histogram invariants, degenerate cases, validation."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import ValidationError
from facecli.features.fpfh import fpfh, fpfh_reference, hybrid_neighbours, pair_features, spfh


def _face_cloud(n_step: float = 3.0):
    from facecli.registration.preprocess import estimate_normals, voxel_downsample

    from helpers.scans import make_scan_pair

    _, tgt, _ = make_scan_pair(angle_deg=0, outliers=0.0, spacing=2.0)
    pts = voxel_downsample(tgt, n_step)
    return pts, estimate_normals(pts, 2 * n_step)


def _open3d_fpfh(pts, nrm, radius, max_nn):
    import open3d as o3d

    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    pc.normals = o3d.utility.Vector3dVector(nrm)
    param = o3d.geometry.KDTreeSearchParamHybrid(radius=radius, max_nn=max_nn)
    return np.asarray(o3d.pipelines.registration.compute_fpfh_feature(pc, param).data).T


def test_matches_open3d_float64():
    pts, nrm = _face_cloud()
    ref = _open3d_fpfh(pts, nrm, 15.0, 100)
    ours = fpfh(pts, nrm, 15.0, 100, dtype="float64")
    assert ours.shape == ref.shape == (len(pts), 33)
    row_err = np.abs(ours - ref).max(1)
    # identical except rows touched by a near-tie at a bin edge (one pair moves one bin)
    assert np.mean(row_err < 1e-3) > 0.97
    assert np.abs(ours - ref).mean() < 0.01


def test_matches_open3d_float32_and_small_max_nn():
    pts, nrm = _face_cloud()
    for max_nn in (100, 12):
        ref = _open3d_fpfh(pts, nrm, 15.0, max_nn)
        ours = fpfh(pts, nrm, 15.0, max_nn)
        assert np.abs(ours - ref).mean() < 0.1


def test_a_wrong_definition_would_disagree():
    """The agreement test can fail: 1/d weighting instead of 1/d^2 is caught."""
    import torch

    from facecli.features import fpfh as mod

    pts, nrm = _face_cloud()
    ref = _open3d_fpfh(pts, nrm, 15.0, 100)
    idx, d2, cnt = hybrid_neighbours(pts, 15.0, 100)
    t = lambda a, dt=torch.float64: torch.as_tensor(np.ascontiguousarray(a), dtype=dt)  # noqa: E731
    wrong = mod._fpfh_torch(t(pts.T), t(nrm.T), t(idx, torch.int64), t(np.sqrt(d2)), t(cnt, torch.int64), 4096)
    assert np.abs(wrong.numpy() - ref).mean() > 0.05


def test_spfh_blocks_sum_to_100_and_isolated_point_is_zero():
    import torch

    rng = np.random.default_rng(0)
    pts = rng.normal(size=(300, 3))
    pts = np.concatenate([pts, [[100.0, 100.0, 100.0]]])  # isolated
    nrm = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    idx, _, cnt = hybrid_neighbours(pts, 1.0, 30)
    sp = spfh(torch.tensor(pts.T.copy()), torch.tensor(nrm.T.copy()), torch.tensor(idx), torch.tensor(cnt)).numpy()
    has = cnt > 1
    np.testing.assert_allclose(sp[has].reshape(-1, 3, 11).sum(-1), 100.0, rtol=1e-9)
    assert np.all(sp[-1] == 0)
    f = fpfh_reference(pts, nrm, 1.0, 30)
    assert np.all(f[-1] == 0)


def test_pair_features_degenerate_pairs_are_zero():
    import torch

    z = torch.zeros(2, dtype=torch.float64)
    o = torch.ones(2, dtype=torch.float64)
    p1 = (z, z, z)
    n1 = (z, z, o)
    p2 = (torch.tensor([0.0, 0.0], dtype=torch.float64), z, torch.tensor([0.0, 1.0], dtype=torch.float64))
    alpha, cv, cd = pair_features(p1, n1, p2, n1)  # coincident; normal parallel to the line
    assert torch.all(alpha == 0) and torch.all(cv == 0) and torch.all(cd == 0)


def test_validation_errors():
    pts = np.zeros((20, 3))
    with pytest.raises(ValidationError, match="normals"):
        fpfh(pts, np.zeros((19, 3)), 1.0)
    with pytest.raises(ValidationError, match=r"\(N, 3\)"):
        fpfh(np.zeros((20, 2)), np.zeros((20, 3)), 1.0)
    with pytest.raises(ValidationError, match="radius"):
        fpfh(pts, pts, 0.0)


def test_the_numpy_cpu_path_equals_the_torch_reference():
    """The CPU path (numpy/SciPy, no torch import) and the plain-PyTorch reference agree."""
    pts, nrm = _face_cloud()
    cpu = fpfh(pts, nrm, 15.0, 100)  # device cpu, float32: the numpy path
    ref = fpfh_reference(pts, nrm, 15.0, 100)
    row_err = np.abs(cpu - ref).max(1)
    assert np.mean(row_err < 1e-2) > 0.99  # a bin-edge tie in float32 may move one pair
    assert np.abs(cpu - ref).mean() < 1e-3


def test_neighbours_follow_the_hybrid_rule():
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 10, size=(400, 3))
    idx, d2, cnt = hybrid_neighbours(pts, 2.0, 8)
    assert (cnt <= 8).all() and (idx[:, 0] == np.arange(len(pts))).all()
    for i in (0, 17, 399):
        d = np.sort(np.sum((pts - pts[i]) ** 2, 1))
        k = int(cnt[i])
        assert k == min(8, int(np.sum(d <= 4.0)))
        np.testing.assert_allclose(d2[i, :k], d[:k], atol=1e-9)
