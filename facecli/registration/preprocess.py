"""Preparing a cloud for registration: voxel grid, oriented normals, FPFH.

The usual recipe (DESIGN.md): voxel ``v`` (derived from the clouds by
:mod:`facecli.registration.scale` unless given); normals from neighbours within ``2v``
(at most 30); FPFH within ``5v`` (at most 100); the fine stage on a ``v / 3`` grid. Normals are oriented away from the
cloud's centroid, a rule that depends only on the shape, so a scan and its moved
copy get the same orientation (a face scan is a cap whose centroid lies behind
the surface).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError
from facecli.registration.scale import Scales
from facecli.validation import check_array

__all__ = [
    "PreparedCloud",
    "boundary_points",
    "check_cloud",
    "voxel_downsample",
    "estimate_normals",
    "prepare_cloud",
    "prepare_pair",
    "MIN_POINTS",
]

MIN_POINTS = 10


@dataclass
class PreparedCloud:
    """A cloud ready for matching.

    Attributes:
        points: (N, 3) float64 full-resolution points.
        fine: (F, 3) float64 the points on a grid of a third of the voxel (the fine
            stage's points: as precise as the full cloud, bounded in number).
        fine_normals: (F, 3) float64 oriented unit normals of ``fine`` (NaN when
            not estimated).
        boundary: (F,) bool border flags of ``fine`` (all False when the normals
            were not estimated).
        down: (n, 3) float64 voxel-grid points.
        down_normals: (n, 3) float64 oriented unit normals of ``down``.
        features: (n, 33) float32 FPFH of ``down``.
        scales: the distances it was prepared with.
        seconds: time spent per step (``downsample``, ``normals``, ``fpfh``).
    """

    points: np.ndarray
    fine: np.ndarray
    fine_normals: np.ndarray
    boundary: np.ndarray
    down: np.ndarray
    down_normals: np.ndarray
    features: np.ndarray
    scales: Scales
    seconds: dict[str, float]

    @property
    def diameter(self) -> float:
        return float(np.linalg.norm(np.ptp(self.down, axis=0)))


#: The fine stage's grid, as a share of the voxel.
FINE_GRID = 1.0 / 3.0


def check_cloud(points: np.ndarray, *, source: str = "", min_points: int = MIN_POINTS) -> np.ndarray:
    """Boundary check of a cloud: (N, 3), finite, at least ``min_points`` points."""
    pts = check_array(points, "(N, 3)", name="points", source=source or None)
    where = f" in {source}" if source else ""
    if len(pts) < min_points:
        raise InputError(f"expected at least {min_points} points, got {len(pts)}{where}")
    return np.asarray(pts, np.float64)


def voxel_downsample(points: np.ndarray, voxel: float) -> np.ndarray:
    """Average the points in each cell of a ``voxel`` grid (the rule of Open3D's
    ``voxel_down_sample``: cells counted from the box's lower corner less half a voxel).

    Args:
        points: (N, 3) float. voxel: cell size, same units.

    Returns:
        (n, 3) float64 cell centroids, in the order of their cells.
    """
    p = np.asarray(points, np.float64)
    origin = p.min(0) - 0.5 * voxel
    cell = np.floor((p - origin) / voxel).astype(np.int64)
    dims = cell.max(0) + 1
    lin = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
    _, inv, cnt = np.unique(lin, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    out = np.stack([np.bincount(inv, weights=p[:, i], minlength=len(cnt)) for i in range(3)], 1)
    return out / cnt[:, None]


def estimate_normals(points: np.ndarray, radius: float, max_nn: int = 30, *, source: str = "") -> np.ndarray:
    """Unit normals by local PCA, oriented away from the centroid.

    The normal of a point is the least-variance direction of its at most ``max_nn``
    nearest neighbours within ``radius``, the point included (Open3D's hybrid rule);
    a point with fewer than 3 such neighbours keeps the normal of its nearest
    neighbour that has one.

    Args:
        points: (N, 3) float. radius: neighbourhood radius. max_nn: most neighbours.
        source: file name for error messages.

    Returns:
        (N, 3) float64 unit normals.

    Raises:
        InputError: most points have fewer than 3 neighbours within ``radius``
            (too sparse for the voxel size: a ``--voxel`` too small for the units).
    """
    from facecli.features.fpfh import hybrid_neighbours

    pts = np.asarray(points, np.float64)
    idx, _, cnt = hybrid_neighbours(pts, radius, max_nn)
    if np.median(cnt) < 3:
        where = f" in {source}" if source else ""
        raise InputError(
            f"cannot compute normals{where}: the median point has {int(np.median(cnt)) - 1} neighbours within "
            f"{radius:g} (expected >= 2); the cloud is too sparse for this --voxel (leave it out to derive it)"
        )
    k = idx.shape[1]
    w = (np.arange(k)[None, :] < cnt[:, None]).astype(np.float64)
    denom = np.maximum(cnt, 1).astype(np.float64)
    comp = [pts[:, i][idx] for i in range(3)]  # (N, K) each
    mean = [(c * w).sum(1) / denom for c in comp]
    off = [(c - m[:, None]) * w for c, m in zip(comp, mean)]
    cov = np.empty((len(pts), 3, 3))
    for i in range(3):
        for j in range(i, 3):
            cov[:, i, j] = cov[:, j, i] = (off[i] * off[j]).sum(1)
    _, vec = np.linalg.eigh(cov)
    n = vec[:, :, 0]
    bad = cnt < 3
    if bad.any() and (~bad).any():
        from scipy.spatial import cKDTree

        _, j = cKDTree(pts[~bad]).query(pts[bad], k=1)
        n[bad] = n[~bad][j]
    out = pts - pts.mean(0)
    flip = np.einsum("ij,ij->i", n, out) < 0
    n[flip] *= -1.0
    return n


def prepare_cloud(
    points: np.ndarray,
    scales: Scales | float,
    *,
    normal_nn: int = 30,
    feature_nn: int = 100,
    device: str = "cpu",
    full_normals: bool = True,
    source: str = "",
) -> PreparedCloud:
    """Voxel grid, normals and FPFH of one cloud.

    Args:
        points: (N, 3) float, any units.
        scales: the distances (:func:`facecli.registration.scale.resolve_scales`), or
            a voxel size whose multiples give the rest.
        device: torch device for FPFH (``cpu``: no torch needed).
        full_normals: also estimate normals and border flags of the fine grid (needed
            for the target of the point-to-plane fine stage); NaN-filled when ``False``.
        source: file name for error messages.

    Returns:
        The prepared cloud.
    """
    import time

    from facecli.features.fpfh import fpfh
    from facecli.geometry.normals import median_spacing
    from facecli.registration.scale import resolve_scales

    pts = check_cloud(points, source=source)
    sc = scales if isinstance(scales, Scales) else resolve_scales(pts, voxel=float(scales) if scales else None)
    voxel = sc.voxel
    if not voxel > 0:
        raise InputError(f"expected --voxel > 0, got {voxel}")
    diam = float(np.linalg.norm(np.ptp(pts, axis=0)))
    where = f" in {source}" if source else ""
    if diam < 5 * voxel:
        raise InputError(
            f"the cloud{where} spans {diam:.4g} but the voxel is {voxel:g}: expected a cloud at least 5 voxels "
            f"across (leave --voxel out to derive it from the clouds)"
        )
    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    down = voxel_downsample(pts, voxel)
    fine = voxel_downsample(pts, FINE_GRID * voxel)
    secs["downsample"] = time.perf_counter() - t0
    if len(down) < MIN_POINTS:
        raise InputError(f"only {len(down)} points{where} remain on a {voxel:g} voxel grid; use a smaller --voxel")
    t0 = time.perf_counter()
    down_n = estimate_normals(down, sc.normal_radius, normal_nn, source=source)
    if full_normals:
        fine_n = estimate_normals(fine, max(sc.normal_radius, 2.0 * median_spacing(fine)), normal_nn, source=source)
        border = boundary_points(fine, fine_n)
    else:
        fine_n = np.full_like(fine, np.nan)
        border = np.zeros(len(fine), bool)
    secs["normals"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    feats = fpfh(down, down_n, sc.feature_radius, feature_nn, device=device)
    secs["fpfh"] = time.perf_counter() - t0
    return PreparedCloud(pts, fine, fine_n, border, down, down_n, feats, sc, secs)


def prepare_pair(
    source: np.ndarray,
    target: np.ndarray,
    scales: Scales,
    *,
    device: str = "cpu",
    target_normals: bool = True,
    source_name: str = "",
    target_name: str = "",
) -> tuple[PreparedCloud, PreparedCloud]:
    """:func:`prepare_cloud` of a source and a target, side by side in two threads (the
    k-d trees and the array arithmetic release the GIL: about a quarter faster on 2 cores).

    Args:
        source: (N, 3) float. target: (M, 3) float. scales: the distances.
        device: torch device for FPFH.
        target_normals: estimate the target's fine-grid normals (the fine stage needs them).
        source_name, target_name: file names for error messages.

    Returns:
        ``(source, target)`` prepared.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        tgt = pool.submit(prepare_cloud, target, scales, device=device, full_normals=target_normals, source=target_name)
        src = pool.submit(prepare_cloud, source, scales, device=device, full_normals=False, source=source_name)
        return src.result(), tgt.result()


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
