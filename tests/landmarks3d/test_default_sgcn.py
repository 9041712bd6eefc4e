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
