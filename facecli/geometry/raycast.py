"""Exact per-pixel normal, depth and mask maps of a triangle mesh by ray casting
(Open3D ``RaycastingScene``, Embree BVH) from a frontal orthographic camera.

Each scale is cast on its own pixel grid (no resampling between scales). Normals are
the mesh's smooth normals (area-weighted vertex normals interpolated with the hit's
barycentric coordinates) or its flat triangle normals, renormalised to unit length and
oriented towards the camera (``n_z >= 0``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError, ValidationError
from facecli.geometry.mesh_ops import vertex_normals
from facecli.geometry.view import OrthoView
from facecli.validation import check_array

__all__ = ["NormalMap", "check_manifold", "MeshCaster"]


@dataclass
class NormalMap:
    """One scale of a normal map.

    Attributes:
        normals: (S, S, 3) float32 unit normals, view frame (+x right, +y up, +z to the
            camera); 0 where ``mask`` is False.
        depth: (S, S) float32 mm from the camera plane along the view axis; 0 off the surface.
        mask: (S, S) bool, pixels that see the surface.
    """

    normals: np.ndarray
    depth: np.ndarray
    mask: np.ndarray


def check_manifold(faces: np.ndarray, *, source: str = "") -> None:
    """Reject meshes with edges shared by more than two triangles.

    Args:
        faces: (F, 3) int.
        source: file name for the message.

    Raises:
        ValidationError: ``non-manifold mesh: 12 edges are shared by more than two triangles in x.obj``.
    """
    from facecli.geometry.mesh_ops import non_manifold_edges

    bad = non_manifold_edges(faces)
    if bad:
        where = f" in {source}" if source else ""
        raise ValidationError(
            f"expected a manifold mesh, got {bad} edges shared by more than two triangles{where} "
            f"(leave --manifold-check out to cast it as it is)"
        )


class MeshCaster:
    """A mesh ready for repeated ray casting (the BVH is built once).

    Args:
        vertices: (V, 3) float, mm, canonical frame (pose already applied).
        faces: (F, 3) int.
        shading: ``smooth`` (interpolated vertex normals) or ``flat`` (triangle normals).
        source: file name for error messages.
        manifold_check: reject non-manifold meshes.
    """

    def __init__(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        *,
        shading: str = "smooth",
        source: str = "",
        manifold_check: bool = True,
    ) -> None:
        import open3d as o3d

        where = source or None
        v = check_array(vertices, "(V, 3)", name="vertices", source=where, min_len=3).astype(np.float64)
        f = check_array(faces, "(F, 3)", name="faces", source=where, dtype_kind="iu").astype(np.int64)
        if len(f) == 0:
            raise ValidationError(f"expected a triangle mesh, got no triangles{' in ' + source if source else ''}")
        if f.min() < 0 or f.max() >= len(v):
            raise ValidationError(
                f"expected face indices below {len(v)}, got {f.max()}{' in ' + source if source else ''}"
            )
        if shading not in ("smooth", "flat"):
            raise InputError(f"expected shading smooth|flat, got {shading!r}")
        if manifold_check:
            check_manifold(f, source=source)
        self.vertices, self.faces, self.shading, self.source = v, f, shading, source
        self._vn = vertex_normals(v, f).astype(np.float32) if shading == "smooth" else None
        mesh = o3d.t.geometry.TriangleMesh()
        mesh.vertex.positions = o3d.core.Tensor(v.astype(np.float32))
        mesh.triangle.indices = o3d.core.Tensor(f.astype(np.int32))
        self._scene = o3d.t.geometry.RaycastingScene()
        self._scene.add_triangles(mesh)

    def render(self, view: OrthoView, size: int) -> NormalMap:
        """Cast one ray per pixel centre of a ``size`` x ``size`` image."""
        return self.render_scales(view, [size])[int(size)]

    def render_scales(self, view: OrthoView, sizes: Sequence[int]) -> dict[int, NormalMap]:
        """Normal, depth and mask maps at each size, all in the same view (one ray cast call)."""
        import open3d as o3d

        sizes = [int(s) for s in sizes]
        xy = np.concatenate([view.pixel_centres(s) for s in sizes]).astype(np.float32)
        rays = np.zeros((len(xy), 6), dtype=np.float32)
        rays[:, :2] = xy
        rays[:, 2] = view.z_camera
        rays[:, 5] = -1.0
        ans = self._scene.cast_rays(o3d.core.Tensor(rays))
        t = ans["t_hit"].numpy()
        hit = np.isfinite(t)
        normals = np.zeros((len(xy), 3), dtype=np.float32)
        if hit.any():
            prim = ans["primitive_ids"].numpy()[hit].astype(np.int64)
            geo = ans["primitive_normals"].numpy()[hit]
            # back-facing hits (inconsistent winding, open meshes): use the side facing the camera
            sign = np.where(geo[:, 2] < 0, np.float32(-1.0), np.float32(1.0))
            geo = geo * sign[:, None]
            if self._vn is None:
                n = geo
            else:
                uv = ans["primitive_uvs"].numpy()[hit]
                tri = self.faces[prim]
                w0 = 1.0 - uv[:, 0] - uv[:, 1]
                vn = self._vn
                n = (w0[:, None] * vn[tri[:, 0]] + uv[:, :1] * vn[tri[:, 1]] + uv[:, 1:2] * vn[tri[:, 2]]) * sign[
                    :, None
                ]
                length = np.linalg.norm(n, axis=1)
                # interpolation can cancel out or turn away at folds and silhouettes: keep the face normal there
                bad = (length < 1e-6) | (n[:, 2] < 0)
                n = np.where(bad[:, None], geo, n / np.maximum(length, 1e-12)[:, None])
            n = n.astype(np.float64)
            n /= np.linalg.norm(n, axis=1, keepdims=True)
            normals[hit] = n
        depth = np.where(hit, t, 0.0).astype(np.float32)
        out: dict[int, NormalMap] = {}
        start = 0
        for s in sizes:
            sl = slice(start, start + s * s)
            out[s] = NormalMap(
                normals=normals[sl].reshape(s, s, 3), depth=depth[sl].reshape(s, s), mask=hit[sl].reshape(s, s)
            )
            start += s * s
        return out
