"""Area-uniform surface sampling."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.geometry.sampling import sample_surface


def _two_triangles():
    # a unit right triangle and one six times larger, far apart
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [10, 0, 0], [13, 0, 0], [10, 2, 0]], float)
    return v, np.array([[0, 1, 2], [3, 4, 5]])


def test_points_lie_on_their_triangles_and_follow_area():
    v, f = _two_triangles()
    s = sample_surface(v, f, 20000, np.random.default_rng(0))
    rebuilt = np.einsum("nk,nkc->nc", s.barycentric, v[f[s.face_index]])
    assert np.allclose(rebuilt, s.points)
    assert (s.barycentric >= -1e-12).all() and np.allclose(s.barycentric.sum(1), 1)
    share = (s.face_index == 1).mean()
    assert share == pytest.approx(3.0 / 3.5, abs=0.015)  # areas 0.5 and 3
    # uniform inside a triangle: the mean is the centroid
    assert np.allclose(s.points[s.face_index == 0].mean(0), v[:3].mean(0), atol=0.01)
    assert np.allclose(np.linalg.norm(s.normals, axis=1), 1)


def test_same_stream_same_points():
    v, f = _two_triangles()
    a = sample_surface(v, f, 100, np.random.default_rng(5)).points
    b = sample_surface(v, f, 100, np.random.default_rng(5)).points
    c = sample_surface(v, f, 100, np.random.default_rng(6)).points
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_rejects_bad_input():
    v, f = _two_triangles()
    with pytest.raises(InputError, match="at least 1"):
        sample_surface(v, f, 0, np.random.default_rng(0))
    with pytest.raises(InputError, match="non-zero area"):
        sample_surface(np.zeros((3, 3)), np.array([[0, 1, 2]]), 5, np.random.default_rng(0))
