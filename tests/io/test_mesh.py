import numpy as np
import pytest

from facecli.errors import FormatError, InputError, ValidationError
from facecli.io.mesh import read_mesh, read_points, write_mesh, write_points


@pytest.mark.parametrize("suffix", [".obj", ".ply"])
def test_mesh_round_trip_keeps_vertex_order(tmp_path, suffix):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(200, 3)) * 50
    f = rng.integers(0, 200, size=(300, 3))
    # duplicated vertices and unreferenced ones must survive as they are
    v[10] = v[11]
    p = write_mesh(tmp_path / f"m{suffix}", v, f)
    m = read_mesh(p)
    np.testing.assert_allclose(m.vertices, v, atol=1e-4)
    np.testing.assert_array_equal(m.faces, f)


def test_points_with_normals(tmp_path):
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(50, 3))
    nrm = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    m = read_points(write_points(tmp_path / "c.ply", pts, normals=nrm))
    assert m.is_point_cloud
    np.testing.assert_allclose(m.vertices, pts, atol=1e-6)
    np.testing.assert_allclose(m.normals, nrm, atol=1e-6)


def test_bad_meshes_give_clear_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_mesh(tmp_path / "none.obj")
    bad = tmp_path / "bad.obj"
    bad.write_text("")
    with pytest.raises(FormatError, match="bad.obj"):
        read_mesh(bad)
    with pytest.raises(ValidationError, match=r"expected \(N, 3\) points, got \(N, 2\)"):
        write_points(tmp_path / "x.ply", np.zeros((4, 2)))
