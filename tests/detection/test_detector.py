"""The MTCNN cascade on real photos that dependencies ship, and its parts."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from facecli.detection.predictor import DetectorConfig, FaceDetector, Faces, nms, square_boxes
from facecli.errors import ValidationError


@pytest.fixture(scope="module")
def astronaut():
    return data.astronaut()  # Eileen Collins, a real photo (512 x 512)


def _iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


def test_finds_the_astronaut_with_her_keypoints(astronaut):
    faces = FaceDetector().detect(astronaut)
    assert len(faces) >= 1 and faces.scores[0] > 0.99
    x0, y0, x1, y1 = faces.boxes[0]
    # her face spans about x 175-270, y 55-175 (looked at)
    assert _iou(faces.boxes[0], [175, 55, 270, 175]) > 0.6
    left_eye, right_eye, nose, mouth_l, mouth_r = faces.keypoints[0]
    assert x0 < left_eye[0] < nose[0] < right_eye[0] < x1
    assert left_eye[1] < nose[1] < mouth_l[1] < y1 and right_eye[1] < nose[1] < mouth_r[1]
    assert np.all(np.diff(faces.scores) <= 0)  # best first


def test_same_result_twice_and_grey_input(astronaut):
    det = FaceDetector()
    a, b = det.detect(astronaut), det.detect(astronaut)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    grey = (astronaut @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    g = det.detect(grey)
    assert len(g) >= 1 and _iou(g.boxes[0], a.boxes[0]) > 0.7


def test_large_images_are_searched_smaller(astronaut):
    full = FaceDetector().detect(astronaut)
    small = FaceDetector(DetectorConfig(max_side=256)).detect(astronaut)
    assert _iou(small.boxes[0], full.boxes[0]) > 0.75  # boxes mapped back to full-size pixels


def test_blank_tiny_and_wrong_images():
    det = FaceDetector()
    assert len(det.detect(np.full((120, 160, 3), 128, np.uint8))) == 0
    assert len(det.detect(np.zeros((8, 8, 3), np.uint8))) == 0
    assert isinstance(det.detect(np.zeros((8, 8, 3), np.uint8)), Faces)
    with pytest.raises(ValidationError, match="expected"):
        det.detect(np.zeros((10, 10, 4), np.uint8), name="x.png")


def test_nms_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 300, (300, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(10, 60, (300, 2))], axis=1)
    scores = rng.uniform(0.01, 1, 300)

    def plain(b, s, t):
        keep, order = [], list(np.argsort(-s))
        while order:
            i = order.pop(0)
            keep.append(i)
            order = [j for j in order if _iou(b[i], b[j]) <= t]
        return keep

    assert nms(boxes, scores, 0.5).tolist() == plain(boxes, scores, 0.5)  # the OpenCV path (> 16 boxes)
    assert nms(boxes[:10], scores[:10], 0.3).tolist() == plain(boxes[:10], scores[:10], 0.3)  # numpy path
    inner = np.array([[0, 0, 10, 10], [2, 2, 6, 6]], float)
    assert nms(inner, np.array([0.9, 0.8]), 0.5).tolist() == [0, 1]
    assert nms(inner, np.array([0.9, 0.8]), 0.5, by_min=True).tolist() == [0]
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).size == 0


def test_square_boxes():
    sq = square_boxes(np.array([[0, 0, 10, 20]], float))
    np.testing.assert_allclose(sq, [[-5, 0, 15, 20]])
