"""Normals of point clouds: local PCA over a stated radius, oriented towards the camera,
and per-pixel splatting of an oriented cloud into normal/depth/mask maps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facecli.errors import ValidationError
from facecli.geometry.raycast import NormalMap
from facecli.geometry.view import OrthoView
from facecli.validation import check_array

__all__ = ["pca_normals", "median_spacing", "splat_points"]


def median_spacing(points: np.ndarray, sample: int = 4000) -> float:
    """Median distance from a point to its nearest neighbour (mm), on a subsample.

    Args:
        points: (N, 3) float.
    """
    from scipy.spatial import cKDTree

    p = np.asarray(points, dtype=np.float64)
    probe = p[np.linspace(0, len(p) - 1, min(len(p), sample)).astype(np.int64)]
    d, _ = cKDTree(p).query(probe, k=2)
    return float(np.median(d[:, 1]))


def pca_normals(
    points: np.ndarray,
    radius: float,
    *,
    max_nn: int = 30,
    towards: Sequence[float] = (0.0, 0.0, 1.0),
    source: str = "",
) -> np.ndarray:
    """Unit normals by PCA of the neighbours within ``radius`` (Open3D), oriented so
    that ``n . towards >= 0`` (for the frontal camera: towards +Z).

    Args:
        points: (N, 3) float, mm.
        radius: neighbourhood radius in mm.
        max_nn: most neighbours used per point.
        towards: (3,) the viewing direction back to the camera.
        source: file name for error messages.

    Returns:
        (N, 3) float64 unit normals.

    Raises:
        ValidationError: fewer than 3 points, or the median point has fewer than 2
            neighbours within ``radius`` (too sparse: wrong units or radius).
    """
    import open3d as o3d
    from scipy.spatial import cKDTree

    where = f" in {source}" if source else ""
    p = check_array(points, "(N, 3)", name="points", source=source or None).astype(np.float64)
    if len(p) < 3:
        raise ValidationError(f"expected at least 3 points for PCA normals, got {len(p)}{where}")
    if not radius > 0:
        raise ValidationError(f"expected a positive normal radius in mm, got {radius}")
    probe = p[np.linspace(0, len(p) - 1, min(len(p), 2000)).astype(np.int64)]
    counts = np.array([len(x) for x in cKDTree(p).query_ball_point(probe, r=radius)]) - 1
    if np.median(counts) < 2:
        raise ValidationError(
            f"expected >= 2 neighbours within the normal radius {radius:g} mm, the median point has "
            f"{int(np.median(counts))}{where} (raise --radius, or check that the units are mm)"
        )
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p))
    pc.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=float(radius), max_nn=int(max_nn)))
    n = np.asarray(pc.normals).copy()
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    d = np.asarray(towards, dtype=np.float64)
    n[n @ d < 0] *= -1.0
    return n


def splat_points(
    points: np.ndarray,
    normals: np.ndarray,
    view: OrthoView,
    size: int,
    *,
    radius: float,
    k: int = 16,
) -> NormalMap:
    """Per-pixel maps of an oriented point cloud: each pixel averages the normals of the
    front-most points within ``radius`` mm of its ray (Gaussian weights), z-buffered.

    Args:
        points: (N, 3) float, mm, canonical frame.
        normals: (N, 3) float unit normals facing the camera.
        view: the orthographic view.
        size: image size in pixels.
        radius: splat radius in mm (about 1.5x the point spacing closes the gaps).
        k: most points looked at per pixel.

    Returns:
        The :class:`NormalMap` (normals unit length, ``n_z >= 0``).
    """
    from scipy.spatial import cKDTree

    p = check_array(points, "(N, 3)", name="points").astype(np.float64)
    nrm = check_array(normals, "(N, 3)", name="normals").astype(np.float64)
    xy = view.pixel_centres(size)
    tree = cKDTree(p[:, :2])
    k = min(k, len(p))
    dist, idx = tree.query(xy, k=k, distance_upper_bound=radius)
    dist = dist.reshape(len(xy), k)
    idx = idx.reshape(len(xy), k)
    found = np.isfinite(dist)
    idx_safe = np.where(found, idx, 0)
    z = np.where(found, p[idx_safe, 2], -np.inf)
    zmax = z.max(axis=1)
    # z-buffer: keep the surface nearest the camera, within a radius-deep slab
    front = found & (z >= zmax[:, None] - radius)
    w = np.where(front, np.exp(-0.5 * (dist / (0.5 * radius)) ** 2), 0.0)
    wsum = w.sum(axis=1)
    mask = wsum > 0
    n = np.einsum("pk,pkc->pc", w, nrm[idx_safe])
    zf = np.einsum("pk,pk->p", w, np.where(front, z, 0.0))
    length = np.linalg.norm(n, axis=1)
    mask &= length > 1e-9
    n = np.where(mask[:, None], n / np.maximum(length, 1e-12)[:, None], 0.0)
    n[:, 2] = np.where(mask, np.maximum(n[:, 2], 0.0), 0.0)
    n = np.where(mask[:, None], n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12), 0.0)
    depth = np.where(mask, view.z_camera - zf / np.maximum(wsum, 1e-12), 0.0)
    return NormalMap(
        normals=n.reshape(size, size, 3).astype(np.float32),
        depth=depth.reshape(size, size).astype(np.float32),
        mask=mask.reshape(size, size),
    )
