"""facecli landmarks3d train/predict and evaluate landmarks3d through CliRunner and a real shell pipe."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader, ContainerWriter
from facecli.io.mesh import read_mesh, write_mesh, write_points

from helpers.cli import ok as _ok
from helpers.cli import one_line_error as _one_line_error

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_model(faces3d_dir, tmp_path_factory):
    model = tmp_path_factory.mktemp("sgcn") / "sgcn.pt"
    r = _ok(
        runner.invoke(
            app,
            [
                "-q",
                "--seed",
                "0",
                "landmarks3d",
                "train",
                str(faces3d_dir),
                "-o",
                str(model),
                "--points",
                "1024",
                "--k",
                "8",
                "--epochs",
                "2",
                "--val-fraction",
                "0.5",
                "--json",
            ],
        )
    )
    summary = json.loads(r.stdout)
    assert summary["outputs"] == [str(model)] and summary["val_err_mm"] > 0
    return model


def test_predict_outputs_and_resume(faces3d_dir, tiny_model, tmp_path):
    out, pts, prev = tmp_path / "lm.h5", tmp_path / "pts", tmp_path / "prev"
    args = ["-q", "landmarks3d", "predict", str(faces3d_dir), "-o", str(out), "--model", str(tiny_model)]
    r = _ok(runner.invoke(app, [*args, "--pts", str(pts), "--preview", str(prev), "--json"]))
    assert json.loads(r.stdout)["processed"] == 4
    with ContainerReader(out, kind="landmarks3d") as c:
        assert c.ids == ["1/1_neutral.obj", "1/2_smile.obj", "2/1_neutral.obj", "2/2_smile.obj"]
        lm, vid = c.read("landmarks"), c.read("vertex")
        assert lm.shape == (4, 68, 3) and vid.shape == (4, 68) and c.read("confidence").shape == (4, 68)
    import h5py

    with h5py.File(out, "r") as f:
        assert f["landmarks"].attrs["units"] == "mm" and f["landmarks"].attrs["scheme"] == "facescape-v10"
    mesh = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    assert np.allclose(lm[0], mesh.vertices[vid[0]], atol=1e-3)  # refined landmarks are mesh vertices
    text = (pts / "1__1_neutral.pts").read_text().splitlines()
    assert text[1].split() == ["n_points:", "68"] and len(text[4].split()) == 4
    assert sorted(p.name for p in prev.iterdir())[0] == "1__1_neutral.png"
    again = _ok(runner.invoke(app, [*args, "--resume", "--json"]))
    assert json.loads(again.stdout)["resumed_skipped"] == 4


def test_no_refine_keeps_stage_one(faces3d_dir, tiny_model, tmp_path):
    out = tmp_path / "lm.h5"
    _ok(
        runner.invoke(
            app,
            [
                "-q",
                "landmarks3d",
                "predict",
                str(faces3d_dir / "1" / "1_neutral.obj"),
                "-o",
                str(out),
                "--model",
                str(tiny_model),
                "--no-refine",
            ],
        )
    )
    with ContainerReader(out) as c:
        assert np.array_equal(c.read("landmarks"), c.read("stage_one"))


def test_samples_are_recorded_and_change_the_estimate(faces3d_dir, tiny_model, tmp_path):
    import json

    import h5py

    mesh = str(faces3d_dir / "1" / "1_neutral.obj")
    base = ["-q", "landmarks3d", "predict", mesh, "--model", str(tiny_model), "--no-refine"]
    _ok(runner.invoke(app, [*base, "-o", str(tmp_path / "one.h5")]))
    _ok(runner.invoke(app, [*base, "-o", str(tmp_path / "two.h5"), "--samples", "2"]))
    with h5py.File(tmp_path / "two.h5", "r") as f:
        assert json.loads(f.attrs["params"])["samples"] == 2
    one = ContainerReader(tmp_path / "one.h5").read("stage_one")
    two = ContainerReader(tmp_path / "two.h5").read("stage_one")
    assert one.shape == two.shape and not np.allclose(one, two)
    r = runner.invoke(app, [*base, "-o", str(tmp_path / "x.h5"), "--samples", "0"])
    assert r.exit_code == 2


def test_same_seed_same_output(faces3d_dir, tiny_model, tmp_path):
    mesh = faces3d_dir / "2" / "2_smile.obj"
    outs = []
    for name in ("a.h5", "b.h5"):
        _ok(
            runner.invoke(
                app,
                [
                    "-q",
                    "--seed",
                    "3",
                    "landmarks3d",
                    "predict",
                    str(mesh),
                    "-o",
                    str(tmp_path / name),
                    "--model",
                    str(tiny_model),
                ],
            )
        )
        outs.append(ContainerReader(tmp_path / name).read("landmarks"))
    assert np.array_equal(outs[0], outs[1])


def test_mesh_with_another_vertex_count(faces3d_dir, tiny_model, tmp_path):
    import trimesh

    m = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    v, f = trimesh.remesh.subdivide(m.vertices, m.faces)
    keep = np.flatnonzero(v[:, 1] > -100)  # also drop the chin tip: a different vertex set
    remap = -np.ones(len(v), int)
    remap[keep] = np.arange(len(keep))
    f = remap[f][(remap[f] >= 0).all(1)]
    other = write_mesh(tmp_path / "dense.obj", v[keep], f)
    out = tmp_path / "lm.h5"
    _ok(runner.invoke(app, ["-q", "landmarks3d", "predict", str(other), "-o", str(out), "--model", str(tiny_model)]))
    with ContainerReader(out) as c:
        assert c.read("landmarks").shape == (1, 68, 3)
        assert c.read("vertex").max() < len(keep) and len(keep) != len(m.vertices)


def test_bad_inputs_one_line_errors(faces3d_dir, tiny_model, tmp_path):
    cloud = write_points(tmp_path / "cloud.ply", np.random.default_rng(0).random((50, 3)))
    r = runner.invoke(
        app, ["landmarks3d", "predict", str(cloud), "-o", str(tmp_path / "x.h5"), "--model", str(tiny_model)]
    )
    _one_line_error(r, "cloud.ply", "point cloud")
    m = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    metres = write_mesh(tmp_path / "metres.obj", m.vertices / 1000.0, m.faces)
    r = runner.invoke(
        app,
        ["landmarks3d", "predict", str(metres), "-o", str(tmp_path / "y.h5"), "--model", str(tiny_model)]
        + ["--units", "mm"],
    )
    _one_line_error(r, "metres.obj", "millimetres")  # forced to mm: refused, with the advice
    r = runner.invoke(app, ["landmarks3d", "predict", str(cloud), "--model", str(tmp_path / "missing.pt")])
    _one_line_error(r, "missing.pt")
    r = runner.invoke(app, ["landmarks3d", "train", str(tmp_path), "-o", str(tmp_path / "m.pt")])
    _one_line_error(r, str(tmp_path))


def test_evaluate_ground_truth_indices_give_zero(faces3d_dir, tmp_path):
    from facecli.landmarks3d.data import load_landmark_set

    ds = load_landmark_set(faces3d_dir)
    gt = tmp_path / "gt.h5"
    with ContainerWriter(gt, "landmarks3d", producer="test") as w:
        for s in ds.scans:
            mesh = read_mesh(s.path)
            w.write(s.id, {"landmarks": ds.landmarks(mesh).astype(np.float32), "vertex": ds.indices})
    r = _ok(
        runner.invoke(
            app,
            [
                "evaluate",
                "landmarks3d",
                str(gt),
                "--gt",
                str(faces3d_dir),
                "--json",
                "--plot",
                str(tmp_path / "bar.png"),
                "--csv",
                str(tmp_path / "e.csv"),
            ],
        )
    )
    s = json.loads(r.stdout)
    assert s["meshes"] == 4 and s["mean_mm"] < 1e-4 and s["max_mm"] < 1e-4
    assert (tmp_path / "bar.png").stat().st_size > 1000
    assert len((tmp_path / "e.csv").read_text().splitlines()) == 5


def test_evaluate_matches_known_offsets(faces3d_dir, tmp_path):
    from facecli.landmarks3d.data import load_landmark_set

    ds = load_landmark_set(faces3d_dir)
    pred = tmp_path / "p.h5"
    with ContainerWriter(pred, "landmarks3d", producer="test") as w:
        for k, s in enumerate(ds.scans):
            lm = ds.landmarks(read_mesh(s.path)) + np.array([0.0, 0.0, 1.0 + k])  # mesh k is off by 1 + k mm
            w.write(s.id, {"landmarks": lm.astype(np.float32), "vertex": ds.indices})
    s = json.loads(
        _ok(runner.invoke(app, ["evaluate", "landmarks3d", str(pred), "--gt", str(faces3d_dir), "--json"])).stdout
    )
    assert s["mean_mm"] == pytest.approx(2.5, abs=1e-4)
    assert s["subjects_mm"] == pytest.approx({"1": 1.5, "2": 3.5}, abs=1e-4)
    assert s["regions_mm"]["nose"] == pytest.approx(2.5, abs=1e-4)


def test_shell_pipe(faces3d_dir, tiny_model, tmp_path, facecli_bin):
    out = tmp_path / "lm.h5"
    cmd = (
        f"find {faces3d_dir} -name '1_*.obj' | sort | {facecli_bin} -q landmarks3d predict - -o {out} "
        f"--model {tiny_model} --no-refine | xargs -I{{}} {facecli_bin} evaluate landmarks3d {{}} --gt "
        f"{faces3d_dir} --json"
    )
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["meshes"] == 2


# -- scans as scanners make them (issue #26) ---------------------------------------


def _predict(paths, tiny_model, out, *extra):
    args = ["landmarks3d", "predict", *map(str, paths), "-o", str(out), "--model", str(tiny_model), *extra]
    r = _ok(runner.invoke(app, args))
    with ContainerReader(out, kind="landmarks3d") as rd:
        return r, dict(zip(rd.ids, rd.read("landmarks"))), dict(zip(rd.ids, rd.read("vertex")))


def test_units_are_read_from_the_size_and_said(faces3d_dir, tiny_model, tmp_path):
    m = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    got = {}
    for u, k in (("mm", 1), ("cm", 10), ("m", 1000)):
        d = tmp_path / u  # one name in three folders: the same id, so the same seeded point sample
        write_mesh(d / "face.ply", m.vertices / k, m.faces)  # binary floats: no rounding of small units
        r, lm, vx = _predict([d], tiny_model, tmp_path / f"{u}.h5", "--pattern", "*.ply")
        got[u] = (lm["face.ply"], vx["face.ply"])
        if u != "mm":
            assert f"1 mesh in {u}: scaled to mm" in r.stderr
        with ContainerReader(tmp_path / f"{u}.h5") as rd:
            assert rd.read("input_units").astype(str).tolist() == [u]
    for u in ("cm", "m"):
        np.testing.assert_allclose(got[u][0], got["mm"][0], atol=1e-3)
        np.testing.assert_array_equal(got[u][1], got["mm"][1])


def test_a_head_with_shoulders_and_a_cap_gives_the_bare_face_landmarks(faces3d_dir, tiny_model, tmp_path):
    import trimesh

    from facecli.geometry.facefind import nose_tip

    m = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    tip = nose_tip(m.vertices)
    shoulders = trimesh.creation.box(extents=[420, 160, 200])
    shoulders.apply_translation(tip + [0, -260, -120])  # below the chin, wider than the head
    cap = trimesh.creation.icosphere(subdivisions=3, radius=110)
    cap.apply_translation(tip + [0, 245, -150])  # a cap on top of the head, above the face box
    n = len(m.vertices)
    verts = np.concatenate([m.vertices, shoulders.vertices, cap.vertices])
    faces = np.concatenate([m.faces, shoulders.faces + n, cap.faces + n + len(shoulders.vertices)])
    write_mesh(tmp_path / "head" / "scan.obj", verts, faces)
    write_mesh(tmp_path / "bare" / "scan.obj", m.vertices, m.faces)  # same id "scan.obj": same point sample
    _, head, vh = _predict([tmp_path / "head"], tiny_model, tmp_path / "h.h5")
    _, bare, vb = _predict([tmp_path / "bare"], tiny_model, tmp_path / "b.h5")
    assert np.abs(head["scan.obj"] - bare["scan.obj"]).max() < 1.0
    np.testing.assert_array_equal(vh["scan.obj"], vb["scan.obj"])  # vertex indices of the whole mesh
    # without the face crop the shoulders and the cap enter the network's input
    _, whole, _ = _predict([tmp_path / "head"], tiny_model, tmp_path / "n.h5", "--no-face-crop")
    assert np.abs(whole["scan.obj"] - bare["scan.obj"]).max() > 1.0


def test_low_confidence_warns_and_min_confidence_fails(faces3d_dir, tiny_model, tmp_path):
    import trimesh

    blob = trimesh.creation.icosphere(subdivisions=4, radius=90)
    path = write_mesh(tmp_path / "blob.obj", blob.vertices, blob.faces)
    face = faces3d_dir / "1" / "1_neutral.obj"
    r, lm, _ = _predict([path, face], tiny_model, tmp_path / "c.h5", "--json")
    with ContainerReader(tmp_path / "c.h5") as rd:
        conf = dict(zip(rd.ids, [float(np.mean(c)) for c in rd.read("confidence")]))
    cut = (conf[str(path)] + conf[str(face)]) / 2  # between the sphere's and the face's
    assert conf[str(path)] < conf[str(face)]
    r = runner.invoke(
        app,
        ["landmarks3d", "predict", str(path), str(face), "-o", str(tmp_path / "d.h5"), "--model", str(tiny_model)]
        + ["--min-confidence", f"{cut:.4f}", "--on-error", "skip", "--json"],
    )
    assert r.exit_code == 0, r.stderr
    s = json.loads(r.stdout)
    assert (
        s["failed"] == 1 and "min-confidence" in s["failures"][0]["error"] and "blob.obj" in s["failures"][0]["error"]
    )


def test_train_fine_tunes_scan_like_in_the_nose_frame(faces3d_dir, tiny_model, tmp_path):
    """--init, --frame nose and --scan-like through the command line; predict reads the frame."""
    model = tmp_path / "scan.pt"
    args = ["-q", "--seed", "0", "landmarks3d", "train", str(faces3d_dir), "-o", str(model), "--points", "1024"]
    args += ["--k", "8", "--epochs", "1", "--val-fraction", "0.5", "--init", str(tiny_model), "--frame", "nose"]
    scan = ["--scan-like", "1", "--crop-z", "none", "--origin-jitter", "2", "--scan-views", "0.5", "--scan-remesh", "1"]
    _ok(runner.invoke(app, [*args, *scan]))
    from facecli.train.checkpoint import load_model_file

    obj = load_model_file(model, model="sgcn")
    assert obj["config"]["frame"] == "nose" and obj["meta"]["options"]["scan_like"] == 1.0
    assert obj["meta"]["options"]["origin_jitter"] == 2.0
    assert obj["meta"]["options"]["scan_views"] == 0.5 and obj["meta"]["options"]["scan_remesh"] == 1.0
    out = tmp_path / "lm.h5"
    _ok(runner.invoke(app, ["-q", "landmarks3d", "predict", str(faces3d_dir), "-o", str(out), "--model", str(model)]))
    with ContainerReader(out, kind="landmarks3d") as c:
        assert np.isfinite(c.read("landmarks")).all()
    r = runner.invoke(app, [*args[:-2], "--frame", "centroid"])
    assert r.exit_code != 0


def test_a_face_turned_in_the_scanner_is_turned_back(faces3d_dir, tmp_path):
    """A mesh with +Z up (the face looking along -Y), somewhere else: --orient auto finds the
    face, turns it upright for the (shipped) model and writes the landmarks in the mesh's own
    frame, as accurate as on the upright mesh; --orient given feeds the model a face it cannot
    read."""
    from scipy.spatial.transform import Rotation

    from facecli.landmarks3d.data import load_landmark_set

    ds = load_landmark_set(faces3d_dir)
    m = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    truth = ds.landmarks(m)
    r = Rotation.from_euler("x", 90, degrees=True).as_matrix()
    shift = np.array([250.0, 40.0, -600.0])
    write_mesh(tmp_path / "upright" / "scan.obj", m.vertices, m.faces)
    write_mesh(tmp_path / "turned" / "scan.obj", m.vertices @ r.T + shift, m.faces)

    def predict(folder, out, *extra):
        _ok(runner.invoke(app, ["landmarks3d", "predict", str(tmp_path / folder), "-o", str(tmp_path / out), *extra]))
        with ContainerReader(tmp_path / out, kind="landmarks3d") as rd:
            return rd.read("landmarks")[0], rd.read("turn")[0], rd.params["orient"]

    up, turn_up, _ = predict("upright", "u.h5")
    turned, turn, orient = predict("turned", "t.h5")
    err_up = np.linalg.norm(up - truth, axis=1).mean()
    err_turned = np.linalg.norm((turned - shift) @ r - truth, axis=1).mean()  # back in the upright frame
    assert err_up < 3.0 and err_turned < 3.0, (err_up, err_turned)
    assert orient == "auto"
    np.testing.assert_array_equal(turn_up, np.eye(3))  # upright: used as given
    assert np.degrees(np.arccos((np.trace(turn @ r) - 1) / 2)) < 10.0  # the turn undoes the scanner's
    given, turn_given, _ = predict("turned", "g.h5", "--orient", "given")
    np.testing.assert_array_equal(turn_given, np.eye(3))
    assert np.linalg.norm((given - shift) @ r - truth, axis=1).mean() > 15.0


def test_a_chest_in_front_of_the_nose_does_not_take_the_face_crop(faces3d_dir, tmp_path):
    """A head scan whose chest lies further forward than the nose (the head tilted back): the
    face detector's nose point keeps the nose tip on the nose (--orient auto), so the face crop
    and the landmarks are those of the bare face; trusting the most forward point they are not."""
    import trimesh

    from facecli.geometry.facefind import nose_tip
    from facecli.landmarks3d.data import load_landmark_set

    ds = load_landmark_set(faces3d_dir)
    m = read_mesh(faces3d_dir / "1" / "1_neutral.obj")
    truth = ds.landmarks(m)
    tip = nose_tip(m.vertices)
    chest = trimesh.creation.box(extents=[240, 100, 30])
    while len(chest.vertices) < 20000:  # as densely sampled as a scan
        chest = chest.subdivide()
    chest.apply_translation(tip + [0, -180, 25])  # its front 40 mm ahead of the nose tip
    n = len(m.vertices)
    write_mesh(
        tmp_path / "head" / "scan.obj",
        np.concatenate([m.vertices, chest.vertices]),
        np.concatenate([m.faces, chest.faces + n]),
    )
    got = {}
    for orient in ("auto", "given"):
        out = tmp_path / f"{orient}.h5"
        _ok(runner.invoke(app, ["landmarks3d", "predict", str(tmp_path / "head"), "-o", str(out), "--orient", orient]))
        with ContainerReader(out, kind="landmarks3d") as rd:
            got[orient] = rd.read("nose_tip")[0], rd.read("landmarks")[0]
    np.testing.assert_allclose(got["auto"][0], tip, atol=0.5)
    assert np.linalg.norm(got["auto"][1] - truth, axis=1).mean() < 3.0
    assert np.linalg.norm(got["given"][0] - tip) > 50.0  # the chest's front
    assert np.linalg.norm(got["given"][1] - truth, axis=1).mean() > 10.0
