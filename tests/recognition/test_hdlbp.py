"""The high-dimensional LBP."""

from __future__ import annotations

import numpy as np

from facecli.recognition.hdlbp import HD_BLOCK, HD_POINTS, HD_SCALES, hd_lbp, hd_lbp_codes


def test_codes_count_every_pixel_of_every_cell():
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, (160, 160)).astype(np.uint8)
    pts = np.array([[80.0, 80.0], [40.0, 60.0]])
    h = hd_lbp_codes(grey, pts).reshape(2, len(HD_SCALES), 16, 59)
    # inside the crop every cell holds its 8 x 8 pixels, once per code
    assert (h[0, 0].sum(axis=1) == 64).all()
    assert hd_lbp_codes(grey, pts, radius=2).shape == h.reshape(-1).shape


def test_descriptor_of_a_face_is_its_mirror_images_too():
    from skimage import data

    img = data.astronaut()
    five = np.array([[180.0, 95.0], [230.0, 90.0], [210.0, 125.0], [185.0, 150.0], [228.0, 148.0]])
    rng = np.random.default_rng(1)
    lm = np.concatenate([five, rng.uniform(90, 240, (93, 2))])  # 98 points about the face
    d = hd_lbp(img, five, lm)
    assert d.shape == (len(HD_POINTS) * len(HD_SCALES) * HD_BLOCK,) and d.dtype == np.uint8
    np.testing.assert_array_equal(d, hd_lbp(img, five, lm))  # deterministic
    assert not np.array_equal(d, hd_lbp(img, five, lm, radius=2))
