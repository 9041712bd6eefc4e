"""From a mesh to the network's input: the two frames."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.geometry.facefind import nose_tip
from facecli.io.mesh import Mesh, read_mesh
from facecli.landmarks3d.data import NOSE_FRAME_MM, load_landmark_set, prepare_mesh


def _with_shoulders(mesh: Mesh) -> Mesh:
    import trimesh

    tip = nose_tip(mesh.vertices)
    body = trimesh.creation.box(extents=[420, 160, 200])
    body.apply_translation(tip + [0, -300, -130])
    return Mesh(
        vertices=np.concatenate([mesh.vertices, body.vertices]),
        faces=np.concatenate([mesh.faces, body.faces + len(mesh.vertices)]),
    )


def test_the_nose_frame_keeps_the_face_in_place_whatever_surrounds_it(faces3d_dir):
    mesh = read_mesh(load_landmark_set(faces3d_dir).scans[0].path)
    big = _with_shoulders(mesh)
    rng = np.random.default_rng
    a = prepare_mesh(mesh, 512, rng(0), k=None, crop_z=None, frame="nose")
    b = prepare_mesh(big, 512, rng(0), k=None, crop_z=None, frame="nose")
    np.testing.assert_allclose(a.center, nose_tip(mesh.vertices))
    np.testing.assert_allclose(b.center, a.center)
    assert a.scale == b.scale == 1.0 / NOSE_FRAME_MM
    # the source system's frame moves and shrinks the face when shoulders come in
    c = prepare_mesh(mesh, 512, rng(0), k=None, crop_z=None, frame="extent")
    d = prepare_mesh(big, 512, rng(0), k=None, crop_z=None, frame="extent")
    assert np.linalg.norm(d.center - c.center) > 30.0 and d.scale < 0.7 * c.scale
    # round trip
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(a.to_mm(a.to_normalised(x)), x)


def test_an_unknown_frame_is_refused(faces3d_dir):
    mesh = read_mesh(load_landmark_set(faces3d_dir).scans[0].path)
    with pytest.raises(ValueError, match="frame"):
        prepare_mesh(mesh, 64, np.random.default_rng(0), k=None, frame="centroid")


def test_origin_jitter_shifts_the_frame_and_keeps_the_landmarks_on_the_surface(faces3d_dir):
    from facecli.landmarks3d.data import prepare_many

    ds = load_landmark_set(faces3d_dir)
    items = ds.scans[:2]
    kw = {"n_points": 256, "k": 4, "seed": 0, "crop_z": None, "frame": "nose"}
    p0, l0 = prepare_many(items, ds, **kw)
    p1, l1 = prepare_many(items, ds, **kw, origin_jitter=3.0)
    p2, l2 = prepare_many(items, ds, **kw, origin_jitter=3.0)
    np.testing.assert_array_equal(l1, l2)  # seeded by the mesh id
    for a, b, la, lb in zip(p0, p1, l0, l1):
        shift = np.asarray(b.center) - np.asarray(a.center)
        assert 0.0 < np.abs(shift).max() <= 6.0 + 1e-9  # clipped at 2 sigma
        # points and landmarks move together: their offsets are unchanged, in mm
        np.testing.assert_allclose(b.to_mm(b.points), a.to_mm(a.points), atol=1e-3)
        np.testing.assert_allclose(b.to_mm(lb), a.to_mm(la), atol=1e-3)
        np.testing.assert_array_equal(b.neighbours, a.neighbours)
        assert not np.allclose(lb, la)  # the network's input frame did move
