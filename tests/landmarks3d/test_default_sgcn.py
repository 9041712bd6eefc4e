"""The shipped 2S-SGCN (trained on synthetic faces) on people it never saw."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.landmarks3d.predictor import DEFAULT_SGCN, Landmarker, load_sgcn


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    from facecli.synth.faces3d import write_faces3d

    out = tmp_path_factory.mktemp("unseen")
    write_faces3d(out, subjects=1, expressions=3, seed=7, start=5000)  # not among the training subjects
    return out


def test_shipped_model_is_labelled_synthetic():
    import json

    _, obj = load_sgcn()
    assert obj["meta"]["synthetic"] is True and obj["meta"]["scheme"] == "facescape-v10"
    card = json.loads(DEFAULT_SGCN.with_suffix(".json").read_text())
    assert "SYNTHETIC" in card["trained_on"] and "landmarks3d train" in card["train_command"]
    assert sum(p.numel() for p in load_sgcn()[0].parameters()) < 100_000


def test_shipped_model_finds_landmarks_on_unseen_faces(unseen):
    from facecli.io.mesh import read_mesh
    from facecli.landmarks3d.data import load_landmark_set

    ds = load_landmark_set(unseen)
    lmk = Landmarker.from_file(seed=0)
    errs, errs_one = [], []
    for scan in ds.scans:
        mesh = read_mesh(scan.path)
        res = lmk.predict(mesh, scan.id)
        gt = ds.landmarks(mesh)
        assert np.array_equal(res.landmarks, mesh.vertices[res.vertex])  # on the surface
        errs.append(np.linalg.norm(res.landmarks - gt, axis=1).mean())
        errs_one.append(np.linalg.norm(res.stage_one - gt, axis=1).mean())
    assert np.mean(errs) < 3.0, errs
    assert np.mean(errs_one) < 3.5, errs_one


def test_several_point_samples_are_averaged(unseen):
    """--samples: one sample is the plain run; several give another estimate, as good, and
    stage two still lands on the mesh."""
    from facecli.io.mesh import read_mesh
    from facecli.landmarks3d.data import load_landmark_set

    ds = load_landmark_set(unseen)
    scan = ds.scans[0]
    mesh = read_mesh(scan.path)
    net, _ = load_sgcn()
    one = Landmarker(net, seed=0, crop_z=None).predict(mesh, scan.id)
    plain = Landmarker(net, seed=0, crop_z=None, samples=1).predict(mesh, scan.id)
    np.testing.assert_array_equal(one.landmarks, plain.landmarks)
    three = Landmarker(net, seed=0, crop_z=None, samples=3).predict(mesh, scan.id)
    assert np.array_equal(three.landmarks, mesh.vertices[three.vertex])
    assert not np.allclose(three.stage_one, one.stage_one)
    gt = ds.landmarks(mesh)
    assert np.linalg.norm(three.stage_one - gt, axis=1).mean() < 3.5
    with pytest.raises(ValueError, match="at least 1 sample"):
        Landmarker(net, samples=0)
