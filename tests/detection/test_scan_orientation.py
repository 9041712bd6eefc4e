"""Which way the face on a mesh looks: the face detector on renders of it."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.detection.scan_orientation import (
    TEMPLATE_FIVE_MM,
    ScanOrientation,
    find_face_orientation,
    rotation_between,
    sphere_directions,
)


def _rot(axis: str, deg: float) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    return Rotation.from_euler(axis, deg, degrees=True).as_matrix()


def _angle(r: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1.0) / 2.0, -1.0, 1.0))))


@pytest.fixture(scope="module")
def face():
    """The mean synthetic face (FaceScape frame, mm) with its 68 landmark vertices."""
    from facecli.synth.face_model import build_vertices, mean_identity
    from facecli.synth.template import get_template

    tpl = get_template()
    return build_vertices(mean_identity(), {}), tpl.faces, tpl.ibug68


def test_rotation_between_recovers_a_turn_with_scale_and_shift():
    r = _rot("xyz", [30.0, -50.0, 120.0])
    target = 1.3 * TEMPLATE_FIVE_MM @ r.T + np.array([5.0, -7.0, 40.0])
    got = rotation_between(TEMPLATE_FIVE_MM, target)
    np.testing.assert_allclose(got, r, atol=1e-9)
    assert np.isclose(np.linalg.det(got), 1.0)


def test_sphere_directions_cover_the_sphere():
    d = sphere_directions(48)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    rng = np.random.default_rng(0)
    probe = rng.normal(size=(2000, 3))
    probe /= np.linalg.norm(probe, axis=1, keepdims=True)
    # every direction lies within 25 degrees of a view: the detector's reach in yaw
    worst = np.degrees(np.arccos(np.clip((probe @ d.T).max(axis=1), -1, 1))).max()
    assert worst < 25.0


def test_an_upright_face_is_left_as_it_is_after_one_look(face):
    v, f, _ = face
    o = find_face_orientation(v, f)
    assert o.found and not o.turned
    assert o.angle < 10.0
    assert o.views <= 3  # found in the view as given: no search
    np.testing.assert_array_equal(o.rotation, np.eye(3))


@pytest.mark.parametrize(("axis", "deg"), [("x", 90.0), ("y", 70.0), ("z", 180.0), ("xyz", (40.0, 70.0, 20.0))])
def test_a_turned_face_is_found_and_turned_back(face, axis, deg):
    """Stood on +Z, in profile, upside down, or turned about all three axes: the rotation that
    makes it upright and forward again is found within 10 degrees."""
    v, f, lm = face
    r = _rot(axis, deg)
    shift = np.array([300.0, -120.0, 45.0])
    o = find_face_orientation(v @ r.T + shift, f)
    assert o.found and o.turned
    assert _angle(o.rotation @ r) < 10.0  # undoes the turn
    # the five points sit on the face: the nose point on the nose
    nose = v[lm[30]]
    assert np.linalg.norm(o.keypoints[2] - (nose @ r.T + shift)) < 12.0  # on the nose
    # to_canonical / from_canonical are inverse
    p = np.random.default_rng(0).normal(size=(5, 3)) * 50
    np.testing.assert_allclose(o.from_canonical(o.to_canonical(p)), p, atol=1e-9)


def test_no_face_means_nothing_found():
    import trimesh

    ball = trimesh.creation.icosphere(subdivisions=3, radius=80.0)
    o = find_face_orientation(ball.vertices, ball.faces)
    assert not o.found and not o.turned
    assert isinstance(o, ScanOrientation) and np.isnan(o.angle)
    np.testing.assert_array_equal(o.rotation, np.eye(3))
