"""Geodesic distances on triangle meshes by the heat method (potpourri3d).

The heat method (Crane, Weischedel and Wardetzky, 2013) diffuses heat from the
sources for a short time, normalises the heat gradient and recovers the distance
by one Poisson solve. potpourri3d (geometry-central) prefactors both systems once
per mesh, so many sources on one mesh cost one factorisation.
"""

from __future__ import annotations

import numpy as np

from facecli.errors import InputError
from facecli.validation import check_array

__all__ = ["HeatGeodesics", "VertexFaces", "compact_submesh"]


class HeatGeodesics:
    """Geodesic distances from vertices of one mesh.

    Args:
        vertices: (V, 3) float, any unit (distances come out in that unit).
        faces: (F, 3) int.
        robust: use the intrinsic-Delaunay (robust) Laplacian, which tolerates
            poorly shaped and non-manifold triangles.

    The heat method approximates: on a plane the distance along an edge of 4 comes out
    as 3.4 on a 5 x 5 grid of unit steps and 3.9 on a 41 x 41 grid of 0.1 steps (it
    converges as the mesh is refined; FaceScape meshes are ~1 mm, fine for a face).

    Example:
        >>> import numpy as np
        >>> from facecli.geometry.mesh_ops import grid_faces
        >>> xs, ys = np.meshgrid(np.linspace(0, 4, 41), np.linspace(0, 4, 41))
        >>> v = np.stack([xs.ravel(), ys.ravel(), np.zeros(41 * 41)], 1)
        >>> d = HeatGeodesics(v, grid_faces(41, 41)).distances([0])
        >>> d.shape, round(float(d[0, 40]), 1)
        ((1, 1681), 3.9)
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, *, robust: bool = True) -> None:
        import potpourri3d as pp3d

        v = check_array(vertices, "(V, 3)", name="vertices").astype(np.float64, copy=False)
        f = check_array(faces, "(F, 3)", name="faces", dtype_kind="iu").astype(np.int64, copy=False)
        if f.shape[0] == 0:
            raise InputError("expected a triangle mesh for geodesics, got no faces")
        self.n_vertices = v.shape[0]
        self._solver = pp3d.MeshHeatMethodDistanceSolver(
            np.ascontiguousarray(v), np.ascontiguousarray(f), use_robust=robust
        )

    def distances(self, sources: np.ndarray | list[int]) -> np.ndarray:
        """Distances from each source vertex to every vertex.

        Args:
            sources: (S,) int vertex indices.

        Returns:
            (S, V) float64; vertices not connected to a source get large values.
        """
        src = np.asarray(sources, dtype=np.int64).reshape(-1)
        if src.size and (src.min() < 0 or src.max() >= self.n_vertices):
            raise InputError(f"expected source vertices in [0, {self.n_vertices}), got {src.min()}..{src.max()}")
        return (
            np.stack([np.asarray(self._solver.compute_distance(int(s))) for s in src])
            if src.size
            else np.zeros((0, self.n_vertices))
        )


class VertexFaces:
    """The triangles around each vertex (CSR), for cutting small patches out of a
    large mesh in time proportional to the patch.

    Args:
        faces: (F, 3) int.
        n_vertices: V.
    """

    def __init__(self, faces: np.ndarray, n_vertices: int) -> None:
        f = np.asarray(faces, dtype=np.int64)
        flat = f.reshape(-1)
        order = np.argsort(flat, kind="stable")
        self.faces = f
        self.face_ids = order // 3
        self.ptr = np.zeros(n_vertices + 1, dtype=np.int64)
        np.cumsum(np.bincount(flat, minlength=n_vertices), out=self.ptr[1:])

    def patch(self, vertices: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Like :func:`compact_submesh` for the patch ``vertices`` (``keep`` is their mask)."""
        v = np.asarray(vertices, dtype=np.int64)
        starts, ends = self.ptr[v], self.ptr[v + 1]
        lens = ends - starts
        if lens.sum() == 0:
            return np.zeros((0, 3), np.int64), np.zeros(0, np.int64)
        idx = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        cand = np.unique(self.face_ids[idx])
        tri = self.faces[cand]
        tri = tri[keep[tri].all(axis=1)]
        ids, local = np.unique(tri, return_inverse=True)
        return local.reshape(-1, 3).astype(np.int64), ids.astype(np.int64)


def compact_submesh(faces: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The triangles whose three vertices are all kept, re-indexed compactly.

    Args:
        faces: (F, 3) int.
        keep: (V,) bool vertex mask.

    Returns:
        ``(sub_faces (F', 3) int64, vertex_ids (V',) int64)``: the kept triangles in
        local indices and, for each local vertex, its index in the full mesh. Only
        vertices used by a kept triangle are listed.
    """
    fmask = keep[faces].all(axis=1)
    sub = faces[fmask]
    ids, local = np.unique(sub, return_inverse=True)
    return local.reshape(-1, 3).astype(np.int64), ids.astype(np.int64)
