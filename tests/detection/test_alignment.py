"""Faces aligned to the five-point template by a similarity."""

import numpy as np
import pytest

from facecli.detection.alignment import FIVE_POINT_TEMPLATE, align_face, alignment_transform, template_points
from facecli.errors import ValidationError


def _similar(points, angle_deg, scale, shift):
    a = np.deg2rad(angle_deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * scale
    return points @ r.T + shift


def test_the_transform_maps_the_points_onto_the_template():
    pts = _similar(template_points(112), 25.0, 1.7, [40.0, -12.0])
    m = alignment_transform(pts, 112)
    mapped = pts @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(mapped, template_points(112), atol=1e-6)
    # a similarity: equal scale on both axes, no shear
    np.testing.assert_allclose(m[:, :2] @ m[:, :2].T, np.eye(2) / 1.7**2, atol=1e-9)


def test_the_crop_shows_the_points_where_the_template_is():
    rng = np.random.default_rng(0)
    pts = _similar(template_points(112), -15.0, 2.2, [60.0, 30.0])
    img = np.zeros((400, 400), np.uint8)
    for x, y in np.round(pts).astype(int):
        img[y - 3 : y + 4, x - 3 : x + 4] = 255
    crop = align_face(img, pts + rng.normal(0, 0.05, pts.shape), 112)
    assert crop.shape == (112, 112) and crop.dtype == np.uint8
    for x, y in template_points(112):
        assert crop[int(round(y)), int(round(x))] > 200  # each dot lands on its template point
    rgb = align_face(np.dstack([img] * 3), pts, 96)
    assert rgb.shape == (96, 96, 3)


def test_the_template_is_symmetric_and_upright():
    t = FIVE_POINT_TEMPLATE
    assert t[0, 1] == t[1, 1] and t[3, 1] == t[4, 1]  # eyes level, mouth corners level
    np.testing.assert_allclose(t[[0, 3], 0] + t[[1, 4], 0], 1.0)  # mirror pairs about x = 0.5
    assert t[2, 0] == 0.5 and t[0, 1] < t[2, 1] < t[3, 1]  # eyes, then nose, then mouth


def test_points_that_fix_nothing_are_refused():
    with pytest.raises(ValidationError, match="five distinct"):
        alignment_transform(np.ones((5, 2)), 112)
    with pytest.raises(ValidationError, match=r"\(5, 2\)"):
        alignment_transform(np.ones((4, 2)), 112)
