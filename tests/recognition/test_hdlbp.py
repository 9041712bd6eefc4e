"""The high-dimensional LBP and its PCA + LDA projection."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from facecli.errors import InputError
from facecli.models.hdlbp_lda import HDLBPLDA, HDLBPConfig
from facecli.recognition.hdlbp import HD_BLOCK, HD_POINTS, HD_SCALES, fit_hdlbp_projection, hd_lbp, hd_lbp_codes


def _identities(n_people: int, per: int, blocks: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts whose identity is in their block histograms: a per-person base plus noise."""
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 6.0, (n_people, blocks * HD_BLOCK))
    x = np.concatenate([rng.poisson(base[p], (per, base.shape[1])) for p in range(n_people)])
    return np.minimum(x, 255).astype(np.uint8), np.repeat(np.arange(n_people), per)


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


def test_projection_separates_people_it_never_saw_and_the_module_matches_it():
    x, y = _identities(12, 4, blocks=2, seed=0)
    proj = fit_hdlbp_projection(x, y, per_block=16, pca_dim=30, sample=48)
    xt, yt = _identities(12, 4, blocks=2, seed=0)  # the same people's bases...
    rng = np.random.default_rng(5)
    xt = np.minimum(rng.poisson(xt.astype(float)), 255).astype(np.uint8)  # ...new noise
    e = proj(xt)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    sim = e @ e.T
    same = yt[:, None] == yt[None, :]
    off = ~np.eye(len(yt), dtype=bool)
    assert sim[same & off].mean() > sim[~same].mean() + 0.3

    net = HDLBPLDA(HDLBPConfig(radii=(1,), blocks=2, per_block=proj.bases.shape[2], dim=proj.matrix.shape[1]))
    net.set_projection(1, proj.means, proj.bases, proj.matrix, proj.offset)
    out = net(torch.from_numpy(xt[:, None])).numpy()
    np.testing.assert_allclose(out, e, atol=1e-4)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)


def test_projection_needs_two_faces_per_person():
    x, y = _identities(3, 2, blocks=1, seed=0)
    with pytest.raises(InputError, match="at least 2 identities"):
        fit_hdlbp_projection(x[:5], y[:5])
    with pytest.raises(InputError, match="descriptors"):
        fit_hdlbp_projection(x[:, :100], y)
