"""The aligned face of the high-dimensional descriptors, and the parts by name."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.recognition.hdface import HD_POINTS, HD_SIZE, aligned_face
from facecli.recognition.hdparts import HD_PARTS, describe

FIVE = np.array([[100.0, 110.0], [150.0, 110.0], [125.0, 140.0], [105.0, 165.0], [145.0, 165.0]])


def test_points_land_where_the_five_point_template_puts_them():
    from facecli.detection.alignment import alignment_transform

    img = np.random.default_rng(0).integers(0, 255, (250, 250, 3)).astype(np.uint8)
    lm = np.random.default_rng(1).uniform(90, 170, (98, 2))
    face = aligned_face(img, FIVE, lm)
    assert face.grey.shape == (HD_SIZE, HD_SIZE) and face.grey.dtype == np.uint8
    m = alignment_transform(FIVE, HD_SIZE)
    np.testing.assert_allclose(face.points, (lm @ m[:, :2].T + m[:, 2])[list(HD_POINTS)])
    # the mirror face's own points: each point's mirror partner, reflected in the crop
    from facecli.schemes import WFLW98_MIRROR

    full = lm @ m[:, :2].T + m[:, 2]
    np.testing.assert_allclose(face.mirror_points, (full[WFLW98_MIRROR] * [-1, 1] + [HD_SIZE - 1, 0])[list(HD_POINTS)])
    np.testing.assert_array_equal(face.mirror, face.grey[:, ::-1])


def test_describe_gives_each_part():
    img = np.random.default_rng(0).integers(0, 255, (250, 250, 3)).astype(np.uint8)
    lm = np.tile(FIVE.mean(axis=0), (98, 1))
    out = describe(img, FIVE, lm, tuple(HD_PARTS))
    assert [len(d) // b for d, (_, b, _) in zip(out, HD_PARTS.values())] == [104, 104, 104, 52]
    with pytest.raises(ValueError, match="parts among"):
        describe(img, FIVE, lm, ("hog",))
