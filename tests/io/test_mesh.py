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


def test_ascii_ply_point_clouds_with_and_without_normals(tmp_path):
    from facecli.io.mesh import read_points

    pts = np.random.default_rng(0).normal(size=(20, 3)) * 50
    header = [
        "ply",
        "format ascii 1.0",
        "element vertex 20",
        "property float x",
        "property float y",
        "property float z",
    ]
    (tmp_path / "a.ply").write_text(
        "\n".join([*header, "end_header", *(" ".join(f"{v:.4f}" for v in p) for p in pts)]) + "\n"
    )
    m = read_points(tmp_path / "a.ply")
    assert m.vertices.shape == (20, 3) and m.normals is None and m.is_point_cloud
    np.testing.assert_allclose(m.vertices, pts, atol=1e-4)
    header += ["property float nx", "property float ny", "property float nz"]
    (tmp_path / "n.ply").write_text(
        "\n".join([*header, "end_header", *(" ".join(f"{v:.4f}" for v in p) + " 0 0 1" for p in pts)]) + "\n"
    )
    m = read_points(tmp_path / "n.ply")
    np.testing.assert_array_equal(m.normals, np.tile([0.0, 0.0, 1.0], (20, 1)))


def test_truncated_meshes_and_absurd_coordinates_are_refused(tmp_path):
    import trimesh

    from facecli.errors import FormatError

    box = trimesh.creation.box(extents=(100, 120, 80))
    ok = tmp_path / "ok.obj"
    write_mesh(ok, box.vertices, box.faces)
    data = ok.read_bytes()
    (tmp_path / "cut.obj").write_bytes(data[:-4])  # inside the last face line
    with pytest.raises(FormatError, match="cut.obj.*truncated"):
        read_mesh(tmp_path / "cut.obj")
    text = trimesh.exchange.ply.export_ply(box, encoding="ascii")
    (tmp_path / "cut.ply").write_bytes(text[: len(text) - 30])
    with pytest.raises(FormatError, match="cut.ply.*truncated"):
        read_mesh(tmp_path / "cut.ply")
    write_mesh(tmp_path / "huge.obj", box.vertices * 1e20, box.faces)
    with pytest.raises(FormatError, match="huge.obj.*corrupt"):
        read_mesh(tmp_path / "huge.obj")
    assert read_mesh(ok).faces.shape == (12, 3)


# -- point clouds in every common format (issue #27) -------------------------------


def _cloud(n: int = 60):
    rng = np.random.default_rng(7)
    pts = rng.normal(size=(n, 3)) * 40
    nrm = rng.normal(size=(n, 3))
    return pts, nrm / np.linalg.norm(nrm, axis=1, keepdims=True)


def _write_pcd(path, pts, nrm, binary):
    import open3d as o3d

    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    pc.normals = o3d.utility.Vector3dVector(nrm)
    assert o3d.io.write_point_cloud(str(path), pc, write_ascii=not binary)


@pytest.mark.parametrize(
    "kind", ["ply-ascii", "ply-binary", "pcd-ascii", "pcd-binary", "xyz", "xyzn", "pts", "npy3", "npy6", "PLY-upper"]
)
def test_every_cloud_format(tmp_path, kind):
    pts, nrm = _cloud()
    with_normals = kind in ("ply-binary", "pcd-ascii", "pcd-binary", "xyzn", "npy6")
    if kind == "ply-ascii":
        p = tmp_path / "c.ply"
        props = "".join(f"property float {c}\n" for c in "xyz")
        head = f"ply\nformat ascii 1.0\nelement vertex {len(pts)}\n{props}end_header\n"
        p.write_text(head + "\n".join(" ".join(f"{v:.6f}" for v in r) for r in pts) + "\n")
    elif kind in ("ply-binary", "PLY-upper"):
        p = write_points(tmp_path / "c.ply", pts, normals=nrm if with_normals else None)
        if kind == "PLY-upper":
            p = p.rename(tmp_path / "C.PLY")
    elif kind.startswith("pcd"):
        p = tmp_path / "c.pcd"
        _write_pcd(p, pts, nrm, binary=kind == "pcd-binary")
    elif kind in ("xyz", "xyzn"):
        p = tmp_path / f"c.{kind}"
        np.savetxt(p, np.c_[pts, nrm] if kind == "xyzn" else pts)
    elif kind == "pts":
        p = tmp_path / "c.pts"
        p.write_text(f"{len(pts)}\n" + "\n".join(" ".join(f"{v:.6f}" for v in r) for r in pts) + "\n")
    else:
        p = tmp_path / "c.npy"
        np.save(p, np.c_[pts, nrm] if kind == "npy6" else pts)
    m = read_points(p)
    np.testing.assert_allclose(m.vertices, pts, atol=1e-4)
    assert m.faces.shape == (0, 3)
    if with_normals:
        np.testing.assert_allclose(m.normals, nrm, atol=1e-4)


@pytest.mark.parametrize(
    "name,content,needle",
    [
        ("t.ply", None, "truncated"),
        ("w.npy", "shape", "(N, 3) or (N, 6)"),
        ("x.xyz", "1 2\n3 4\n", "at least 3 numbers"),
        ("e.xyz", "", "empty"),
        ("h.pcd", "nothing\n", "PCD header"),
        ("u.las", "x", "expected a point cloud"),
    ],
)
def test_broken_clouds_name_the_file(tmp_path, name, content, needle):
    p = tmp_path / name
    if name == "t.ply":
        full = write_points(tmp_path / "full.ply", _cloud()[0]).read_bytes()
        p.write_bytes(full[: len(full) - 100])
    elif name == "w.npy":
        np.save(p, np.zeros((4, 2)))
    else:
        p.write_text(content)
    with pytest.raises((FormatError, InputError)) as err:
        read_points(p)
    assert needle in str(err.value) and name in str(err.value)
