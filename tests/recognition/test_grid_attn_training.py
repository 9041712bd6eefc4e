"""DGPA-Net training on tiny synthetic identity sets."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.recognition.data import flip_inputs, identity_labels, load_face_inputs, parse_inputs, read_labels
from facecli.recognition.training import GridAttnTrainOptions, embed_array, train_dgpa


@pytest.fixture(scope="module")
def ids_dir(tmp_path_factory):
    from facecli.synth.identities import write_identities

    out = tmp_path_factory.mktemp("ids")
    write_identities(out, identities=20, per_identity=4, seed=5, size=64, normal_size=48, pairs_per_fold=6)
    return out


def _tiny(**kw):
    base = dict(
        input_size=48,
        width=8,
        cells=3,
        patch=4,
        dim=32,
        epochs=40,
        batch_size=12,
        lr=3e-3,
        val_fraction=0.0,
        arc_scale=16.0,
        arc_margin=0.3,
    )
    base.update(kw)
    return GridAttnTrainOptions(**base)


def test_tiny_model_separates_three_identities(ids_dir, tmp_path):
    from facecli.io.container import ContainerReader, ContainerWriter
    from facecli.recognition.embed import load_dgpa

    src = ContainerReader(ids_dir / "normals_gt.h5")
    people = sorted({i.split("/")[0] for i in src.ids})[:3]
    keep = [k for k, i in enumerate(src.ids) if i.split("/")[0] in people]
    small = tmp_path / "three.h5"
    with ContainerWriter(small, "normals", producer="facecli synth identities (subset)") as w:
        for k in keep:
            w.write(src.ids[k], src.sample(k))
    meta = train_dgpa(small, tmp_path / "m.pt", _tiny(epochs=120), seed=0)
    assert meta["synthetic"] is True
    model = load_dgpa(tmp_path / "m.pt")
    data = load_face_inputs(small, size=48)
    emb = embed_array(model.net, data.x)
    lab = np.array(identity_labels(data.ids))
    sim = emb @ emb.T
    same = lab[:, None] == lab[None, :]
    off = ~np.eye(len(lab), dtype=bool)
    # every face's nearest other face is the same person (leave-one-out 1-NN identification) ...
    nearest = np.where(off, sim, -np.inf).argmax(axis=1)
    assert np.array_equal(lab[nearest], lab)
    # ... and same-person pairs are far more similar than different-person pairs on average
    assert sim[same & off].mean() - sim[~same].mean() > 0.5


def test_training_is_deterministic_and_resumes(ids_dir, tmp_path):
    import torch

    opts = _tiny(epochs=2, val_fraction=0.2, limit=40)
    a = train_dgpa(ids_dir / "normals_gt.h5", tmp_path / "a.pt", opts, seed=1)
    train_dgpa(ids_dir / "normals_gt.h5", tmp_path / "b.pt", opts, seed=1)
    sa = torch.load(tmp_path / "a.pt", weights_only=True)["state_dict"]
    sb = torch.load(tmp_path / "b.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a["val_faces"] > 0 and 0 <= a["val_eer"] <= 1
    # resume: a 1-epoch run continued to 2 epochs equals the straight 2-epoch run
    train_dgpa(ids_dir / "normals_gt.h5", tmp_path / "c.pt", _tiny(epochs=1, val_fraction=0.2, limit=40), seed=1)
    import shutil

    shutil.copy(tmp_path / "c.pt.ckpt", tmp_path / "d.pt.ckpt")
    train_dgpa(ids_dir / "normals_gt.h5", tmp_path / "d.pt", opts, seed=1, resume=True)
    sd = torch.load(tmp_path / "d.pt", weights_only=True)["state_dict"]
    assert all(torch.allclose(sa[k].float(), sd[k].float(), atol=1e-6) for k in sa)


def test_held_out_identities_never_train(ids_dir, tmp_path, monkeypatch):
    import facecli.recognition.training as tr

    seen = {}
    real = tr.FaceDataset.__init__

    def spy(self, data, labels, seed, augment=True):
        seen["ids"] = list(data.ids)
        real(self, data, labels, seed, augment)

    monkeypatch.setattr(tr.FaceDataset, "__init__", spy)
    meta = train_dgpa(ids_dir / "normals_gt.h5", tmp_path / "m.pt", _tiny(epochs=1, val_fraction=0.3), seed=2)
    train_people = {i.split("/")[0] for i in seen["ids"]}
    all_people = {i.split("/")[0] for i in load_face_inputs(ids_dir / "normals_gt.h5", size=16).ids}
    assert len(train_people) == 14 and len(all_people - train_people) == 6
    assert meta["val_faces"] == 6 * 4


def test_inputs_rgb_and_flip(ids_dir):
    d = load_face_inputs(
        ids_dir / "normals_gt.h5",
        size=32,
        inputs=("normals", "rgb"),
        images=ids_dir,
        ids=["Ada_Arden/Ada_Arden_0001.jpg"],
    )
    assert d.x.shape == (1, 6, 32, 32)
    n = d.x[0, :3]
    norm = np.linalg.norm(n, axis=0)
    assert np.allclose(norm[norm > 0], 1, atol=1e-4) and (norm == 0).any()
    f = flip_inputs(d.x, d.inputs)
    assert np.array_equal(f[0, 0], -d.x[0, 0, :, ::-1]) and np.array_equal(f[0, 1:], d.x[0, 1:, :, ::-1])
    with pytest.raises(InputError, match="needs --images"):
        load_face_inputs(ids_dir / "normals_gt.h5", size=32, inputs=("rgb",))
    with pytest.raises(InputError, match="texture_48"):
        load_face_inputs(ids_dir / "normals_gt.h5", size=32, inputs=("texture",))
    with pytest.raises(InputError, match="expected --inputs"):
        parse_inputs("normals,depth")


def test_labels_file(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("id,label\na.jpg,x\nb.jpg,y\n")
    assert identity_labels(["a.jpg", "b.jpg"], read_labels(p)) == ["x", "y"]
    with pytest.raises(InputError, match="no label for 1 ids"):
        identity_labels(["a.jpg", "c.jpg"], read_labels(p))
    with pytest.raises(InputError, match="pass --labels"):
        identity_labels(["loose.jpg"])
    p.write_text("id,label\na.jpg\n")
    with pytest.raises(InputError, match="labels.csv:2"):
        read_labels(p)


@pytest.mark.slow
def test_torchrun_two_processes(ids_dir, tmp_path):
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
            "grid-attn",
            "train",
            str(ids_dir / "normals_gt.h5"),
            "-o",
            str(out),
            "--epochs",
            "2",
            "--input-size",
            "48",
            "--width",
            "8",
            "--dim",
            "16",
            "--batch-size",
            "8",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert out.exists() and res.stdout.strip().splitlines() == [str(out)]
