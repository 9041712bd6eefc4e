"""Heat-method geodesics (potpourri3d) against known distances."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.geometry.geodesics import HeatGeodesics, compact_submesh
from facecli.geometry.mesh_ops import grid_faces


def test_flat_grid_distance_is_euclidean():
    n = 21
    xs, ys = np.meshgrid(np.linspace(0, 20, n), np.linspace(0, 20, n))
    v = np.stack([xs.ravel(), ys.ravel(), np.zeros(n * n)], 1)
    d = HeatGeodesics(v, grid_faces(n, n)).distances([n * 10 + 10])[0]  # centre
    eu = np.linalg.norm(v - v[n * 10 + 10], axis=1)
    assert np.abs(d - eu).max() < 0.06 * eu.max()


def test_curved_surface_distance_follows_the_surface():
    # a half cylinder of radius 10: from one rim to the other is pi*r along it, 2r straight
    r, rows, cols = 10.0, 11, 61
    th = np.linspace(0, np.pi, cols)
    y = np.linspace(0, 10, rows)
    tt, yy = np.meshgrid(th, y)
    v = np.stack([r * np.cos(tt).ravel(), yy.ravel(), r * np.sin(tt).ravel()], 1)
    g = HeatGeodesics(v, grid_faces(rows, cols))
    src, dst = 5 * cols, 5 * cols + cols - 1  # middle row, both rims
    d = g.distances([src])[0][dst]
    assert d == pytest.approx(np.pi * r, rel=0.03)
    assert d > 1.4 * np.linalg.norm(v[src] - v[dst])


def test_compact_submesh_reindexes():
    f = grid_faces(3, 3)
    keep = np.zeros(9, bool)
    keep[[0, 1, 3, 4]] = True
    sub, ids = compact_submesh(f, keep)
    assert set(ids.tolist()) == {0, 1, 3, 4}
    assert np.array_equal(np.sort(ids[sub].ravel()), np.sort(f[keep[f].all(1)].ravel()))


def test_vertex_faces_patch_equals_compact_submesh():
    from facecli.geometry.geodesics import VertexFaces

    f = grid_faces(12, 15)
    rng = np.random.default_rng(0)
    pv = np.unique(rng.integers(0, 180, 60))
    keep = np.zeros(180, bool)
    keep[pv] = True
    a_f, a_ids = compact_submesh(f, keep)
    b_f, b_ids = VertexFaces(f, 180).patch(pv, keep)
    assert np.array_equal(a_ids, b_ids)
    assert sorted(map(tuple, a_ids[a_f])) == sorted(map(tuple, b_ids[b_f]))
