"""Training 2S-SGCN stage one: subject-wise split, overfitting a tiny set, DDP."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.landmarks3d.data import load_landmark_set
from facecli.train.splits import group_split


def test_subject_split_shares_no_subject(faces3d_dir, tmp_path):
    from facecli.synth.faces3d import write_faces3d

    root = tmp_path / "f"
    write_faces3d(root, subjects=6, expressions=2, seed=0)
    ds = load_landmark_set(root)
    tr, va = group_split(ds.subjects, 0.34, seed=0)
    a = {ds.subjects[i] for i in tr}
    b = {ds.subjects[i] for i in va}
    assert a and b and not (a & b)
    assert len(tr) + len(va) == len(ds.scans)
    # every expression of a held-out person is held out
    assert all(ds.subjects.count(s) == sum(ds.subjects[i] == s for i in va) for s in b)


def test_overfits_two_meshes(faces3d_dir, tmp_path):
    from facecli.io.mesh import read_mesh
    from facecli.landmarks3d.predictor import Landmarker, load_sgcn
    from facecli.landmarks3d.training import SGCNTrainOptions, train_sgcn

    out = tmp_path / "m.pt"
    opts = SGCNTrainOptions(points=1024, k=16, epochs=200, batch_size=2, val_fraction=0.0, limit=2)
    meta = train_sgcn(faces3d_dir, out, opts, seed=0)
    hist = meta["history"]
    assert hist[-1]["loss"] < 0.5 * hist[0]["loss"]
    net, obj = load_sgcn(out)
    assert obj["meta"]["synthetic"] is True and obj["config"]["points"] == 1024
    lm = Landmarker(net, seed=0, refine=False)
    ds = load_landmark_set(faces3d_dir)
    errs = []
    for scan in ds.scans[:2]:
        mesh = read_mesh(scan.path)
        res = lm.predict(mesh, scan.id)
        errs.append(np.linalg.norm(res.landmarks - ds.landmarks(mesh), axis=1).mean())
    assert np.mean(errs) < 20.0  # an untrained network is ~100 mm off


@pytest.mark.slow
def test_torchrun_two_processes(faces3d_dir, tmp_path):
    """2-process DDP (gloo) training through the CLI writes one model, reported once."""
    import subprocess
    import sys
    from pathlib import Path

    torchrun = Path(sys.executable).parent / "torchrun"
    facecli = Path(sys.executable).parent / "facecli"
    out = tmp_path / "ddp.pt"
    res = subprocess.run(
        [
            str(torchrun),
            "--nproc_per_node",
            "2",
            "--no-python",
            str(facecli),
            "--seed",
            "0",
            "landmarks3d",
            "train",
            str(faces3d_dir),
            "-o",
            str(out),
            "--epochs",
            "2",
            "--points",
            "1024",
            "--k",
            "8",
            "--batch-size",
            "1",
            "--val-fraction",
            "0.5",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert out.exists() and res.stdout.strip().splitlines() == [str(out)]


def test_scan_like_fine_tuning_in_the_nose_frame(faces3d_dir, tmp_path):
    """--init starts from a model's weights; --frame nose and --scan-like are stored and used."""
    from facecli.errors import InputError
    from facecli.landmarks3d.predictor import load_sgcn
    from facecli.landmarks3d.training import SGCNTrainOptions, train_sgcn

    first = tmp_path / "a.pt"
    train_sgcn(faces3d_dir, first, SGCNTrainOptions(points=512, k=8, hidden=8, depth=1, epochs=1, limit=2), seed=0)
    net0, _ = load_sgcn(first)
    out = tmp_path / "b.pt"
    opts = SGCNTrainOptions(
        points=512, k=8, hidden=8, depth=1, epochs=1, limit=4, frame="nose", scan_like=0.5, crop_z=None, lr=0.0
    )
    meta = train_sgcn(faces3d_dir, out, SGCNTrainOptions(**{**opts.as_dict(), "init": str(first)}), seed=0)
    net, obj = load_sgcn(out)
    assert obj["config"]["frame"] == "nose" and net.config.frame == "nose"
    assert meta["options"]["scan_like"] == 0.5
    # lr 0: the weights are the initial model's (the mean landmarks are the new frame's)
    for (k, a), b in zip(net0.state_dict().items(), net.state_dict().values()):
        if k != "mean_landmarks":
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(InputError, match="layers"):
        wider = SGCNTrainOptions(**{**opts.as_dict(), "init": str(first), "hidden": 16})
        train_sgcn(faces3d_dir, tmp_path / "c.pt", wider)
