"""Normal maps of meshes: a face turned in the scanner is rendered upright and frontal."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from facecli.io.mesh import write_mesh
from facecli.normalmaps.geometry import GeometryOptions, geometry_normal_maps


def _face():
    from facecli.synth.face_model import build_vertices, mean_identity
    from facecli.synth.template import get_template

    return build_vertices(mean_identity(), {}), get_template().faces


def test_a_turned_face_is_rendered_as_the_upright_one(tmp_path):
    v, f = _face()
    r = Rotation.from_euler("xz", [90.0, 30.0], degrees=True).as_matrix()
    upright = write_mesh(tmp_path / "upright.ply", v, f)
    turned = write_mesh(tmp_path / "turned.ply", v @ r.T + [40.0, 500.0, -80.0], f)
    opts = GeometryOptions(scales=(64,))
    a = geometry_normal_maps(upright, "mesh", opts)
    b = geometry_normal_maps(turned, "mesh", opts)
    np.testing.assert_array_equal(a["turn"], np.eye(3))
    assert np.degrees(np.arccos((np.trace(b["turn"] @ r) - 1) / 2)) < 10.0
    both = a["mask_64"] & b["mask_64"]
    assert both.sum() > 0.8 * a["mask_64"].sum()
    cos = np.clip((a["normals_64"][both] * b["normals_64"][both]).sum(axis=1), -1, 1)
    assert np.degrees(np.arccos(cos)).mean() < 12.0  # the same face, a few degrees apart
    given = geometry_normal_maps(turned, "mesh", GeometryOptions(scales=(64,), orient="given"))
    np.testing.assert_array_equal(given["turn"], np.eye(3))
    both = a["mask_64"] & given["mask_64"]
    cos = np.clip((a["normals_64"][both] * given["normals_64"][both]).sum(axis=1), -1, 1)
    assert both.sum() < 0.5 * a["mask_64"].sum() or np.degrees(np.arccos(cos)).mean() > 30.0
