"""Real photos to embeddings: the face rule and the shipped projection on a real face."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facecli.recognition.photos import choose_face


def test_choose_face():
    boxes = np.array([[0, 0, 50, 50], [40, 40, 60, 60]], float)
    assert choose_face(boxes, 100, 100) == 0
    assert choose_face(boxes, 100, 100, "centre") == 1
    with pytest.raises(ValueError, match="largest"):
        choose_face(boxes, 100, 100, "first")


def test_shipped_projection_is_labelled_and_recognises_a_real_face(tmp_path):
    from skimage import data

    from facecli.io.image import write_image
    from facecli.io.inputs import InputItem
    from facecli.recognition.photos import DEFAULT_HD, PhotoEmbedJob, load_hd_projection

    card = json.loads(DEFAULT_HD.with_suffix(".json").read_text())
    assert "REAL PHOTOS" in card["trained_on"] and "research" in card["data_licence"]
    net, obj = load_hd_projection()
    assert obj["meta"]["synthetic"] is False and net.config.parts == ("lbp1", "sift", "gabor")
    img = data.astronaut()
    write_image(tmp_path / "a.png", img)
    write_image(tmp_path / "b.png", np.clip(img.astype(int) * 0.8 + 10, 0, 255).astype(np.uint8))
    write_image(tmp_path / "c.png", np.ascontiguousarray(img[:, ::-1]))
    job = PhotoEmbedJob()
    e = {k: job(InputItem(k, tmp_path / f"{k}.png"))["embedding"] for k in "abc"}
    assert e["a"].shape == (1200,) and abs(np.linalg.norm(e["a"]) - 1) < 1e-5
    assert float(e["a"] @ e["b"]) > 0.9  # the same photo, darker
    assert float(e["a"] @ e["c"]) > 0.8  # its mirror image
