"""Units of a registration's clouds (auto, same, forced) and the face crop of a source scan."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.metrics import rotation_error_deg, translation_error
from facecli.registration import RegistrationConfig, register_clouds
from facecli.registration.units import face_mask, source_scale

from helpers.scans import make_scan_pair


def _face(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform([-75, -100, -60], [75, 100, 40], (400, 3))


def test_auto_scales_a_source_in_other_units_only():
    face = _face()
    assert source_scale(face / 1000.0, face) == 1000.0  # metres onto mm
    assert source_scale(face / 10.0, face) == 10.0  # centimetres onto mm
    assert source_scale(face, face / 1000.0) == 0.001  # mm onto metres
    assert source_scale(face * 1.4, face) == 1.0  # a larger scan, the same units
    # two fragments of a room, metres, one read as metres and one as centimetres by size: no scaling
    rng = np.random.default_rng(1)
    assert source_scale(rng.uniform(0, 2.8, (300, 3)), rng.uniform(0, 3.1, (300, 3))) == 1.0


def test_forced_and_same_units():
    face = _face()
    assert source_scale(face, face, "cm") == 10.0  # told the source is in cm; the target reads as mm
    assert source_scale(face / 1000.0, face / 1000.0, "m") == 1.0
    with pytest.raises(InputError, match=r"a\.ply spans .* b\.ply .*same units.*mm vs m.*--units"):
        source_scale(face / 1000.0, face, "same", source_name="a.ply", target_name="b.ply")
    with pytest.raises(InputError, match="same units"):  # 20x: no unit explains it
        source_scale(face * 20.0, face)
    with pytest.raises(InputError, match="--units"):
        source_scale(face, face, "inch")
    with pytest.raises(InputError, match="--units"):
        RegistrationConfig(units="inch")


def test_a_scan_in_metres_onto_a_template_in_mm():
    src, tgt, truth = make_scan_pair(angle_deg=40.0, outliers=0.0, seed=3)
    res = register_clouds(src / 1000.0, tgt)
    assert res.source_scale == 1000.0 and res.ok
    lin = res.transform[:3, :3]
    assert np.allclose(np.linalg.svd(lin)[1], 1000.0)  # a similarity: the scale is in the transform
    rigid = res.transform @ np.diag([1e-3, 1e-3, 1e-3, 1.0])
    assert rotation_error_deg(rigid, truth) < 0.5
    assert translation_error(rigid, truth) < 1.0
    # the transform maps the source as read onto the target
    moved = (src / 1000.0) @ lin.T + res.transform[:3, 3]
    assert np.abs(moved - (src @ truth[:3, :3].T + truth[:3, 3])).max() < 2.0


def _head_with_shoulders(seed: int):
    src, tgt, truth = make_scan_pair(angle_deg=0.0, outliers=0.0, seed=seed)
    rng = np.random.default_rng(seed)
    lo, hi = src.min(0), src.max(0)
    shoulders = rng.uniform([lo[0] - 150, lo[1] - 200, lo[2] - 60], [hi[0] + 150, lo[1] - 120, hi[2] - 60], (6000, 3))
    return np.concatenate([src, shoulders]), len(src), tgt, truth


def test_face_mask_keeps_the_face_and_drops_the_shoulders():
    head, n_face, tgt, _ = _head_with_shoulders(2)
    mask = face_mask(head, tgt)
    assert mask[:n_face].mean() > 0.98
    assert mask[n_face:].mean() < 0.02
    with pytest.raises(InputError, match="few.ply: .*face box"):
        face_mask(np.array([[0.0, 0, 0], [0, 0, 1000.0]] * 3), tgt, source_name="few.ply")


def test_face_crop_registers_a_head_with_shoulders():
    head, _, tgt, truth = _head_with_shoulders(2)
    res = register_clouds(head, tgt, RegistrationConfig(face_crop=True))
    assert rotation_error_deg(res.transform, truth) < 1.0
    assert translation_error(res.transform, truth) < 1.5


def test_face_mask_of_a_head_written_with_z_up(faces3d_dir, tmp_path):
    """The face box of a head scan written +Z up: taken in the face's upright frame (its
    orientation found on the mesh), it keeps the face and drops the shoulders; in the frame as
    written it cuts a third of the face away."""
    import trimesh
    from scipy.spatial.transform import Rotation

    from facecli.geometry.facefind import nose_tip
    from facecli.io.mesh import read_mesh, write_mesh
    from facecli.registration.pipeline import nose_start, source_orientation

    face = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    shoulders = trimesh.creation.box(extents=[420, 160, 200]).subdivide().subdivide().subdivide()
    shoulders.apply_translation(nose_tip(face.vertices) + [0, -260, -120])
    n = len(face.vertices)
    verts = np.concatenate([face.vertices, shoulders.vertices])
    faces = np.concatenate([face.faces, shoulders.faces + n])
    r = Rotation.from_euler("x", 90, degrees=True).as_matrix()
    v = verts @ r.T + [30.0, -200.0, 500.0]
    path = write_mesh(tmp_path / "head_zup.ply", v, faces)
    o = source_orientation(path, v, face.vertices, 1.0)
    assert o is not None and o.turned
    upright = face_mask(v, face.vertices, orientation=o)
    assert upright[:n].mean() > 0.95 and upright[n:].mean() < 0.01
    as_written = face_mask(v, face.vertices)
    assert as_written[:n].mean() < 0.8
    # the start turns the cut face upright and puts its nose tip on the template's
    start = nose_start(v[upright], face.vertices, o)
    moved = v[:n] @ start[:3, :3].T + start[:3, 3]
    assert np.linalg.norm(moved - face.vertices, axis=1).mean() < 10.0
    # a point cloud has no surface to render: its frame is trusted
    from facecli.io.mesh import write_points

    cloud = write_points(tmp_path / "cloud.ply", v)
    assert source_orientation(cloud, v, face.vertices, 1.0) is None
