"""facecli align (train, predict) and evaluate align through CliRunner and a real shell pipe."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader

from helpers.cli import ok as _ok
from helpers.cli import one_line_error as _one_line_error

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_model(wflw_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("musica") / "m.pt"
    r = _ok(
        runner.invoke(
            app,
            [
                "--seed",
                "0",
                "align",
                "train",
                str(wflw_dir),
                "--split",
                "train",
                "-o",
                str(out),
                "--epochs",
                "1",
                "--batch-size",
                "4",
                "--crop",
                "48",
                "--half",
                "--json",
            ],
        )
    )
    assert json.loads(r.stdout)["epochs"] == 1 and out.exists()
    import torch

    obj = torch.load(out, weights_only=True)  # --half: float16 weights on disk, read back into float32 by predict
    assert obj["meta"]["stored_dtype"] == "float16" and obj["state_dict"]["rnn.0.weight"].dtype == torch.float16
    return out


def test_predict_dataset_and_evaluate(wflw_dir, tiny_model, tmp_path):
    out = tmp_path / "lm.h5"
    _ok(
        runner.invoke(
            app,
            [
                "align",
                "predict",
                str(wflw_dir),
                "--dataset",
                "--split",
                "test",
                "--model",
                str(tiny_model),
                "-o",
                str(out),
                "--pts-dir",
                str(tmp_path / "pts"),
                "--preview",
                str(tmp_path / "prev"),
                "--exit-threshold",
                "1e9",
            ],
        )
    )
    with ContainerReader(out, kind="landmarks2d") as r:
        assert len(r) == 2 and r.sample(0)["landmarks"].shape == (98, 2)
        assert set(r.read("box_source").astype(str)) == {"annotation"}
        assert (np.asarray(r.read("exit_iteration")) == 1).all()  # a huge threshold: everyone leaves after iteration 1
    assert len(list((tmp_path / "pts").glob("*.pts"))) == 2 and len(list((tmp_path / "prev").glob("*.png"))) == 2
    rep = json.loads(
        _ok(
            runner.invoke(
                app,
                ["evaluate", "align", str(out), "--gt", str(wflw_dir), "--json", "--plot", str(tmp_path / "ced.png")],
            )
        ).stdout
    )
    assert rep["matched"] == 2 and rep["subsets"]["all"]["faces"] == 2 and rep["exit_iterations"] == {"1": 2}
    assert (tmp_path / "ced.png").stat().st_size > 1000
    # the evaluator's NME, recomputed here by hand from the two files (outer eye corners 60/72)
    from facecli.landmarks2d.data import load_alignment_set

    truth = {f.id: f.landmarks for f in load_alignment_set(wflw_dir, split="test")}
    with ContainerReader(out) as r:
        pred = dict(zip(r.ids, r.read("landmarks")))
    by_hand = np.mean(
        [np.linalg.norm(pred[k] - g, axis=1).mean() / np.linalg.norm(g[60] - g[72]) for k, g in truth.items()]
    )
    assert rep["subsets"]["all"]["nme_pct"] == pytest.approx(100 * by_hand, rel=1e-5)


def test_boxes_file_and_whole_image_fallback(wflw_dir, tiny_model, tmp_path):
    imgs = sorted((wflw_dir / "WFLW_images").rglob("*.jpg"))[:2]
    boxes = tmp_path / "boxes.csv"
    boxes.write_text(f"image,x0,y0,x1,y1\n{imgs[0].name},20,15,75,80\n")
    out = tmp_path / "p.h5"
    r = _ok(
        runner.invoke(
            app,
            ["align", "predict", *map(str, imgs), "--boxes", str(boxes), "--model", str(tiny_model), "-o", str(out)],
        )
    )
    assert "have no face box" in r.stderr
    with ContainerReader(out, kind="landmarks2d") as rd:
        src = dict(zip(rd.ids, rd.read("box_source").astype(str)))
        assert sorted(src.values()) == ["boxes-file", "image"]
    boxes.write_text("a.jpg,1,2,3\n")
    _one_line_error(
        runner.invoke(
            app, ["align", "predict", str(imgs[0]), "--boxes", str(boxes), "--model", str(tiny_model), "-o", str(out)]
        ),
        "boxes.csv:1",
        "image,x0,y0,x1,y1",
    )
    _one_line_error(
        runner.invoke(app, ["align", "predict", str(imgs[0]), "--model", str(tmp_path / "none.pt")]), "no such model"
    )
    _one_line_error(
        runner.invoke(app, ["align", "train", str(tmp_path / "nope"), "-o", str(tmp_path / "m.pt")]), "nope"
    )


def test_shell_pipe(wflw_dir, tiny_model, tmp_path, facecli_bin):
    cmd = (
        f"{facecli_bin} -q align predict {wflw_dir} --dataset --split all --model {tiny_model} -o {tmp_path / 'a.h5'} "
        f"| xargs -I{{}} {facecli_bin} evaluate align {{}} --gt {wflw_dir} --json"
    )
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["matched"] == 8 and set(out["subsets"]) >= {"all", "train", "test"}


def test_several_boxes_in_one_image_give_one_sample_each(wflw_dir, tiny_model, tmp_path):
    """--boxes used to keep only the last line of an image (issue #25, item 7)."""
    img = sorted((wflw_dir / "WFLW_images").rglob("*.jpg"))[0]
    boxes = tmp_path / "boxes.csv"
    boxes.write_text(f"{img.name},20,15,75,80\n{img.name},5,5,60,70\n{img.name},30,20,90,95\n")
    out = tmp_path / "p.h5"
    r = _ok(
        runner.invoke(
            app, ["align", "predict", str(img), "--boxes", str(boxes), "--model", str(tiny_model), "-o", str(out)]
        )
    )
    assert "one sample per face" in r.stderr
    with ContainerReader(out, kind="landmarks2d") as rd:
        got = dict(zip(rd.ids, rd.read("box")))
    base = next(k for k in got if "#" not in k)
    assert sorted(got) == sorted([base, f"{base}#1", f"{base}#2"])
    np.testing.assert_allclose(got[f"{base}#2"], [30, 20, 90, 95])
    np.testing.assert_allclose(got[base], [20, 15, 75, 80])


def test_every_image_format_and_case_is_read(wflw_dir, tiny_model, tmp_path):
    """.JPG, .ppm, .pgm, .tif, .webp were skipped silently by the default pattern (issue #25, item 7)."""
    import cv2

    from facecli.commands._common import IMAGE_PATTERN
    from facecli.io.image import IMAGE_SUFFIXES

    assert {p.lstrip("*") for p in IMAGE_PATTERN.split(",")} == set(IMAGE_SUFFIXES)
    src = cv2.imread(str(sorted((wflw_dir / "WFLW_images").rglob("*.jpg"))[0]))
    d = tmp_path / "photos"
    d.mkdir()
    names = ["a.JPG", "b.ppm", "c.pgm", "d.TIF", "e.webp", "f.BMP"]
    for n in names:
        img = cv2.cvtColor(src, cv2.COLOR_BGR2GRAY) if n.endswith(".pgm") else src
        ok, buf = cv2.imencode("." + n.split(".")[1].lower(), img)
        assert ok
        (d / n).write_bytes(buf.tobytes())
    out = tmp_path / "p.h5"
    args = ["align", "predict", str(d), "--model", str(tiny_model), "-o", str(out), "--boxes", "image"]
    _ok(runner.invoke(app, args))
    with ContainerReader(out, kind="landmarks2d") as rd:
        assert sorted(rd.ids) == names


def test_scheme_conversion_in_predict_and_evaluate(wflw_dir, tiny_model, tmp_path):
    from facecli.synth.images import write_images

    out = tmp_path / "68.h5"
    base = ["align", "predict", str(wflw_dir), "--dataset", "--split", "all", "--model", str(tiny_model)]
    _ok(runner.invoke(app, [*base, "-o", str(out), "--scheme", "ibug68"]))
    full = tmp_path / "98.h5"
    _ok(runner.invoke(app, [*base, "-o", str(full)]))
    with ContainerReader(out, kind="landmarks2d") as a, ContainerReader(full, kind="landmarks2d") as b:
        from facecli.schemes import WFLW98_TO_IBUG68

        assert a.read("landmarks").shape[1:] == (68, 2) and a.array_info("landmarks")["scheme"] == "ibug68"
        np.testing.assert_allclose(a.read("landmarks"), b.read("landmarks")[:, WFLW98_TO_IBUG68], atol=1e-5)
    five = tmp_path / "5.h5"
    _ok(runner.invoke(app, [*base, "-o", str(five), "--scheme", "five"]))
    with ContainerReader(five, kind="landmarks2d") as c:
        assert c.read("landmarks").shape[1:] == (5, 2)
    r = runner.invoke(app, [*base, "-o", str(tmp_path / "x.h5"), "--scheme", "nine"])
    assert r.exit_code == 2 and "expected --scheme" in r.stderr
    # a 98-point file scored against 300W (68-point) truth goes through the standard subset
    w300 = tmp_path / "w300"
    write_images(w300, scheme="ibug68", count=4, seed=1, size=96)
    pred98 = tmp_path / "p98.h5"
    _ok(
        runner.invoke(
            app,
            [
                "align",
                "predict",
                str(w300),
                "--dataset",
                "--split",
                "all",
                "--model",
                str(tiny_model),
                "-o",
                str(pred98),
            ],
        )
    )
    r = _ok(runner.invoke(app, ["evaluate", "align", str(pred98), "--gt", str(w300), "--json"]))
    got = json.loads(r.stdout)
    assert got["matched"] == 4 and got["converted"].startswith("wflw98 -> ibug68")


def test_flip_is_recorded_and_changes_the_shapes(wflw_dir, tiny_model, tmp_path):
    got = {}
    for flag in ([], ["--flip"]):
        out = tmp_path / f"lm{len(flag)}.h5"
        args = ["align", "predict", str(wflw_dir), "--dataset", "--split", "test", "--model", str(tiny_model)]
        _ok(runner.invoke(app, [*args, "-o", str(out), *flag]))
        with ContainerReader(out, kind="landmarks2d") as rd:
            assert rd.params["flip"] is bool(flag)
            got[bool(flag)] = rd.read("landmarks")
    assert got[True].shape == got[False].shape
    assert not np.allclose(got[True], got[False])
