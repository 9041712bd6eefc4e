"""facecli detect, and --boxes auto in align predict, through CliRunner and a real shell pipe."""

from __future__ import annotations

import csv
import subprocess

import numpy as np
import pytest
from skimage import data
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader
from facecli.io.image import write_image

from helpers.cli import ok, one_line_error

runner = CliRunner()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    d = tmp_path_factory.mktemp("photos")
    img = data.astronaut()
    write_image(d / "astronaut.JPG", img)
    two = np.concatenate([img[:256:2, ::2], img[:256:2, ::2]], axis=1)  # the same face twice, side by side
    write_image(d / "two.png", np.ascontiguousarray(two))
    write_image(d / "blank.png", np.full((100, 140, 3), 100, np.uint8))
    return d


def test_detect_writes_faces_and_csv(photos, tmp_path):
    out, table = tmp_path / "faces.h5", tmp_path / "faces.csv"
    r = ok(runner.invoke(app, ["detect", str(photos), "-o", str(out), "--csv", str(table), "--preview", str(tmp_path)]))
    assert "no face in 1" in r.stderr
    with ContainerReader(out, kind="faces") as rd:
        ids = rd.ids
        n = {i: len(s) for i, s in zip(ids, rd.read("scores"))}
        kp = rd.read("keypoints")
    assert sorted(ids) == ["astronaut.JPG", "blank.png", "two.png"]
    assert n["blank.png"] == 0 and n["astronaut.JPG"] >= 1 and n["two.png"] >= 2
    assert all(k.shape[1:] == (5, 2) for k in kp if len(k))
    rows = list(csv.reader(table.read_text().splitlines()))
    assert rows[0] == ["image", "x0", "y0", "x1", "y1", "score"] and len(rows) == 1 + sum(n.values())
    assert (tmp_path / "astronaut.JPG.png").exists()


def test_detect_errors(photos, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(data_bytes := b"\xff\xd8\xff" + b"0" * 50)
    assert data_bytes
    one_line_error(runner.invoke(app, ["detect", str(bad), "-o", str(tmp_path / "f.h5")]), "broken.jpg")
    r = runner.invoke(app, ["detect", str(photos), "--threshold", "2"])
    assert r.exit_code == 2


def test_csv_on_stdout_in_a_shell_pipe(photos, tmp_path, facecli_bin):
    cmd = f"{facecli_bin} -q detect {photos / 'two.png'} -o {tmp_path / 'f.h5'} --csv - | cut -d, -f1,6"
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert (
        lines[0] == "image,score"
        and all(line.split(",")[0].endswith("two.png") for line in lines[1:])
        and len(lines) >= 3
    )


def test_align_boxes_auto_and_file(photos, tmp_path):
    out = tmp_path / "lm.h5"
    r = ok(runner.invoke(app, ["align", "predict", str(photos), "-o", str(out)]))
    assert "no face found in 1 of 3 images" in r.stderr
    with ContainerReader(out, kind="landmarks2d") as rd:
        ids = rd.ids
        sources = {str(s) for s in rd.read("box_source")}
        failures = [f["id"] for f in rd.failures()]
        lm, boxes = rd.read("landmarks"), rd.read("box")
    assert "astronaut.JPG" in ids and "two.png" in ids and "two.png#1" in ids and "blank.png" not in ids
    assert sources == {"detector"} and failures == ["blank.png"]
    a = ids.index("astronaut.JPG")
    assert 150 < lm[a][:, 0].mean() < 290 and 50 < lm[a][:, 1].mean() < 190  # on her face
    faces = tmp_path / "faces.h5"
    ok(runner.invoke(app, ["detect", str(photos), "-o", str(faces)]))
    out2 = tmp_path / "lm2.h5"
    ok(runner.invoke(app, ["align", "predict", str(photos), "--boxes", str(faces), "-o", str(out2)]))
    with ContainerReader(out2, kind="landmarks2d") as rd:  # the file's empty image is a failure too
        assert set(rd.ids) == set(ids) and {str(s) for s in rd.read("box_source")} == {"boxes-file"}
        assert [f["id"] for f in rd.failures()] == ["blank.png"]
    one_line_error(
        runner.invoke(app, ["align", "predict", str(photos), "--boxes", str(tmp_path / "nope.csv")]),
        "no such face-box file",
    )
    out3 = tmp_path / "lm3.h5"
    ok(runner.invoke(app, ["align", "predict", str(photos / "blank.png"), "--boxes", "image", "-o", str(out3)]))
    with ContainerReader(out3, kind="landmarks2d") as rd:
        assert len(rd.ids) == 1 and str(rd.read("box_source")[0]) == "image"
    assert all(b[2] > b[0] and b[3] > b[1] for b in boxes)


def test_aligned_faces_put_the_five_points_on_the_template(photos, tmp_path):
    from facecli.detection import FaceDetector
    from facecli.detection.alignment import template_points
    from facecli.io.image import read_image

    folder = tmp_path / "aligned"
    out = tmp_path / "f.h5"
    ok(runner.invoke(app, ["detect", str(photos), "-o", str(out), "--aligned", str(folder), "--aligned-size", "96"]))
    names = sorted(p.name for p in folder.iterdir())
    assert {"astronaut.png", "two.png", "two#1.png"} <= set(names)  # one file per face, #k from the second on
    assert not [n for n in names if n.startswith("blank")]  # no face, no file
    crop = read_image(folder / "astronaut.png")
    assert crop.shape == (96, 96, 3)
    again = FaceDetector().detect(crop)  # the detector finds the face's points where the template has them
    assert len(again) >= 1
    err = np.linalg.norm(again.keypoints[0] - template_points(96), axis=1)
    assert err.max() < 5.0, err
