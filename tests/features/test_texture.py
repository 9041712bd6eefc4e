"""Texture channels equal scikit-image called directly."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

from facecli.errors import ValidationError
from facecli.features.texture import GLCM_PROPS, glcm_maps, normals_to_grey, texture_channels, uniform_lbp


@pytest.fixture
def grey():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, size=(40, 36)).astype(np.uint8)
    img[8:24, 8:32] = 200  # a flat patch: constant cells
    return img


@pytest.mark.parametrize("points,radius", [(8, 1.0), (16, 2.0)])
def test_lbp_is_scikit_image_uniform_lbp(grey, points, radius):
    ref = local_binary_pattern(grey, points, radius, method="uniform")
    np.testing.assert_allclose(uniform_lbp(grey, points, radius) * (points + 1), ref, atol=1e-5)


def test_glcm_cells_are_scikit_image_graycoprops(grey):
    cell, levels = 8, 16
    maps = glcm_maps(grey, cell, levels=levels)
    q = (grey.astype(int) * levels // 256).astype(np.uint8)
    for r, c in [(0, 0), (16, 8), (32, 32)]:  # (32, 32) is a 8x4 border cell
        block = q[r : r + cell, c : c + cell]
        m = graycomatrix(
            block, [1], [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4], levels=levels, symmetric=True, normed=True
        )
        want = [graycoprops(m, p).mean() for p in GLCM_PROPS]
        np.testing.assert_allclose(maps[r, c], want, rtol=1e-5, atol=1e-6)
        # every pixel of the cell carries its cell's values
        np.testing.assert_allclose(
            maps[r : r + cell, c : c + cell], np.broadcast_to(maps[r, c], maps[r : r + cell, c : c + cell].shape)
        )
    assert maps[12, 12, GLCM_PROPS.index("energy")] == pytest.approx(1.0)  # constant cell


def test_texture_stack_and_grey_of_normals(grey):
    t = texture_channels(grey, points=8, radius=1, cell=8)
    assert t.shape == (40, 36, 5) and t.dtype == np.float32
    n = np.zeros((4, 4, 3), np.float32)
    n[..., 2] = 1
    g = normals_to_grey(n, np.ones((4, 4), bool))
    assert g.dtype == np.uint8 and (g == g[0, 0]).all()
    with pytest.raises(ValidationError):
        glcm_maps(grey, 1)
    with pytest.raises(ValidationError):
        uniform_lbp(grey.astype(np.float32))
