"""Area-uniform random sampling of points on a triangle mesh."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError
from facecli.validation import check_array

__all__ = ["SurfaceSample", "sample_surface"]


@dataclass
class SurfaceSample:
    """Points drawn on a mesh surface.

    Attributes:
        points: (N, 3) float64, the mesh's units.
        normals: (N, 3) float64 unit normals, the vertex normals interpolated
            barycentrically (smooth across triangle edges).
        face_index: (N,) int64 triangle each point lies on.
        barycentric: (N, 3) float64 weights of that triangle's vertices.
    """

    points: np.ndarray
    normals: np.ndarray
    face_index: np.ndarray
    barycentric: np.ndarray


def sample_surface(
    vertices: np.ndarray,
    faces: np.ndarray,
    n: int,
    rng: np.random.Generator,
    *,
    vertex_normals: np.ndarray | None = None,
) -> SurfaceSample:
    """Draw ``n`` points uniformly by area on a triangle mesh.

    Triangles are picked with probability proportional to their area (one
    ``searchsorted`` on the cumulative areas), then a uniform point inside by the
    square-root barycentric rule.

    Args:
        vertices: (V, 3) float.
        faces: (F, 3) int.
        n: number of points (>= 1).
        rng: the random stream (seed it per mesh for deterministic output).
        vertex_normals: (V, 3) unit normals [area-weighted from the mesh].

    Returns:
        The sample.

    Example:
        >>> import numpy as np
        >>> v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], float)
        >>> s = sample_surface(v, np.array([[0, 1, 2]]), 5, np.random.default_rng(0))
        >>> s.points.shape, bool((s.points.sum(1) <= 1 + 1e-12).all())
        ((5, 3), True)
    """
    v = check_array(vertices, "(V, 3)", name="vertices").astype(np.float64, copy=False)
    f = check_array(faces, "(F, 3)", name="faces", dtype_kind="iu").astype(np.int64, copy=False)
    if n < 1:
        raise InputError(f"expected at least 1 sample point, got {n}")
    if f.shape[0] == 0:
        raise InputError("expected a triangle mesh, got no faces")
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    total = float(area.sum())
    if not total > 0:
        raise InputError("expected a mesh with non-zero area, got only degenerate triangles")
    cum = np.cumsum(area)
    fid = np.searchsorted(cum, rng.random(n) * cum[-1], side="right").clip(0, len(f) - 1)
    r1 = np.sqrt(rng.random(n))
    r2 = rng.random(n)
    bary = np.stack([1.0 - r1, r1 * (1.0 - r2), r1 * r2], axis=1)
    tri = f[fid]
    pts = np.einsum("nk,nkc->nc", bary, v[tri])
    if vertex_normals is None:
        from facecli.geometry.mesh_ops import vertex_normals as _vn

        vn = _vn(v, f)
    else:
        vn = check_array(vertex_normals, "(V, 3)", name="vertex normals")
    nrm = np.einsum("nk,nkc->nc", bary, vn[tri])
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    return SurfaceSample(points=pts, normals=nrm, face_index=fid, barycentric=bary)
