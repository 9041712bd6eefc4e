"""Basic triangle-mesh operations in NumPy.

What depends on the triangles alone (repeated triangles, non-manifold edges, the
vertex-triangle incidence) is remembered per topology for the last few triangle
arrays seen, so a batch of meshes that share one topology (registered models such as
FaceScape's, or ``facecli synth faces3d``) computes it once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from facecli.validation import check_array

__all__ = ["face_normals", "vertex_normals", "grid_faces", "clean_faces", "non_manifold_edges", "clear_topology_cache"]

#: Per-topology results, newest last: (what, shape, digest of the triangles) -> value.
_TOPOLOGY: OrderedDict[tuple, Any] = OrderedDict()
_TOPOLOGY_SIZE = 16


def clear_topology_cache() -> None:
    """Forget every remembered topology (tests time or compare the uncached path)."""
    _TOPOLOGY.clear()


def _by_topology(what: str, faces: np.ndarray, compute: Callable[[np.ndarray], Any], extra: int = 0) -> Any:
    """``compute(faces)``, remembered for the same triangles (compared by a SHA-1 of the array).

    Args:
        what: the name of the result. faces: (F, 3) int64, C-contiguous.
        compute: a function of the triangles alone. extra: another number the result depends
            on (the vertex count).
    """
    digest = hashlib.sha1(faces.data, usedforsecurity=False).digest()
    key = (what, faces.shape, extra, digest)
    if key in _TOPOLOGY:
        _TOPOLOGY.move_to_end(key)
        return _TOPOLOGY[key]
    value = compute(faces)
    _TOPOLOGY[key] = value
    if len(_TOPOLOGY) > _TOPOLOGY_SIZE:
        _TOPOLOGY.popitem(last=False)
    return value


def face_normals(vertices: np.ndarray, faces: np.ndarray, *, unit: bool = True) -> np.ndarray:
    """Per-face normals.

    Args:
        vertices: (V, 3) float.
        faces: (F, 3) int, counter-clockwise seen from outside.
        unit: normalise (else the length is twice the triangle area).

    Returns:
        (F, 3) float64.
    """
    v = check_array(vertices, "(V, 3)", name="vertices").astype(np.float64, copy=False)
    f = check_array(faces, "(F, 3)", name="faces", dtype_kind="iu")
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    if unit:
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return n


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals.

    Args:
        vertices: (V, 3) float.
        faces: (F, 3) int.

    Returns:
        (V, 3) float64; isolated vertices get (0, 0, 1).
    """
    f = np.ascontiguousarray(faces, dtype=np.int64)
    fn = face_normals(vertices, f, unit=False)
    nv = len(vertices)
    out = _by_topology("incidence", f, lambda x: _incidence(x, nv), extra=nv) @ fn
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    out = np.where(norm > 1e-12, out / np.maximum(norm, 1e-12), np.array([0.0, 0.0, 1.0]))
    return out


def _incidence(faces: np.ndarray, n_vertices: int) -> Any:
    """The (V, F) sparse matrix with a 1 for each corner of each triangle (a vertex used twice
    by a degenerate triangle counts twice)."""
    from scipy.sparse import csr_matrix

    rows = faces.ravel()
    cols = np.repeat(np.arange(len(faces)), 3)
    return csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_vertices, len(faces)))


def grid_faces(rows: int, cols: int) -> np.ndarray:
    """Triangles of a regular ``rows × cols`` vertex grid (row-major vertex order).

    Vertex ``(r, c)`` has index ``r * cols + c``; with rows running top to bottom
    (+Y down the face) and columns left to right (+X), the triangles face +Z.

    Returns:
        (2 (rows-1) (cols-1), 3) int64.
    """
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    b = a + 1
    d = a + cols
    e = d + 1
    return np.concatenate([np.stack([a, d, b], 1), np.stack([b, d, e], 1)]).astype(np.int64)


def clean_faces(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Drop degenerate triangles (a repeated vertex, or zero area) and repeated ones (the same
    three vertices in any order), as scanners' meshes have them.

    Args:
        vertices: (V, 3) float. faces: (F, 3) int.

    Returns:
        ``(faces (F', 3) int64, degenerate dropped, duplicates dropped)``; the kept triangles keep
        their order and winding.

    Example:
        >>> v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [2, 0, 0]])
        >>> f, deg, dup = clean_faces(v, np.array([[0, 1, 2], [2, 1, 0], [0, 0, 1], [0, 1, 3]]))
        >>> f.tolist(), deg, dup
        ([[0, 1, 2]], 2, 1)
    """
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if len(f) == 0:
        return f, 0, 0
    area2 = np.linalg.norm(face_normals(vertices, f, unit=False), axis=1)
    repeated = (f[:, 0] == f[:, 1]) | (f[:, 1] == f[:, 2]) | (f[:, 0] == f[:, 2])
    degenerate = repeated | (area2 <= 1e-12 * max(float(np.max(area2)), 1e-300))
    keep = ~degenerate
    unique = _by_topology("first", np.ascontiguousarray(f), _first_copies)
    duplicate = keep & ~unique
    keep &= unique
    return f[keep], int(degenerate.sum()), int(duplicate.sum())


def _first_copies(f: np.ndarray) -> np.ndarray:
    """(F,) bool: each triangle but the second and later copies of the same three vertices."""
    srt = np.sort(f, axis=1)
    n = int(f.max()) + 1
    if n < 2_000_000:  # one int64 per triangle (n^3 < 2^63): a 1-D unique, far faster than rows
        key = (srt[:, 0] * n + srt[:, 1]) * n + srt[:, 2]
        _, first = np.unique(key, return_index=True)
    else:
        _, first = np.unique(srt, axis=0, return_index=True)
    unique = np.zeros(len(f), bool)
    unique[first] = True
    unique.flags.writeable = False  # shared through the topology cache
    return unique


def non_manifold_edges(faces: np.ndarray) -> int:
    """How many edges are shared by more than two triangles.

    Args:
        faces: (F, 3) int.
    """
    f = np.ascontiguousarray(faces, dtype=np.int64)
    if len(f) == 0:
        return 0
    return int(_by_topology("non-manifold", f, _count_non_manifold))


def _count_non_manifold(f: np.ndarray) -> int:
    e = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    e.sort(axis=1)
    key = e[:, 0] * (int(f.max()) + 1) + e[:, 1]
    key.sort()
    # an edge used by more than two triangles appears three times in a row
    return int(len(np.unique(key[2:][key[2:] == key[:-2]]))) if len(key) > 2 else 0
