"""The high-dimensional SIFT."""

from __future__ import annotations

import numpy as np

from facecli.recognition.hdface import HD_POINTS, HD_SCALES
from facecli.recognition.hdsift import SIFT_BLOCK, hd_sift, hd_sift_codes


def test_codes_have_one_block_per_scale_and_point_and_see_the_patch():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, (160, 160)).astype(np.uint8)
    pts = np.array([[40.0, 40.0], [120.0, 100.0]])
    d = hd_sift_codes(grey, pts).reshape(len(HD_SCALES), 2, SIFT_BLOCK)
    assert d.min() >= 0 and d.max() <= 255
    # SIFT is L2-normalised (then scaled by 512 and clipped): every block is near-unit
    norms = np.linalg.norm(d / 512.0, axis=2)
    assert np.all((norms > 0.5) & (norms < 1.01))
    changed = grey.copy()
    changed[90:110, 110:130] = 255 - changed[90:110, 110:130]  # only about the second point
    e = hd_sift_codes(changed, pts).reshape(d.shape)
    np.testing.assert_array_equal(e[0, 0], d[0, 0])
    assert not np.array_equal(e[0, 1], d[0, 1])


def test_a_face_and_its_mirror_image_have_one_descriptor():
    from skimage import data

    from facecli.schemes import WFLW98_MIRROR

    img = data.astronaut()
    five = np.array([[180.0, 95.0], [230.0, 90.0], [210.0, 125.0], [185.0, 150.0], [228.0, 148.0]])
    lm = np.concatenate([five, np.random.default_rng(1).uniform(90, 240, (93, 2))])
    d = hd_sift(img, five, lm)
    assert d.shape == (len(HD_SCALES) * len(HD_POINTS) * SIFT_BLOCK,) and d.dtype == np.uint16
    w = img.shape[1]
    mirror = np.ascontiguousarray(img[:, ::-1])
    mfive = (five * [-1, 1] + [w - 1, 0])[[1, 0, 2, 4, 3]]
    mlm = (lm * [-1, 1] + [w - 1, 0])[WFLW98_MIRROR]
    dm = hd_sift(mirror, mfive, mlm)
    # the same sum, up to the warp's rounding of a mirrored crop
    assert np.corrcoef(d.astype(float), dm.astype(float))[0, 1] > 0.95
