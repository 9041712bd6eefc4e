"""Scan-like training faces: a neck and cap added, the landmarks carried, the face box cut."""

from __future__ import annotations

import numpy as np

from facecli.io.mesh import read_mesh
from facecli.landmarks3d.augment import elliptic_tube, random_box, scan_like
from facecli.landmarks3d.data import load_landmark_set


def _face(root):
    ds = load_landmark_set(root)
    mesh = read_mesh(ds.scans[0].path)
    return mesh, ds.landmarks(mesh)


def test_the_same_stream_gives_the_same_scan(faces3d_dir):
    mesh, lm = _face(faces3d_dir)
    a = scan_like(mesh.vertices, mesh.faces, lm, np.random.default_rng(3))
    b = scan_like(mesh.vertices, mesh.faces, lm, np.random.default_rng(3))
    c = scan_like(mesh.vertices, mesh.faces, lm, np.random.default_rng(4))
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    assert a.parts == b.parts
    assert not np.array_equal(a.landmarks, c.landmarks)


def test_the_landmarks_stay_on_the_surface_and_a_neck_is_added(faces3d_dir):
    from scipy.spatial import cKDTree

    mesh, lm = _face(faces3d_dir)
    for seed in range(6):
        s = scan_like(mesh.vertices, mesh.faces, lm, np.random.default_rng(seed))
        assert s.parts[0] == "neck" and s.faces.max() < len(s.vertices)
        # each landmark is still on (a vertex of) the face: moved with it, only the noise apart
        d, _ = cKDTree(s.vertices).query(s.landmarks)
        assert np.median(d) < 1.0, (seed, s.parts, np.median(d))
        # the neck reaches below the chin (the face's lowest landmark, carried by the same turn)
        assert s.vertices[:, 1].min() < s.landmarks[:, 1].min() - 20.0
        # the landmarks kept the face's shape: the same distances up to the scale drawn (0.92-1.08)
        ratio = np.linalg.norm(s.landmarks[36] - s.landmarks[45]) / np.linalg.norm(lm[36] - lm[45])
        assert 0.9 < ratio < 1.1


def test_tube_and_box():
    v, f = elliptic_tube(np.zeros(3), (50.0, 40.0), (-100.0, 0.0), n_around=8, n_along=3)
    assert v.shape == (24, 3) and f.shape == (32, 3)
    np.testing.assert_allclose((v[:, 0] / 50.0) ** 2 + (v[:, 2] / 40.0) ** 2, 1.0)
    # outward normals (a scan's surface faces out)
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    centre = v[f].mean(axis=1)
    assert (np.sum(n[:, [0, 2]] * centre[:, [0, 2]], axis=1) > 0).all()
    boxes = np.array([random_box(np.random.default_rng(i)) for i in range(50)])
    assert (boxes > 0).all() and boxes[:, 1].min() < 90 < boxes[:, 1].max()


def test_single_views_and_remeshing_are_drawn_apart_and_keep_the_landmarks(faces3d_dir):
    """--scan-views / --scan-remesh: their own stream (the other parts unchanged), fewer
    triangles (the far side gone, or coarser), the landmarks still on the surface."""
    from facecli.landmarks3d.augment import remeshed, single_view

    mesh, lm = _face(faces3d_dir)
    plain = scan_like(mesh.vertices, mesh.faces, lm, np.random.default_rng(5))
    both = scan_like(
        mesh.vertices,
        mesh.faces,
        lm,
        np.random.default_rng(5),
        views=1.0,
        remesh=1.0,
        extra_rng=np.random.default_rng(1),
    )
    assert {"remeshed", "one view"} <= set(both.parts)
    assert [p for p in both.parts if p not in ("remeshed", "one view")] == list(plain.parts)
    np.testing.assert_array_equal(both.landmarks, plain.landmarks)  # the same turn: rng untouched
    assert len(both.faces) < 0.7 * len(plain.faces)
    import open3d as o3d

    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(both.vertices.astype(np.float32)), o3d.core.Tensor(both.faces.astype(np.uint32))
    )
    dist = scene.compute_distance(o3d.core.Tensor(both.landmarks[17:68].astype(np.float32))).numpy()
    assert np.median(dist) < 1.5  # the inner face points, on the remeshed surface
    # a side view loses the far cheek: fewer triangles seen from 60 degrees than from the front
    front = single_view(mesh.vertices, mesh.faces, 0.0)
    side = single_view(mesh.vertices, mesh.faces, 60.0)
    assert len(side) < len(front) <= len(mesh.faces)
    v, f = remeshed(mesh.vertices, mesh.faces, 0.25)
    assert abs(len(f) - 0.25 * len(mesh.faces)) < 0.05 * len(mesh.faces) and f.max() < len(v)
