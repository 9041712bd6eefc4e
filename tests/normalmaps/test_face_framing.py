"""Photos framed as the CAP training renders are: the crop, the constants, the command."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.detection.predictor import FaceDetector
from facecli.io.container import ContainerReader
from facecli.io.image import write_image
from facecli.normalmaps.predictor import RENDER_FRAMING, frame_face

from helpers.cli import ok


def test_the_crop_puts_the_face_where_the_renders_have_it():
    photo = data.astronaut()
    det = FaceDetector()
    box = det.detect(photo).boxes[0]
    crop = frame_face(photo, box)
    side = crop.shape[0]
    assert crop.shape[:2] == (side, side)
    again = det.detect(crop).boxes[0]  # the same face, found again in the crop
    assert abs((again[3] - again[1]) / side - RENDER_FRAMING[0]) < 0.06
    assert abs(((again[1] + again[3]) / 2 - side / 2) / side - RENDER_FRAMING[2]) < 0.05
    edge = frame_face(photo, np.array([-50, -50, 50, 60]))  # a box over the corner: the border is repeated
    assert edge.shape[0] > 100 and edge[0, 0].tolist() == photo[0, 0].tolist()


@pytest.mark.slow
def test_render_framing_constants_are_what_the_renders_give(tmp_path):
    from facecli.io.image import read_image
    from facecli.synth.images import write_images

    write_images(tmp_path, scheme="ibug68", count=60, seed=3, size=128)
    det, rel = FaceDetector(), []
    for f in sorted(tmp_path.rglob("*.png")):
        img = read_image(f)
        faces = det.detect(img)
        if len(faces):
            b, s = faces.boxes[0], img.shape[0]
            rel.append([(b[3] - b[1]) / s, ((b[0] + b[2]) / 2 - s / 2) / s, ((b[1] + b[3]) / 2 - s / 2) / s])
    assert len(rel) > 30
    np.testing.assert_allclose(np.median(rel, axis=0), RENDER_FRAMING, atol=0.03)


def test_normals_on_a_photo_frames_the_face(tmp_path):
    runner = CliRunner()
    write_image(tmp_path / "a.jpg", data.astronaut())
    out = tmp_path / "n.h5"
    ok(runner.invoke(app, ["normals", str(tmp_path / "a.jpg"), "-o", str(out), "--scales", "32"]))
    with ContainerReader(out, kind="normals") as rd:
        assert str(rd.read("face_box_source")[0]) == "detector"
        x0, y0, x1, y1 = rd.read("face_box")[0]
        assert 150 < x0 < x1 < 290 and 30 < y0 < y1 < 200
    out2 = tmp_path / "n2.h5"
    ok(runner.invoke(app, ["normals", str(tmp_path / "a.jpg"), "-o", str(out2), "--scales", "32", "--boxes", "image"]))
    with ContainerReader(out2, kind="normals") as rd:
        assert str(rd.read("face_box_source")[0]) == "image"
