"""facecli normals / normals train / evaluate normals through CliRunner and a real shell pipe."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader, ContainerWriter
from facecli.io.mesh import read_mesh, write_mesh

from helpers.cli import ok as _ok
from helpers.cli import one_line_error as _one_line_error

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_cap(tmp_path_factory):
    import torch

    from facecli.models.cap import CAPNet
    from facecli.train.checkpoint import save_model_file

    torch.manual_seed(0)
    net = CAPNet(width=4)
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_model_file(
        path,
        model="cap",
        config=net.config.as_dict(),
        state_dict=net.state_dict(),
        meta={"input_size": 32, "trained_on": "nothing (test)"},
    )
    return path


def test_meshes_to_multiscale_maps_with_texture(faces3d_dir, tmp_path):
    out = tmp_path / "n.h5"
    r = _ok(
        runner.invoke(
            app,
            [
                "normals",
                str(faces3d_dir),
                "-o",
                str(out),
                "--scales",
                "64,32",
                "--texture",
                "--preview",
                str(tmp_path / "prev"),
                "--json",
            ],
        )
    )
    assert json.loads(r.stdout)["processed"] == 4
    rd = ContainerReader(out, kind="normals")
    maps = {f"{k}_{s}" for k in ("normals", "mask", "depth", "texture") for s in (64, 32)}
    assert set(rd.keys()) == maps | {"view", "input_units", "non_manifold_edges", "dropped_faces", "turn", "turn_pivot"}
    np.testing.assert_array_equal(rd.read("turn"), np.tile(np.eye(3), (4, 1, 1)))  # upright faces: as given
    n, m = rd.read("normals_64"), rd.read("mask_64")
    assert n.dtype == np.float16 and n.shape == (4, 64, 64, 3)
    length = np.linalg.norm(n[m].astype(np.float32), axis=1)
    assert np.abs(length - 1).max() < 2e-3  # unit up to float16 rounding
    assert (n[m][:, 2] >= 0).all() and m.mean() > 0.3
    assert rd.read("texture_32").shape == (4, 32, 32, 5)
    assert len(list((tmp_path / "prev").glob("*.png"))) == 4
    # the default command name and the explicit one are the same command
    out2 = tmp_path / "n2.h5"
    _ok(runner.invoke(app, ["normals", "compute", str(faces3d_dir), "-o", str(out2), "--scales", "64,32", "--texture"]))
    np.testing.assert_array_equal(ContainerReader(out2).read("texture_64"), rd.read("texture_64"))


def test_pose_from_a_registration_result_frontalises(faces3d_dir, tmp_path):
    from facecli.geometry.transforms import euler_to_matrix
    from facecli.io.mesh import read_mesh, write_mesh

    mesh = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    rot = euler_to_matrix(25, 10, 0)
    moved = tmp_path / "scans" / "turned.obj"
    write_mesh(moved, mesh.vertices @ rot.T + [5.0, -3.0, 2.0], mesh.faces)
    back = np.eye(4)
    back[:3, :3] = rot.T
    back[:3, 3] = -rot.T @ np.array([5.0, -3.0, 2.0])
    reg = tmp_path / "reg.h5"
    with ContainerWriter(reg, "registration") as w:
        w.write("turned.obj", {"transform": back})
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    _ok(
        runner.invoke(
            app,
            [
                "normals",
                str(faces3d_dir / "1" / "1_neutral.obj"),
                "-o",
                str(a),
                "--scales",
                "64",
                "--width",
                "220",
                "--centre",
                "0,-20",
            ],
        )
    )
    _ok(
        runner.invoke(
            app,
            [
                "normals",
                str(tmp_path / "scans"),
                "-o",
                str(b),
                "--scales",
                "64",
                "--pose",
                str(reg),
                "--width",
                "220",
                "--centre",
                "0,-20",
            ],
        )
    )
    na, nb = ContainerReader(a).read("normals_64")[0], ContainerReader(b).read("normals_64")[0]
    ma, mb = ContainerReader(a).read("mask_64")[0], ContainerReader(b).read("mask_64")[0]
    both = ma & mb
    assert both.sum() > 0.95 * ma.sum()
    cos = np.sum(na[both].astype(np.float32) * nb[both].astype(np.float32), axis=1)
    assert np.median(np.degrees(np.arccos(np.clip(cos, -1, 1)))) < 1.0
    # a pose file without the input's id is a clear error
    _one_line_error(
        runner.invoke(app, ["normals", str(faces3d_dir / "1"), "-o", str(tmp_path / "c.h5"), "--pose", str(reg)]),
        "no pose for",
    )


def test_point_clouds_and_depth_maps(tmp_path):
    import cv2

    from facecli.io.mesh import write_points

    rng = np.random.default_rng(0)
    d = rng.normal(size=(4000, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    write_points(tmp_path / "ball.ply", 40 * d)
    out = tmp_path / "p.h5"
    _ok(runner.invoke(app, ["normals", str(tmp_path / "ball.ply"), "-o", str(out), "--scales", "32"]))
    n, m = ContainerReader(out).read("normals_32")[0], ContainerReader(out).read("mask_32")[0]
    assert m.sum() > 300 and (n[m][:, 2] >= 0).all()
    assert ContainerReader(out).params["geometry"]["radius"] is None  # default stated in the docs: 3x spacing

    jj, ii = np.meshgrid(np.arange(40), np.arange(40))
    depth = (600 + 0.02 * ((jj - 20) ** 2 + (ii - 20) ** 2)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "d.png"), depth)
    _one_line_error(
        runner.invoke(app, ["normals", str(tmp_path / "d.png"), "-o", str(tmp_path / "x.h5")]),
        "d.png is a depth map",
        "--intrinsics",
    )
    _ok(
        runner.invoke(
            app,
            [
                "normals",
                str(tmp_path / "d.png"),
                "-o",
                str(tmp_path / "d.h5"),
                "--scales",
                "32",
                "--intrinsics",
                "500,500,20,20",
            ],
        )
    )
    assert ContainerReader(tmp_path / "d.h5").read("mask_32")[0].mean() > 0.5
    cv2.imwrite(str(tmp_path / "grey.png"), np.full((8, 8), 9, np.uint8))
    _one_line_error(
        runner.invoke(
            app,
            [
                "normals",
                str(tmp_path / "grey.png"),
                "--kind",
                "depth",
                "--intrinsics",
                "500,500,4,4",
                "-o",
                str(tmp_path / "y.h5"),
            ],
        ),
        "16-bit",
        "grey.png",
    )


def test_bad_meshes_fail_clearly_and_skip_continues(faces3d_dir, tmp_path):
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "empty.obj").write_text("")
    (bad / "fan.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 -1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 2 5\n")
    src = (faces3d_dir / "1" / "1_neutral.obj").read_text()
    (bad / "good.obj").write_text(src)
    _one_line_error(
        runner.invoke(
            app, ["normals", str(bad / "fan.obj"), "-o", str(tmp_path / "a.h5"), "--manifold-check", "--frame", "all"]
        ),
        "manifold",
        "fan.obj",
    )
    _one_line_error(runner.invoke(app, ["normals", str(bad / "empty.obj"), "-o", str(tmp_path / "a.h5")]), "empty.obj")
    args = ["normals", str(bad), "-o", str(tmp_path / "b.h5"), "--scales", "32", "--on-error", "skip", "--json"]
    r = _ok(runner.invoke(app, [*args, "--manifold-check"]))
    s = json.loads(r.stdout)
    assert s["processed"] == 1 and s["failed"] == 2
    rd = ContainerReader(tmp_path / "b.h5")
    assert rd.ids == ["good.obj"] and {f["id"] for f in rd.failures()} == {"empty.obj", "fan.obj"}
    _one_line_error(
        runner.invoke(app, ["normals", str(bad / "good.obj"), "--scales", "64,x", "-o", str(tmp_path / "c.h5")]),
        "--scales",
        code=2,
    )


def test_images_with_cap_and_sobel_then_evaluate(tmp_path, tiny_cap):
    from facecli.synth.images import write_images

    root = tmp_path / "imgs"
    write_images(root, scheme="ibug68", count=3, seed=1, size=32)
    out = tmp_path / "cap.h5"
    _ok(
        runner.invoke(
            app,
            [
                "normals",
                str(root),
                "--pattern",
                "*.png",
                "-o",
                str(out),
                "--scales",
                "32,16",
                "--model",
                str(tiny_cap),
                "--texture",
                "--boxes",
                "image",
            ],
        )
    )
    rd = ContainerReader(out, kind="normals")
    assert len(rd) == 3 and "depth_32" not in rd.keys() and rd.read("texture_16").shape == (3, 16, 16, 5)
    n = rd.read("normals_32").astype(np.float32)
    assert np.abs(np.linalg.norm(n, axis=-1) - 1).max() < 2e-3
    ev = _ok(runner.invoke(app, ["evaluate", "normals", str(out), "--gt", str(root / "synth_gt.h5"), "--json"]))
    summ = json.loads(ev.stdout)
    assert summ["samples"] == 3 and list(summ["scales"]) == ["32"]  # the only scale both files have
    assert 0 < summ["scales"]["32"]["mean_deg"] <= 180
    # the ground truth against itself: zero error, full coverage
    self_ev = _ok(
        runner.invoke(
            app, ["evaluate", "normals", str(root / "synth_gt.h5"), "--gt", str(root / "synth_gt.h5"), "--json"]
        )
    )
    m = json.loads(self_ev.stdout)["scales"]["32"]
    assert m["mean_deg"] < 0.1 and m["coverage"] == 1.0 and m["pct_under_11.25"] == 100.0
    # maps framed on a detected face are refused against whole-image ground truth (a silent 3x error before)
    import h5py

    framed = tmp_path / "framed.h5"
    shutil.copy(out, framed)
    with h5py.File(framed, "r+") as f:
        src = f["face_box_source"]
        src[0] = "detector"
    r = runner.invoke(app, ["evaluate", "normals", str(framed), "--gt", str(root / "synth_gt.h5")])
    assert r.exit_code == 1 and "--boxes image" in r.stderr and "framed on a face box" in r.stderr
    sob = tmp_path / "sobel.h5"
    _ok(
        runner.invoke(
            app,
            ["normals", str(root), "--pattern", "*.png", "-o", str(sob), "--scales", "32", "--image-method", "sobel"],
        )
    )
    s = ContainerReader(sob).read("normals_32").astype(np.float32)
    assert np.abs(np.linalg.norm(s, axis=-1) - 1).max() < 2e-3
    _one_line_error(
        runner.invoke(
            app, ["normals", str(root), str(root / "synth_gt.h5"), "-o", str(tmp_path / "z.h5"), "--pattern", "*.png"]
        ),
        "synth_gt.h5",
    )


def test_sobel_baseline_is_unit_unlike_the_source_code():
    from facecli.normalmaps.sobel import sobel_normals

    img = (np.add.outer(np.arange(16), np.arange(16)) * 8).astype(np.uint8)
    n = sobel_normals(img, strength=4.0)
    np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=1e-6)
    # the published code's (-gx, -gy, 1) is longer than 1 wherever the image has a gradient
    import cv2

    g = img.astype(np.float32) / 255
    raw = np.stack([-4 * cv2.Sobel(g, cv2.CV_32F, 1, 0), -4 * cv2.Sobel(g, cv2.CV_32F, 0, 1), np.ones_like(g)], -1)
    assert np.linalg.norm(raw, axis=-1).max() > 1.1
    # brighter to the right = the surface rises to the right: the normal leans left (-x); brighter
    # downwards (image y) = rises towards -y (view frame, +y up): the normal leans up (+y)
    assert n[8, 8, 0] < 0 and n[8, 8, 1] > 0


def test_train_command_and_resume(tmp_path):
    from facecli.synth.images import write_images

    root = tmp_path / "r"
    write_images(root, scheme="ibug68", count=6, seed=2, size=32)
    out = tmp_path / "m.pt"
    args = [
        "normals",
        "train",
        str(root),
        "-o",
        str(out),
        "--epochs",
        "1",
        "--width",
        "4",
        "--crop",
        "24",
        "--batch-size",
        "3",
        "--val-fraction",
        "0.2",
        "--json",
    ]
    r = _ok(runner.invoke(app, args))
    assert json.loads(r.stdout)["outputs"] == [str(out)]
    assert (tmp_path / "m.pt.ckpt").exists()
    r2 = _ok(runner.invoke(app, [*args[:5], "--epochs", "2", *args[7:], "--resume"]))
    assert "resumed" in r2.stderr
    from facecli.normalmaps.predictor import load_cap

    p = load_cap(out)
    assert p.input_size == 32 and len(p.meta["history"]) == 2
    assert p.meta["synthetic"] is True  # the ground truth's producer is facecli synth
    _one_line_error(runner.invoke(app, ["normals", "train", str(tmp_path / "nothing"), "-o", str(out)]), "nothing")


def test_shell_pipe(faces3d_dir, tmp_path, facecli_bin):
    out = tmp_path / "piped.h5"
    cmd = (
        f"ls {faces3d_dir}/1/*.obj | {facecli_bin} -q normals - --scales 32 -o {out} | xargs {facecli_bin} info --json"
    )
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True)
    info = json.loads(res.stdout)["files"][0]
    assert info["kind"] == "normals" and info["samples"] == 2


# -- scans as scanners make them (issue #26) ---------------------------------------


def test_a_non_manifold_mesh_is_cast_and_noted(tmp_path):
    """A real scan with a few non-manifold edges (and a degenerate and a repeated triangle) is
    cast as it is, with a note, rather than refused (issue #26, item 4)."""
    from facecli.geometry.mesh_ops import grid_faces

    xs, ys = np.meshgrid(np.linspace(-60, 60, 41), np.linspace(-80, 80, 51))
    v = np.stack([xs.ravel(), ys.ravel(), 40 * np.exp(-(xs**2 + ys**2).ravel() / 3000)], 1)
    f = grid_faces(51, 41)
    n = len(v)
    v = np.concatenate([v, [[0.0, 0.0, 100.0]]])
    fin = f[100]  # a fin on one edge of triangle 100: that edge now has three triangles
    f = np.concatenate([f, [[fin[0], fin[1], n]], [[fin[0], fin[0], fin[1]]], f[5:6]])
    path = write_mesh(tmp_path / "scan.obj", v, f)
    r = _ok(runner.invoke(app, ["normals", str(path), "-o", str(tmp_path / "n.h5"), "--scales", "64"]))
    assert "1 edges shared by more than two triangles" in r.stderr and "2 degenerate or repeated" in r.stderr
    with ContainerReader(tmp_path / "n.h5") as rd:
        assert int(rd.read("non_manifold_edges")[0]) == 1 and int(rd.read("dropped_faces")[0]) == 2


def test_units_and_face_framing_of_a_head_scan(faces3d_dir, tmp_path):
    import trimesh

    from facecli.geometry.facefind import nose_tip

    m = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    tip = nose_tip(m.vertices)
    body = trimesh.creation.box(extents=[420, 300, 200])
    body.apply_translation(tip + [0, -320, -130])  # shoulders and chest below the face
    verts = np.concatenate([m.vertices, body.vertices]) / 1000.0  # in metres
    faces = np.concatenate([m.faces, body.faces + len(m.vertices)])
    path = write_mesh(tmp_path / "head.ply", verts, faces)
    bare = write_mesh(tmp_path / "bare.ply", m.vertices, m.faces)
    r = _ok(runner.invoke(app, ["normals", str(path), str(bare), "-o", str(tmp_path / "f.h5"), "--scales", "64"]))
    assert "1 input in m: scaled to mm" in r.stderr
    _ok(runner.invoke(app, ["normals", str(path), "-o", str(tmp_path / "a.h5"), "--scales", "64", "--frame", "all"]))
    with ContainerReader(tmp_path / "f.h5") as rd:
        views = dict(zip(rd.ids, rd.read("view")))
        assert sorted(rd.read("input_units").astype(str)) == ["m", "mm"]
    head = next(v for k, v in views.items() if "head" in k)
    face = next(v for k, v in views.items() if "bare" in k)
    np.testing.assert_allclose(head, face, atol=1e-3)  # the face framed alike, shoulders or not
    with ContainerReader(tmp_path / "a.h5") as rd:
        assert rd.read("view")[0][2] > 1.5 * face[2]  # --frame all: the whole body, the face small


def test_compression_changes_the_storage_not_the_maps(faces3d_dir, tmp_path):
    import h5py

    mesh = sorted(faces3d_dir.rglob("*.obj"))[0]
    maps = {}
    for comp in ("lzf", "gzip", "none"):
        out = tmp_path / f"{comp}.h5"
        extra = [] if comp == "lzf" else ["--compression", comp]  # lzf is the default
        _ok(runner.invoke(app, ["-q", "normals", str(mesh), "--scales", "32", "-o", str(out), *extra]))
        with h5py.File(out) as f:
            assert f["normals_32"].compression == {"none": None}.get(comp, comp)
        maps[comp] = ContainerReader(out, kind="normals").read("normals_32")
    assert np.array_equal(maps["lzf"], maps["gzip"]) and np.array_equal(maps["lzf"], maps["none"])
