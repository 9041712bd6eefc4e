"""The PCA + LDA projection of the high-dimensional descriptors, and its model file."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from facecli.errors import InputError
from facecli.models.hd_lda import HDDescriptorConfig, HDDescriptorLDA
from facecli.recognition.hdlbp import HD_BLOCK
from facecli.recognition.hdprojection import fit_hd_projection


def _identities(n_people: int, per: int, blocks: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts whose identity is in their block histograms: a per-person base plus noise."""
    rng = np.random.default_rng(seed)
    base = rng.gamma(2.0, 6.0, (n_people, blocks * HD_BLOCK))
    x = np.concatenate([rng.poisson(base[p], (per, base.shape[1])) for p in range(n_people)])
    return np.minimum(x, 255).astype(np.uint8), np.repeat(np.arange(n_people), per)


def test_projection_separates_people_it_never_saw_and_the_module_matches_it():
    x, y = _identities(12, 4, blocks=2, seed=0)
    proj = fit_hd_projection(x, y, per_block=16, pca_dim=30, sample=48)
    xt, yt = _identities(12, 4, blocks=2, seed=0)  # the same people's bases...
    rng = np.random.default_rng(5)
    xt = np.minimum(rng.poisson(xt.astype(float)), 255).astype(np.uint8)  # ...new noise
    e = proj(xt)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    sim = e @ e.T
    same = yt[:, None] == yt[None, :]
    off = ~np.eye(len(yt), dtype=bool)
    assert sim[same & off].mean() > sim[~same].mean() + 0.3

    cfg = HDDescriptorConfig(parts=("lbp1",), blocks=(2,), per_block=proj.bases.shape[2], dim=proj.matrix.shape[1])
    net = HDDescriptorLDA(cfg)
    net.set_projection("lbp1", proj.means, proj.bases, proj.matrix, proj.offset)
    out = net([torch.from_numpy(xt)]).numpy()
    np.testing.assert_allclose(out, e, atol=1e-4)
    assert np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)


def test_projection_needs_two_faces_per_person():
    x, y = _identities(3, 2, blocks=1, seed=0)
    with pytest.raises(InputError, match="at least 2 identities"):
        fit_hd_projection(x[:5], y[:5])
    with pytest.raises(InputError, match="descriptors"):
        fit_hd_projection(x[:, :100], y)


def test_projection_of_another_block_size():
    """SIFT-sized blocks (128 values, no divisor): the same fit, the module agrees."""
    rng = np.random.default_rng(3)
    base = rng.uniform(0, 200, (10, 2 * 128))
    x = np.concatenate([base[p] + rng.normal(0, 15, (4, 256)) for p in range(10)]).clip(0).astype(np.uint16)
    y = np.repeat(np.arange(10), 4)
    proj = fit_hd_projection(x, y, block=128, norm=1.0, per_block=12, pca_dim=20, sample=40)
    assert proj.block == 128 and proj.bases.shape == (2, 128, 12)
    net = HDDescriptorLDA(HDDescriptorConfig(parts=("sift",), blocks=(2,), per_block=12, dim=proj.matrix.shape[1]))
    net.set_projection("sift", proj.means, proj.bases, proj.matrix, proj.offset)
    e = proj(x)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    np.testing.assert_allclose(net([torch.from_numpy(x.astype(np.float32))]).numpy(), e, atol=1e-4)
    with pytest.raises(InputError, match="B x 128"):
        fit_hd_projection(x[:, :100], y, block=128)
