"""facecli grid-attn train/embed/verify and evaluate verify through CliRunner and a real shell pipe."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader
from facecli.io.lfw import read_pairs

from helpers.cli import ok as _ok
from helpers.cli import one_line_error as _one_line_error

runner = CliRunner()


@pytest.fixture(scope="module")
def lfw(tmp_path_factory):
    from facecli.synth.identities import write_identities

    out = tmp_path_factory.mktemp("lfw")
    write_identities(out, identities=20, per_identity=3, seed=11, size=48, normal_size=32, pairs_per_fold=3, yaw_sd=40)
    return out


@pytest.fixture(scope="module")
def trained(lfw, tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "dgpa.pt"
    _ok(
        runner.invoke(
            app,
            [
                "-q",
                "--seed",
                "0",
                "grid-attn",
                "train",
                str(lfw / "normals_gt.h5"),
                "-o",
                str(model),
                "--epochs",
                "2",
                "--input-size",
                "32",
                "--width",
                "8",
                "--dim",
                "16",
                "--cells",
                "2",
                "--batch-size",
                "16",
                "--json",
            ],
        )
    )
    return model


def test_train_embed_verify_evaluate(lfw, trained, tmp_path):
    emb, scores, roc = tmp_path / "e.h5", tmp_path / "s.h5", tmp_path / "roc.png"
    r = _ok(
        runner.invoke(
            app,
            ["-q", "grid-attn", "embed", str(lfw / "normals_gt.h5"), "-o", str(emb), "--model", str(trained), "--json"],
        )
    )
    assert json.loads(r.stdout)["embedded"] == 60
    e = ContainerReader(emb, kind="embeddings")
    assert e.read("embedding").shape == (60, 16)
    assert np.allclose(np.linalg.norm(e.read("embedding"), axis=1), 1, atol=1e-5)
    _ok(runner.invoke(app, ["grid-attn", "verify", str(emb), "--pairs", str(lfw / "pairs.txt"), "-o", str(scores)]))
    s = ContainerReader(scores, kind="verification")
    pairs = read_pairs(lfw / "pairs.txt")
    assert len(s) == len(pairs) == 60
    v = e.read("embedding")
    row = {k: i for i, k in enumerate(e.ids)}
    assert np.isclose(s.read("score")[0], v[row[pairs[0].a]] @ v[row[pairs[0].b]], atol=1e-6)
    r = _ok(
        runner.invoke(
            app, ["evaluate", "verify", str(scores), "--poses", str(lfw / "poses.csv"), "--roc", str(roc), "--json"]
        )
    )
    out = json.loads(r.stdout)
    assert roc.exists() and roc.stat().st_size > 1000
    allm = out["sets"]["all"]
    assert allm["pairs"] == 60 and 0 <= allm["eer"] <= 1 and len(allm["fold_accuracies"]) == 10
    large = [k for k in out["sets"] if k.startswith("large pose")]
    assert large and out["sets"][large[0]]["pairs"] < 60


def test_train_resume_and_model_card(lfw, trained, tmp_path):
    import torch

    obj = torch.load(trained, weights_only=True)
    assert obj["model"] == "dgpa" and obj["meta"]["synthetic"] is True
    assert obj["config"]["input_size"] == 32 and obj["config"]["inputs"] == ["normals"]
    assert (trained.parent / (trained.name + ".ckpt")).exists()


def test_embed_resume_keeps_finished(lfw, trained, tmp_path):
    emb = tmp_path / "e.h5"
    _ok(
        runner.invoke(
            app, ["-q", "grid-attn", "embed", str(lfw / "normals_gt.h5"), "-o", str(emb), "--model", str(trained)]
        )
    )
    first = ContainerReader(emb).read("embedding").copy()
    r = _ok(
        runner.invoke(
            app,
            [
                "-q",
                "grid-attn",
                "embed",
                str(lfw / "normals_gt.h5"),
                "-o",
                str(emb),
                "--model",
                str(trained),
                "--resume",
                "--json",
            ],
        )
    )
    assert json.loads(r.stdout)["embedded"] == 0 and json.loads(r.stdout)["resumed_skipped"] == 60
    assert np.array_equal(ContainerReader(emb).read("embedding"), first)


def test_bad_inputs_give_one_line_errors(lfw, trained, tmp_path):
    _one_line_error(runner.invoke(app, ["grid-attn", "train", str(tmp_path / "nope.h5")]), "nope.h5")
    _one_line_error(
        runner.invoke(app, ["grid-attn", "train", str(lfw / "normals_gt.h5"), "--inputs", "depth"]), "--inputs"
    )
    _one_line_error(
        runner.invoke(
            app,
            [
                "grid-attn",
                "embed",
                str(lfw / "normals_gt.h5"),
                "--model",
                str(lfw / "pairs.txt"),
                "-o",
                str(tmp_path / "e.h5"),
            ],
        ),
        "pairs.txt",
    )
    # pairs naming people the embeddings do not have
    emb = tmp_path / "e.h5"
    _ok(
        runner.invoke(
            app, ["-q", "grid-attn", "embed", str(lfw / "normals_gt.h5"), "-o", str(emb), "--model", str(trained)]
        )
    )
    other = tmp_path / "pairs.txt"
    other.write_text("1\t1\nNobody_Here\t1\t2\nAda_Arden\t1\tNobody_Here\t1\n")
    _one_line_error(
        runner.invoke(app, ["grid-attn", "verify", str(emb), "--pairs", str(other), "-o", str(tmp_path / "s.h5")]),
        "no embedding for",
        "Nobody_Here",
    )
    # a normals file is not a scores file
    _one_line_error(runner.invoke(app, ["evaluate", "verify", str(lfw / "normals_gt.h5")]), "verification")


def test_shell_pipe(lfw, trained, tmp_path, facecli_bin):
    cmd = (
        f"{facecli_bin} -q grid-attn embed {lfw}/normals_gt.h5 -o {tmp_path}/e.h5 --model {trained} "
        f"| xargs -I{{}} {facecli_bin} -q grid-attn verify {{}} --pairs {lfw}/pairs.txt -o {tmp_path}/s.h5 "
        f"| xargs {facecli_bin} -q evaluate verify --json"
    )
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True)
    assert json.loads(res.stdout)["sets"]["all"]["pairs"] == 60


def test_evaluate_verify_states_the_folds_it_used(tmp_path):
    """Scores with 5 folds are reported as 5-fold, not as LFW's 10 (issue #29, item 6)."""
    from facecli.recognition.verify import PairScores, write_scores

    rng = np.random.default_rng(0)
    n = 100
    same = np.arange(n) % 2 == 0
    score = np.where(same, 0.6, 0.3) + rng.normal(0, 0.15, n)
    ps = PairScores([f"a{i}" for i in range(n)], [f"b{i}" for i in range(n)], score, same, np.arange(n) % 5)
    path = write_scores(tmp_path / "s.h5", ps, params={})
    r = _ok(runner.invoke(app, ["evaluate", "verify", str(path), "--json"]))
    m = json.loads(r.stdout)["sets"]["all"]
    assert m["folds"] == 5 and len(m["fold_accuracies"]) == 5
    r = _ok(runner.invoke(app, ["evaluate", "verify", str(path)]))
    assert "(5)" in r.stderr and "10-fold" not in r.stderr


@pytest.fixture(scope="module")
def photo_lfw(tmp_path_factory):
    """A real face in an LFW layout: one person, three photos of her; a blank image apart."""
    from skimage import data

    from facecli.io.image import write_image

    d = tmp_path_factory.mktemp("photos")
    img = data.astronaut()
    person = d / "images" / "Eileen_Collins"
    person.mkdir(parents=True)
    write_image(person / "Eileen_Collins_0001.jpg", img)
    write_image(person / "Eileen_Collins_0002.JPG", np.clip(img.astype(int) * 0.8 + 10, 0, 255).astype(np.uint8))
    write_image(person / "Eileen_Collins_0003.png", np.ascontiguousarray(img[:, ::-1]))
    (d / "pairs.txt").write_text("1\t1\nEileen_Collins\t1\t2\nEileen_Collins\t1\tEileen_Collins\t3\n")
    write_image(d / "blank.png", np.full((120, 160, 3), 90, np.uint8))
    return d


def test_embed_photos_then_verify(photo_lfw, tmp_path):
    out = tmp_path / "emb.h5"
    r = _ok(runner.invoke(app, ["grid-attn", "embed-photos", str(photo_lfw / "images"), "-o", str(out), "--json"]))
    assert json.loads(r.stdout)["processed"] == 3
    with ContainerReader(out, kind="embeddings") as c:
        ids, emb = c.ids, c.read("embedding")
        boxes = c.read("face_box")
    assert sorted(ids) == [
        "Eileen_Collins/Eileen_Collins_0001.jpg",
        "Eileen_Collins/Eileen_Collins_0002.JPG",
        "Eileen_Collins/Eileen_Collins_0003.png",
    ]
    assert emb.shape == (3, 1200) and np.allclose(np.linalg.norm(emb, axis=1), 1, atol=1e-5)
    assert (boxes[:, 2] > boxes[:, 0]).all()
    scores = tmp_path / "s.h5"
    _ok(
        runner.invoke(
            app, ["grid-attn", "verify", str(out), "--pairs", str(photo_lfw / "pairs.txt"), "-o", str(scores)]
        )
    )
    with ContainerReader(scores) as c:
        assert (c.read("score") > 0.8).all()  # the same face throughout


def test_embed_photos_errors(photo_lfw, tmp_path):
    blank = photo_lfw / "blank.png"
    r = runner.invoke(app, ["-q", "grid-attn", "embed-photos", str(blank), "-o", str(tmp_path / "e.h5")])
    _one_line_error(r, "blank.png", "no face found")
    r = _ok(
        runner.invoke(
            app,
            ["grid-attn", "embed-photos", str(blank), str(photo_lfw / "images"), "-o", str(tmp_path / "k.h5")]
            + ["--on-error", "skip", "--json"],
        )
    )
    assert json.loads(r.stdout)["failed"] == 1 and json.loads(r.stdout)["processed"] == 3
    r = runner.invoke(app, ["grid-attn", "embed-photos", str(blank), "--model", str(tmp_path / "none.pt")])
    _one_line_error(r, "no such model file")


def test_embed_photos_in_a_shell_pipe(photo_lfw, tmp_path, facecli_bin):
    cmd = (
        f"{facecli_bin} -q grid-attn embed-photos {photo_lfw}/images -o {tmp_path}/e.h5 "
        f"| xargs -I{{}} {facecli_bin} -q grid-attn verify {{}} --pairs {photo_lfw}/pairs.txt -o {tmp_path}/s.h5"
    )
    res = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd}"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(tmp_path / "s.h5")
