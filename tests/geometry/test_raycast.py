"""Ray-cast normal maps: exactness on analytic shapes, unit length, orientation, scale pyramid, bad meshes."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import ValidationError
from facecli.geometry.raycast import MeshCaster, check_manifold
from facecli.geometry.view import OrthoView, fit_view
from facecli.metrics.normals import angular_errors


def _ellipsoid(axes=(60.0, 80.0, 40.0), subdivisions=4):
    import trimesh

    s = trimesh.creation.icosphere(subdivisions=subdivisions)
    return np.asarray(s.vertices) * np.asarray(axes), np.asarray(s.faces)


def _analytic(view: OrthoView, size: int, axes) -> tuple[np.ndarray, np.ndarray]:
    """Exact normals where a -Z ray through each pixel centre meets the ellipsoid."""
    a, b, c = axes
    xy = view.pixel_centres(size)
    q = 1 - (xy[:, 0] / a) ** 2 - (xy[:, 1] / b) ** 2
    inside = q > 0
    z = c * np.sqrt(np.clip(q, 0, None))
    n = np.stack([xy[:, 0] / a**2, xy[:, 1] / b**2, z / c**2], axis=1)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return n.reshape(size, size, 3), inside.reshape(size, size)


@pytest.mark.parametrize("axes", [(50.0, 50.0, 50.0), (60.0, 80.0, 40.0)])
def test_smooth_normals_match_analytic_shapes(axes):
    v, f = _ellipsoid(axes)
    caster = MeshCaster(v, f)
    view = fit_view(v)
    maps = caster.render_scales(view, [128, 64])
    for s, m in maps.items():
        gt, inside = _analytic(view, s, axes)
        # compare away from the silhouette (grazing rays hit the polygonal rim)
        interior = m.mask & inside & (gt[..., 2] > 0.3)
        err = angular_errors(m.normals, gt, interior)
        assert err.mean() < 0.5, (s, err.mean())
    flat = MeshCaster(v, f, shading="flat").render(view, 128)
    gt, inside = _analytic(view, 128, axes)
    interior = flat.mask & inside & (gt[..., 2] > 0.3)
    # flat shading is worse than smooth: the faceting shows
    assert angular_errors(flat.normals, gt, interior).mean() > angular_errors(maps[128].normals, gt, interior).mean()


def test_unit_length_and_orientation_towards_camera():
    v, f = _ellipsoid((50, 60, 30), subdivisions=3)
    f_mixed = f.copy()
    f_mixed[::2] = f_mixed[::2, ::-1]  # inconsistent winding: half the triangles face inwards
    for faces in (f, f_mixed):
        m = MeshCaster(v, faces, shading="flat").render(fit_view(v), 96)
        n = m.normals[m.mask]
        np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-5)
        assert (n[:, 2] >= 0).all()
        assert (m.normals[~m.mask] == 0).all() and (m.depth[~m.mask] == 0).all()
    sm = MeshCaster(v, f_mixed).render(fit_view(v), 96)
    assert (sm.normals[sm.mask][:, 2] >= 0).all()


def test_scale_pyramid_is_consistent():
    v, f = _ellipsoid((60, 80, 40))
    caster = MeshCaster(v, f)
    view = fit_view(v, margin=0.1)
    maps = caster.render_scales(view, [128, 64])
    fine, coarse = maps[128], maps[64]
    pooled = fine.normals.reshape(64, 2, 64, 2, 3).mean(axis=(1, 3))
    full = fine.mask.reshape(64, 2, 64, 2).all(axis=(1, 3)) & coarse.mask
    err = angular_errors(pooled, coarse.normals, full)
    assert err.mean() < 1.0
    # the same view: depth of the coarse pixel is close to the mean of its four fine pixels
    dpool = fine.depth.reshape(64, 2, 64, 2).mean(axis=(1, 3))
    assert np.median(np.abs(dpool - coarse.depth)[full]) < 0.5


def test_depth_is_distance_from_the_camera_plane():
    v, f = _ellipsoid((50, 50, 50), subdivisions=4)
    view = fit_view(v)
    m = MeshCaster(v, f).render(view, 65)
    centre = m.depth[32, 32]
    assert centre == pytest.approx(view.z_camera - 50.0, abs=0.3)


def test_non_manifold_and_degenerate_meshes_are_rejected():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1]], dtype=float)
    f = np.array([[0, 1, 2], [0, 1, 3], [0, 1, 4]])  # edge 0-1 shared by three triangles
    with pytest.raises(ValidationError, match="manifold.*in bad.obj"):
        check_manifold(f, source="bad.obj")
    MeshCaster(v, f, manifold_check=False)  # allowed when asked
    with pytest.raises(ValidationError, match="no triangles"):
        MeshCaster(v, np.zeros((0, 3), int), source="empty.obj")
    with pytest.raises(ValidationError, match="face indices"):
        MeshCaster(v, np.array([[0, 1, 9]]), source="x.obj")
