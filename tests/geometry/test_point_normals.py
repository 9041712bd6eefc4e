"""PCA normals of point clouds and their per-pixel splats; depth maps as surfaces."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import ValidationError
from facecli.geometry.depthmap import depth_to_mesh, parse_intrinsics, read_depth
from facecli.geometry.normals import median_spacing, pca_normals, splat_points
from facecli.geometry.raycast import MeshCaster
from facecli.geometry.view import fit_view
from facecli.metrics.normals import angular_errors


def _sphere_points(n=6000, r=50.0, seed=0):
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return d * r, d


def test_pca_normals_point_to_the_camera_and_are_accurate():
    p, true = _sphere_points()
    n = pca_normals(p, radius=3 * median_spacing(p))
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-9)
    assert (n[:, 2] >= 0).all()
    front = true[:, 2] > 0.3
    err = np.degrees(np.arccos(np.clip(np.abs(np.sum(n[front] * true[front], axis=1)), -1, 1)))
    assert np.median(err) < 2.0


def test_sparse_cloud_is_rejected_with_a_hint():
    p, _ = _sphere_points(200)
    with pytest.raises(ValidationError, match="units are mm"):
        pca_normals(p, radius=0.01, source="scan.ply")


def test_splat_matches_analytic_sphere():
    p, true = _sphere_points(20000)
    view = fit_view(p)
    m = splat_points(p, true * np.sign(true[:, 2:3] + 1e-9), view, 64, radius=1.5 * median_spacing(p) + 0.5)
    xy = view.pixel_centres(64)
    q = 1 - (xy[:, 0] ** 2 + xy[:, 1] ** 2) / 50.0**2
    gt = np.stack([xy[:, 0], xy[:, 1], 50 * np.sqrt(np.clip(q, 0, None))], 1) / 50.0
    interior = m.mask & (q.reshape(64, 64) > 0.2)
    assert interior.sum() > 1500
    err = angular_errors(m.normals, gt.reshape(64, 64, 3), interior)
    assert err.mean() < 3.0
    n = m.normals[m.mask]
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-5)
    assert (n[:, 2] >= 0).all()


def test_depth_map_of_a_plane(tmp_path):
    import cv2

    K = parse_intrinsics("500,500,40,30")
    h, w = 60, 80
    jj, ii = np.meshgrid(np.arange(w), np.arange(h))
    # a plane tilted about the vertical axis: Z = 600 + 0.5 X
    x_over_z = (jj - 40) / 500.0
    z = 600.0 / (1 - 0.5 * x_over_z)
    png = tmp_path / "d.png"
    cv2.imwrite(str(png), np.round(z * 10).astype(np.uint16))  # units of 0.1 mm
    depth = read_depth(png, scale=0.1)
    np.save(tmp_path / "d.npy", z)
    np.testing.assert_allclose(read_depth(tmp_path / "d.npy"), z)
    # canonical frame: X right, Y up, Z to the camera; the plane's normal ∝ (0.5, 0, 1) there
    n_true = np.array([0.5, 0.0, 1.0]) / np.linalg.norm([0.5, 0.0, 1.0])
    for d, tol in ((z, 0.05), (depth, 3.0)):  # exact float depth; PNG quantised to 0.1 mm
        verts, faces = depth_to_mesh(d, K)
        m = MeshCaster(verts, faces, shading="flat", manifold_check=False).render(fit_view(verts), 32)
        err = angular_errors(m.normals, np.broadcast_to(n_true, m.normals.shape), m.mask)
        assert m.mask.mean() > 0.5 and np.median(err) < tol


def test_depth_inputs_are_checked(tmp_path):
    import cv2

    bad = tmp_path / "eight_bit.png"
    cv2.imwrite(str(bad), np.full((8, 8), 100, np.uint8))
    with pytest.raises(ValidationError, match="16-bit single-channel depth PNG, got uint8.*eight_bit.png"):
        read_depth(bad)
    zeros = tmp_path / "zeros.npy"
    np.save(zeros, np.zeros((4, 4), np.float32))
    with pytest.raises(ValidationError, match="no valid depth|all zero"):
        read_depth(zeros)
    wrong = tmp_path / "complex.npy"
    np.save(wrong, np.zeros((4, 4), np.int8))
    with pytest.raises(ValidationError, match="dtype"):
        read_depth(wrong)
