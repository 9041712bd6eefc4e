"""Triangle-mesh operations, and the per-topology cache that a batch of meshes sharing one
topology uses: each cached result equals the plain computation, and a hit skips it."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.geometry import mesh_ops
from facecli.geometry.mesh_ops import (
    clean_faces,
    clear_topology_cache,
    face_normals,
    grid_faces,
    non_manifold_edges,
    vertex_normals,
)


def _bumpy_grid(seed: int, rows: int = 12, cols: int = 15) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y, x = np.meshgrid(np.arange(rows, dtype=float), np.arange(cols, dtype=float), indexing="ij")
    z = rng.normal(0.0, 0.3, size=x.shape)
    return np.stack([x.ravel(), -y.ravel(), z.ravel()], 1), grid_faces(rows, cols)


def _vertex_normals_by_bincount(v: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The reference: the area-weighted sum written out with one bincount per corner and axis."""
    fn = face_normals(v, f, unit=False)
    out = np.zeros((len(v), 3))
    for k in range(3):
        for c in range(3):
            out[:, c] += np.bincount(f[:, k], weights=fn[:, c], minlength=len(v))
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norm > 1e-12, out / np.maximum(norm, 1e-12), [0.0, 0.0, 1.0])


def test_vertex_normals_equal_the_bincount_reference_with_and_without_the_cache():
    clear_topology_cache()
    for seed in range(3):  # one topology, three shapes: the second and third reuse the incidence
        v, f = _bumpy_grid(seed)
        np.testing.assert_allclose(vertex_normals(v, f), _vertex_normals_by_bincount(v, f), atol=1e-12)
    iso = np.vstack([v, [[50.0, 50.0, 50.0]]])  # an isolated vertex: another vertex count, another entry
    assert np.array_equal(vertex_normals(iso, f)[-1], [0.0, 0.0, 1.0])


def test_topology_results_are_computed_once_per_topology(monkeypatch):
    clear_topology_cache()
    calls = []
    real = mesh_ops._count_non_manifold
    monkeypatch.setattr(mesh_ops, "_count_non_manifold", lambda f: calls.append(1) or real(f))
    v, f = _bumpy_grid(0)
    fin = np.vstack([f, [[1, 15, len(v) - 1]]])  # a third triangle on the inner edge (1, 15)
    assert non_manifold_edges(f) == 0
    assert non_manifold_edges(f.copy()) == 0  # same triangles, another array: a hit
    assert len(calls) == 1
    assert non_manifold_edges(fin) == 1  # other triangles: computed
    assert len(calls) == 2
    clear_topology_cache()
    assert non_manifold_edges(f) == 0 and len(calls) == 3


@pytest.mark.parametrize("cached", [False, True])
def test_clean_faces_is_the_same_from_the_cache(cached):
    clear_topology_cache()
    v, f = _bumpy_grid(1)
    bad = np.vstack([f, f[:3][:, ::-1], [[4, 4, 5]]])  # three repeats (reversed) and a degenerate
    if cached:
        clean_faces(v + 1.0, bad)  # fills the cache from another shape of the same topology
    kept, degenerate, duplicate = clean_faces(v, bad)
    assert np.array_equal(kept, f) and (degenerate, duplicate) == (1, 3)
    kept[0, 0] = -1  # the result is the caller's: the cache stays intact
    assert np.array_equal(clean_faces(v, bad)[0], f)


def test_the_cache_stays_bounded():
    clear_topology_cache()
    for rows in range(3, 3 + 3 * mesh_ops._TOPOLOGY_SIZE):
        non_manifold_edges(grid_faces(rows, 4))
    assert len(mesh_ops._TOPOLOGY) == mesh_ops._TOPOLOGY_SIZE
