"""Preparing a cloud for registration: voxel grid, oriented normals, FPFH.

The usual recipe (DESIGN.md): voxel ``v``; normals from neighbours within ``2v``
(at most 30); FPFH within ``5v`` (at most 100). Normals are oriented away from the
cloud's centroid, a rule that depends only on the shape, so a scan and its moved
copy get the same orientation (a face scan is a cap whose centroid lies behind
the surface).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError
from facecli.validation import check_array

__all__ = [
    "PreparedCloud",
    "boundary_points",
    "check_cloud",
    "voxel_downsample",
    "estimate_normals",
    "prepare_cloud",
    "MIN_POINTS",
]

MIN_POINTS = 10


@dataclass
class PreparedCloud:
    """A cloud ready for matching.

    Attributes:
        points: (N, 3) float64 full-resolution points, mm.
        normals: (N, 3) float64 oriented unit normals of ``points``.
        down: (n, 3) float64 voxel-grid points, mm.
        down_normals: (n, 3) float64 oriented unit normals of ``down``.
        features: (n, 33) float32 FPFH of ``down``.
        boundary: (N,) bool border flags of ``points`` (all False when the full
            normals were not estimated).
        seconds: time spent per step (``downsample``, ``normals``, ``fpfh``).
    """

    points: np.ndarray
    normals: np.ndarray
    down: np.ndarray
    down_normals: np.ndarray
    features: np.ndarray
    boundary: np.ndarray
    seconds: dict[str, float]

    @property
    def diameter(self) -> float:
        return float(np.linalg.norm(np.ptp(self.down, axis=0)))


def check_cloud(points: np.ndarray, *, source: str = "", min_points: int = MIN_POINTS) -> np.ndarray:
    """Boundary check of a cloud: (N, 3), finite, at least ``min_points`` points."""
    pts = check_array(points, "(N, 3)", name="points", source=source or None)
    where = f" in {source}" if source else ""
    if len(pts) < min_points:
        raise InputError(f"expected at least {min_points} points, got {len(pts)}{where}")
    return np.asarray(pts, np.float64)


def _o3d_cloud(points: np.ndarray):
    import open3d as o3d

    return o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.ascontiguousarray(points, np.float64)))


def voxel_downsample(points: np.ndarray, voxel: float) -> np.ndarray:
    """Average the points in each cell of a ``voxel`` grid (Open3D's voxel_down_sample).

    Args:
        points: (N, 3) float. voxel: cell size, same units.

    Returns:
        (n, 3) float64 cell centroids.
    """
    return np.asarray(_o3d_cloud(points).voxel_down_sample(float(voxel)).points)


def estimate_normals(points: np.ndarray, radius: float, max_nn: int = 30, *, source: str = "") -> np.ndarray:
    """Unit normals by local PCA (Open3D), oriented away from the centroid.

    Args:
        points: (N, 3) float. radius: neighbourhood radius. max_nn: most neighbours.
        source: file name for error messages.

    Returns:
        (N, 3) float64 unit normals.

    Raises:
        InputError: most points have fewer than 3 neighbours within ``radius``
            (too sparse for the voxel size: wrong units or ``--voxel``).
    """
    import open3d as o3d

    from facecli.features.fpfh import hybrid_neighbours

    probe = points[np.linspace(0, len(points) - 1, min(len(points), 2000)).astype(np.int64)]
    _, _, cnt = hybrid_neighbours(points, radius, 4, queries=probe)
    if np.median(cnt) < 3:
        where = f" in {source}" if source else ""
        raise InputError(
            f"cannot compute normals{where}: the median point has {int(np.median(cnt)) - 1} neighbours within "
            f"{radius:g} (expected >= 2); the cloud is too sparse for this --voxel (are the units mm?)"
        )
    pc = _o3d_cloud(points)
    pc.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=float(radius), max_nn=int(max_nn)))
    n = np.asarray(pc.normals).copy()
    out = points - points.mean(0)
    flip = np.einsum("ij,ij->i", n, out) < 0
    n[flip] *= -1.0
    return n


def prepare_cloud(
    points: np.ndarray,
    voxel: float,
    *,
    normal_radius: float | None = None,
    normal_nn: int = 30,
    feature_radius: float | None = None,
    feature_nn: int = 100,
    device: str = "cpu",
    full_normals: bool = True,
    source: str = "",
) -> PreparedCloud:
    """Voxel grid, normals and FPFH of one cloud.

    Args:
        points: (N, 3) float, mm.
        voxel: voxel size, mm.
        normal_radius: default ``2 * voxel``. feature_radius: default ``5 * voxel``.
        device: torch device for FPFH.
        full_normals: also estimate normals of the full cloud (needed for a
            target of the point-to-plane fine stage); NaN-filled when ``False``.
        source: file name for error messages.

    Returns:
        The prepared cloud.
    """
    import time

    from facecli.features.fpfh import fpfh

    pts = check_cloud(points, source=source)
    if not voxel > 0:
        raise InputError(f"expected --voxel > 0 mm, got {voxel}")
    diam = float(np.linalg.norm(np.ptp(pts, axis=0)))
    where = f" in {source}" if source else ""
    if diam < 5 * voxel:
        raise InputError(
            f"the cloud{where} spans {diam:.4g} but --voxel is {voxel:g} mm: expected a face scan in mm "
            f"(metres? scale by 1000) or a smaller --voxel"
        )
    nr = normal_radius or 2.0 * voxel
    fr = feature_radius or 5.0 * voxel
    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    down = voxel_downsample(pts, voxel)
    secs["downsample"] = time.perf_counter() - t0
    if len(down) < MIN_POINTS:
        raise InputError(f"only {len(down)} points{where} remain on a {voxel:g} mm voxel grid; use a smaller --voxel")
    t0 = time.perf_counter()
    down_n = estimate_normals(down, nr, normal_nn, source=source)
    if full_normals:
        full_n = estimate_normals(pts, max(nr, 2.0 * _spacing(pts)), normal_nn, source=source)
        border = boundary_points(pts, full_n)
    else:
        full_n = np.full_like(pts, np.nan)
        border = np.zeros(len(pts), bool)
    secs["normals"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    feats = fpfh(down, down_n, fr, feature_nn, device=device)
    secs["fpfh"] = time.perf_counter() - t0
    return PreparedCloud(pts, full_n, down, down_n, feats, border, secs)


def _spacing(points: np.ndarray, sample: int = 2000) -> float:
    """Median nearest-neighbour spacing (on a fixed subsample)."""
    from scipy.spatial import cKDTree

    idx = np.linspace(0, len(points) - 1, min(sample, len(points))).astype(int)
    d, _ = cKDTree(points).query(points[idx], k=2)
    return float(np.median(d[:, 1]))


def boundary_points(points: np.ndarray, normals: np.ndarray, *, k: int = 16, ratio: float = 0.3) -> np.ndarray:
    """Flag points on the border of a scan.

    Inside a surface the ``k`` nearest neighbours surround a point, so their mean
    offset projected on the tangent plane is small; on the border it points inwards
    with a length near half the neighbourhood radius.

    Args:
        points: (N, 3) float. normals: (N, 3) unit normals.
        k: neighbours used. ratio: flag when the tangent mean offset exceeds
            ``ratio`` times the mean neighbour distance.

    Returns:
        (N,) bool, True on the border.
    """
    from scipy.spatial import cKDTree

    kk = int(min(k + 1, len(points)))
    d, j = cKDTree(points).query(points, k=kk, workers=-1)
    off = points[j[:, 1:]] - points[:, None, :]
    mean = off.mean(1)
    mean -= np.einsum("ij,ij->i", mean, normals)[:, None] * normals
    return np.linalg.norm(mean, axis=1) > ratio * d[:, 1:].mean(1)
