"""The detect job, the --boxes auto pre-pass and the CSV rows."""

from __future__ import annotations

import numpy as np
from skimage import data

from facecli.detection.jobs import DetectJob, detect_faces, faces_csv_rows
from facecli.io.image import write_image
from facecli.io.inputs import InputItem


def test_job_and_prepass(tmp_path):
    write_image(tmp_path / "a.jpg", data.astronaut())
    write_image(tmp_path / "blank.png", np.full((100, 100, 3), 90, np.uint8))
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    items = [InputItem(n, tmp_path / n) for n in ("a.jpg", "blank.png", "bad.jpg")]
    job = DetectJob(preview_dir=tmp_path / "prev")
    out = job(items[0])
    assert out["boxes"].shape[1:] == (4,) and out["keypoints"].shape[1:] == (5, 2)
    assert out["image_size"].tolist() == [512, 512]
    assert (tmp_path / "prev" / "a.jpg.png").exists()
    boxes, points, none = detect_faces(items, job)
    assert set(boxes) == {"a.jpg"} and none == ["blank.png"]  # the unreadable file is left to the command
    assert len(points["a.jpg"]) == len(boxes["a.jpg"])


def test_csv_rows():
    rows = faces_csv_rows(["x", "y"], [np.zeros((0, 4)), np.array([[1, 2, 3, 4], [5, 6, 7, 8]])], [[], [0.9, 0.8]])
    assert [r[0] for r in rows] == ["y", "y"] and rows[1][1:] == ["5.0", "6.0", "7.0", "8.0", "0.8000"]
