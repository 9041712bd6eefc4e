"""The high-dimensional Gabor magnitudes."""

from __future__ import annotations

import numpy as np

from facecli.recognition.hdface import HD_POINTS, AlignedFace
from facecli.recognition.hdgabor import _MIRROR, GABOR_BLOCK, GABOR_SCALES, gabor_bank, gabor_magnitudes, hd_gabor_face


def test_bank_kernels_are_zero_mean_and_unit_l1():
    bank = gabor_bank()
    assert len(bank) == 40
    for k in bank:
        assert abs(k.real.sum()) < 1e-9 and abs(np.abs(k).sum() - 1) < 1e-9


def test_mirror_image_magnitudes_are_the_flipped_maps_read_at_pi_minus_theta():
    g = np.random.default_rng(0).random((72, 72)).astype(np.float32)
    direct = gabor_magnitudes(np.ascontiguousarray(g[:, ::-1]))
    from_original = gabor_magnitudes(g)[:, ::-1][:, :, _MIRROR]
    np.testing.assert_allclose(direct, from_original, atol=1e-6)


def test_a_stripe_answers_in_its_orientation():
    x = np.arange(64)
    vertical_stripes = np.tile((np.sin(2 * np.pi * x / 8) > 0).astype(np.float32), (64, 1))
    m = gabor_magnitudes(vertical_stripes)[32, 32].reshape(5, 8)
    assert m[2].argmax() == 0  # wavelength 8, θ = 0 (the kernel's carrier runs along x)


def test_face_descriptor_layout():
    grey = np.random.default_rng(1).integers(0, 255, (160, 160)).astype(np.uint8)
    pts = np.random.default_rng(2).uniform(20, 140, (len(HD_POINTS), 2))
    d = hd_gabor_face(AlignedFace(grey, pts, pts))
    assert d.shape == (len(HD_POINTS) * len(GABOR_SCALES) * GABOR_BLOCK,) and d.dtype == np.float16
    assert np.isfinite(d).all() and d.min() >= 0
