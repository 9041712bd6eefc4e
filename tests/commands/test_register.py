"""facecli register / evaluate register through CliRunner and a real shell pipe."""

from __future__ import annotations

import json
import subprocess

import numpy as np
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader

runner = CliRunner()


def test_single_pair_with_aligned_and_preview(pairs_dir, tmp_path):
    src, tgt = pairs_dir / "pair_0000" / "source.ply", pairs_dir / "pair_0000" / "target.ply"
    out = tmp_path / "one.h5"
    r = runner.invoke(
        app,
        [
            "register",
            str(src),
            str(tgt),
            "-o",
            str(out),
            "--id",
            "pair_0000",
            "--write-aligned",
            str(tmp_path / "aligned.ply"),
            "--preview",
            str(tmp_path / "p.png"),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["processed"] == 1 and summary["outputs"] == [str(out)]
    rd = ContainerReader(out, kind="registration")
    assert rd.read("transform").shape == (1, 4, 4)
    assert (tmp_path / "aligned.ply").stat().st_size > 0
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    ev = runner.invoke(app, ["evaluate", "register", str(out), "--gt", str(pairs_dir / "gt.h5"), "--json"])
    assert ev.exit_code == 0, ev.stderr
    # only pair_0000 was predicted: 1 of 3 found
    assert json.loads(ev.stdout)["found"] == 1


def test_batch_pairs_resume_and_evaluate(pairs_dir, tmp_path):
    out = tmp_path / "reg.h5"
    r1 = runner.invoke(app, ["register", "--pairs", str(pairs_dir), "-o", str(out), "--shard", "1/2"])
    assert r1.exit_code == 0, r1.stderr
    first = ContainerReader(out).read("transform").copy()
    assert len(first) == 2  # pairs 0 and 2
    r2 = runner.invoke(app, ["register", "--pairs", str(pairs_dir), "-o", str(out), "--resume", "--json"])
    assert r2.exit_code == 0, r2.stderr
    s = json.loads(r2.stdout)
    assert s["processed"] == 1 and s["resumed_skipped"] == 2
    rd = ContainerReader(out)
    assert sorted(rd.ids) == ["pair_0000", "pair_0001", "pair_0002"]
    np.testing.assert_array_equal(rd.read("transform")[: len(first)], first)
    csv = tmp_path / "per_pair.csv"
    ev = runner.invoke(
        app, ["evaluate", "register", str(out), "--gt", str(pairs_dir / "gt.h5"), "--csv", str(csv), "--json"]
    )
    assert ev.exit_code == 0, ev.stderr
    m = json.loads(ev.stdout)
    assert m["recall"] == 1.0 and m["re_median_deg"] < 0.5
    assert len(csv.read_text().splitlines()) == 4


def test_same_seed_same_output_regardless_of_workers(pairs_dir, tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    assert runner.invoke(app, ["--seed", "5", "register", "--pairs", str(pairs_dir), "-o", str(a)]).exit_code == 0
    rb = runner.invoke(app, ["--seed", "5", "register", "--pairs", str(pairs_dir), "-o", str(b), "--workers", "2"])
    assert rb.exit_code == 0, rb.stderr
    np.testing.assert_array_equal(ContainerReader(a).read("transform"), ContainerReader(b).read("transform"))


def test_bad_inputs_exit_1_with_one_line(tmp_path, pairs_dir):
    empty = tmp_path / "empty.ply"
    from facecli.io.mesh import write_points

    write_points(tmp_path / "few.ply", np.random.default_rng(0).normal(size=(5, 3)))
    empty.write_text("not a ply")
    tgt = str(pairs_dir / "pair_0000" / "target.ply")
    for bad, needle in (
        (tmp_path / "few.ply", "at least 10 points"),
        (empty, "empty.ply"),
        (tmp_path / "missing.ply", "no such file"),
    ):
        r = runner.invoke(app, ["register", str(bad), tgt, "-o", str(tmp_path / "x.h5")])
        assert r.exit_code == 1
        assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = runner.invoke(app, ["register", tgt, "-o", str(tmp_path / "x.h5")])
    assert r.exit_code == 2 and "SRC TGT" in r.stderr  # a usage error


def test_shell_pipe_template_batch(facecli_bin, pairs_dir, tmp_path):
    """ls scans | facecli register --template T - : a real pipe, then evaluate in the same shell."""
    tpl = pairs_dir / "pair_0001" / "target.ply"
    cmd = (
        f"set -o pipefail; ls {pairs_dir}/pair_000[01]/source.ply | {facecli_bin} -q register --template {tpl} - -o "
        f"{tmp_path}/tpl.h5 "
        f"| xargs {facecli_bin} info --json"
    )
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["files"][0]["samples"] == 2 and info["files"][0]["kind"] == "registration"
    rd = ContainerReader(tmp_path / "tpl.h5")
    # pair_0001's own source onto its own target: the ground truth applies
    gt = ContainerReader(pairs_dir / "gt.h5")
    i = rd.ids.index(next(x for x in rd.ids if "pair_0001" in x))
    from facecli.metrics import rotation_error_deg

    assert rotation_error_deg(rd.read("transform")[i], gt.read("transform")[1]) < 1.0


def test_batch_write_aligned_keeps_meshes_and_layout(faces3d_dir, tmp_path):
    """--write-aligned on a FaceScape root writes full meshes (faces, vertex order) under the same relative paths."""
    from facecli.io.mesh import read_mesh

    template = sorted(faces3d_dir.glob("*/1_*.obj"))[0]
    out, aligned = tmp_path / "reg.h5", tmp_path / "aligned"
    r = runner.invoke(
        app,
        [
            "register",
            "--template",
            str(template),
            str(faces3d_dir),
            "--pattern",
            "2_*.obj",
            "-o",
            str(out),
            "--write-aligned",
            str(aligned),
        ],
    )
    assert r.exit_code == 0, r.stderr
    rd = ContainerReader(out, kind="registration")
    assert len(rd) == 2
    for i, sid in enumerate(rd.ids):
        src, moved = read_mesh(faces3d_dir / sid), read_mesh(aligned / sid)
        t = rd.sample(i)["transform"]
        np.testing.assert_array_equal(moved.faces, src.faces)
        np.testing.assert_allclose(moved.vertices, src.vertices @ t[:3, :3].T + t[:3, 3], atol=1e-3)


# -- formats, the flag, .log files, the seed (issue #27) ---------------------------


def test_one_pair_alone_equals_the_same_pair_in_a_batch(pairs_dir, tmp_path):
    batch, one = tmp_path / "batch.h5", tmp_path / "one.h5"
    assert runner.invoke(app, ["register", "--pairs", str(pairs_dir), "-o", str(batch)]).exit_code == 0
    src, tgt = pairs_dir / "pair_0002" / "source.ply", pairs_dir / "pair_0002" / "target.ply"
    r = runner.invoke(app, ["register", str(src), str(tgt), "-o", str(one), "--id", "anything"])
    assert r.exit_code == 0, r.stderr
    b = dict(zip(ContainerReader(batch).ids, ContainerReader(batch).read("transform")))
    np.testing.assert_array_equal(ContainerReader(one).read("transform")[0], b["pair_0002"])


def test_flag_scales_and_quality_are_stored_and_shown(pairs_dir, tmp_path):
    out = tmp_path / "r.h5"
    r = runner.invoke(app, ["-v", "register", "--pairs", str(pairs_dir), "-o", str(out), "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["ok"] == 3
    assert "voxel" in r.stderr and "3 of 3 flagged ok" in r.stderr
    rd = ContainerReader(out)
    assert rd.read("ok").all() and rd.read("scales").shape == (3, 7) and rd.read("quality").shape == (3, 5)
    assert rd.params["voxel"] is None  # derived per pair
    # an impossible threshold flags every pair, with a warning naming what failed
    r = runner.invoke(app, ["register", "--pairs", str(pairs_dir), "-o", str(tmp_path / "s.h5"), "--min-fitness", "1"])
    assert r.exit_code == 0 and "likely wrong (fitness" in r.stderr and "0 of 3 flagged ok" in r.stderr


def test_log_output_and_evaluation_against_a_log(pairs_dir, tmp_path):
    import shutil

    from facecli.io.trajectory import LogEntry, read_log, write_log

    frag = tmp_path / "scene"
    frag.mkdir()
    shutil.copy(pairs_dir / "pair_0001" / "target.ply", frag / "cloud_bin_0.ply")
    shutil.copy(pairs_dir / "pair_0001" / "source.ply", frag / "cloud_bin_1.ply")
    gt = dict(zip(ContainerReader(pairs_dir / "gt.h5").ids, ContainerReader(pairs_dir / "gt.h5").read("transform")))
    write_log(tmp_path / "gt.log", [LogEntry(0, 1, 2, gt["pair_0001"])])
    out, log = tmp_path / "r.h5", tmp_path / "out.log"
    r = runner.invoke(
        app,
        ["register", str(frag / "cloud_bin_1.ply"), str(frag / "cloud_bin_0.ply"), "-o", str(out), "--log", str(log)],
    )
    assert r.exit_code == 0, r.stderr
    (e,) = read_log(log)
    assert (e.target, e.source, e.count) == (0, 1, 2)
    np.testing.assert_allclose(e.transform, ContainerReader(out).read("transform")[0], atol=1e-9)
    for pred in (log, out):  # the .log, or the container with its fragment numbers
        ev = runner.invoke(
            app, ["evaluate", "register", str(pred), "--gt", str(tmp_path / "gt.log"), "--sources", str(frag), "--json"]
        )
        assert ev.exit_code == 0, ev.stderr
        m = json.loads(ev.stdout)
        assert m["found"] == 1 and m["recall"] == 1.0 and m["recall_rmse"] == 1.0 and m["rmse_median_mm"] < 0.5
    # synth-pairs folders carry no fragment numbers: --log says so
    r = runner.invoke(
        app, ["register", "--pairs", str(pairs_dir), "-o", str(tmp_path / "p.h5"), "--log", str(tmp_path / "p.log")]
    )
    assert r.exit_code == 1 and "fragment numbers" in r.stderr


def test_every_cloud_format_and_a_bad_one_skipped(pairs_dir, tmp_path):
    from facecli.io.mesh import read_points

    src = read_points(pairs_dir / "pair_0000" / "source.ply").vertices
    tgt = pairs_dir / "pair_0000" / "target.ply"
    d = tmp_path / "scans"
    d.mkdir()
    np.save(d / "a.npy", src)
    np.savetxt(d / "b.xyz", src)
    (d / "c.pts").write_text(f"{len(src)}\n" + "\n".join(" ".join(f"{v:.6f}" for v in p) for p in src) + "\n")
    (d / "d.ply").write_text(
        f"ply\nformat ascii 1.0\nelement vertex {len(src)}\nproperty float x\nproperty float y\nproperty float z\n"
        "end_header\n" + "\n".join(" ".join(f"{v:.6f}" for v in p) for p in src) + "\n"
    )
    (d / "broken.pcd").write_text("not a pcd file\n")
    out = tmp_path / "t.h5"
    r = runner.invoke(app, ["register", "--template", str(tgt), str(d), "-o", str(out), "--on-error", "skip", "--json"])
    assert r.exit_code == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["processed"] == 4 and s["failed"] == 1 and "broken.pcd" in s["failures"][0]["error"]
    t = ContainerReader(out).read("transform")
    np.testing.assert_allclose(t, np.broadcast_to(t[0], t.shape), atol=1e-3)  # one scan, four formats


def test_a_single_cpu_call_imports_no_torch_open3d_or_trimesh(pairs_dir, tmp_path):
    """The cold start of `register A B` (issue #27: under 1.5 s on 2 cores) rests on this."""
    import os
    import sys

    src, tgt = pairs_dir / "pair_0000" / "source.ply", pairs_dir / "pair_0000" / "target.ply"
    code = (
        "import sys\n"
        "from facecli.commands.main import main\n"
        f"sys.argv = ['facecli', '-q', 'register', {str(src)!r}, {str(tgt)!r}, '-o', {str(tmp_path / 'c.h5')!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print(sorted(m for m in ('torch', 'open3d', 'trimesh', 'cv2', 'torch_geometric') if m in sys.modules))\n"
    )
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_help_shows_every_derived_default():
    r = runner.invoke(app, ["register", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    for needle in ("1/80 of the target's box diagonal", "(default: voxel / 2)", "(default: 3 x voxel)", "Success flag"):
        assert needle in text, needle


def test_a_source_in_metres_onto_a_target_in_mm(pairs_dir, tmp_path):
    from facecli.io.mesh import read_points, write_points

    src = read_points(pairs_dir / "pair_0000" / "source.ply").vertices
    write_points(tmp_path / "in_m.ply", src / 1000.0)
    tgt = str(pairs_dir / "pair_0000" / "target.ply")
    mm = runner.invoke(
        app, ["register", str(pairs_dir / "pair_0000" / "source.ply"), tgt, "-o", str(tmp_path / "a.h5")]
    )
    assert mm.exit_code == 0, mm.stderr
    r = runner.invoke(
        app,
        [
            "register",
            str(tmp_path / "in_m.ply"),
            tgt,
            "-o",
            str(tmp_path / "b.h5"),
            "--write-aligned",
            str(tmp_path / "moved.ply"),
        ],
    )
    assert r.exit_code == 0, r.stderr
    assert "1 source in other units than the target: scaled by 1000" in r.stderr
    a, b = ContainerReader(tmp_path / "a.h5"), ContainerReader(tmp_path / "b.h5")
    assert float(b.read("source_scale")[0]) == 1000.0 and float(a.read("source_scale")[0]) == 1.0
    tb = b.read("transform")[0] @ np.diag([1e-3, 1e-3, 1e-3, 1.0])
    np.testing.assert_allclose(tb, a.read("transform")[0], atol=0.05)  # the same answer, the scale folded in
    moved = read_points(tmp_path / "moved.ply").vertices
    ta = a.read("transform")[0]
    assert np.abs(moved - (src @ ta[:3, :3].T + ta[:3, 3])).max() < 0.5  # written in the target's units
    same = runner.invoke(
        app, ["register", str(tmp_path / "in_m.ply"), tgt, "-o", str(tmp_path / "c.h5"), "--units", "same"]
    )
    assert same.exit_code == 1 and "same units" in same.stderr and len(same.stderr.strip().splitlines()) == 1


def test_face_crop_of_a_head_written_with_z_up(faces3d_dir, tmp_path):
    """--face-crop on a head scan written +Z up, with shoulders: --orient auto (the default) cuts
    the face in its upright frame and registers it onto the upright template."""
    import trimesh
    from scipy.spatial.transform import Rotation

    from facecli.geometry.facefind import nose_tip
    from facecli.io.mesh import read_mesh, write_mesh
    from facecli.metrics import rotation_error_deg

    face = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    tip = nose_tip(face.vertices)
    shoulders = trimesh.creation.box(extents=[420, 160, 200])
    shoulders.apply_translation(tip + [0, -260, -120])
    n = len(face.vertices)
    verts = np.concatenate([face.vertices, shoulders.vertices])
    faces = np.concatenate([face.faces, shoulders.faces + n])
    r = Rotation.from_euler("x", 90, degrees=True).as_matrix()
    shift = np.array([30.0, -200.0, 500.0])
    src = write_mesh(tmp_path / "head_zup.ply", verts @ r.T + shift, faces)
    template = write_mesh(tmp_path / "template.ply", face.vertices, face.faces)
    truth = np.eye(4)
    truth[:3, :3], truth[:3, 3] = r.T, -r.T @ shift  # the scan back onto the upright face
    out = tmp_path / "reg.h5"
    res = runner.invoke(app, ["register", "--template", str(template), str(src), "-o", str(out), "--face-crop"])
    assert res.exit_code == 0, res.stderr
    with ContainerReader(out, kind="registration") as rd:
        t = rd.read("transform")[0]
        assert "auto" in json.dumps(rd.params)
    moved = (face.vertices @ r.T + shift) @ t[:3, :3].T + t[:3, 3]
    assert rotation_error_deg(t, truth) < 2.0
    assert np.linalg.norm(moved - face.vertices, axis=1).mean() < 2.0
