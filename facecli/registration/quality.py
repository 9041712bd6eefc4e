"""Was a registration right? The success flag and the measures it reads.

No single number separates right from wrong registrations. Two clouds of one shape
put in a wrong pose still overlap (fitness stays high on a mirrored face), and a small
overlap gives few inliers when the answer is right. The flag therefore asks
for agreement between independent stages:

- ``coarse_inliers``: feature matches that the coarse answer explains (within the
  coarse scale). A wrong answer explains a handful of chance matches.
- ``fitness``: the share of source points near the target after the fine stage.
- ``rmse_voxels``: their RMSE in voxels. A wrong pose leaves the points spread over the
  whole threshold.
- ``normal_agreement``: of the source voxel points near the target, the share whose
  turned normal lies within 30 degrees of the target's. A wrong pose that still touches
  the surface crosses it at an angle.

The thresholds were set on synthetic pairs of faces and of non-face objects in other
units (``benchmarks/register``, where the flag's precision and recall are measured).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SuccessCriteria", "QUALITY_COLUMNS", "normal_agreement", "is_success", "failed_checks"]

QUALITY_COLUMNS = ("coarse_inliers", "coarse_ratio", "fitness", "rmse_voxels", "normal_agreement")

#: cos(30 degrees): a moved normal agrees with the target's within this.
AGREE_COS = float(np.cos(np.radians(30.0)))


@dataclass
class SuccessCriteria:
    """Thresholds of the success flag; a registration is ``ok`` when all hold.

    Attributes:
        min_coarse_inliers: feature matches explained by the coarse answer.
        min_fitness: share of source points within the inlier threshold.
        max_rmse_voxels: inlier RMSE, in voxels.
        min_normal_agreement: share of overlapping points with agreeing normals.
    """

    min_coarse_inliers: int = 6
    min_fitness: float = 0.3
    max_rmse_voxels: float = 0.9
    min_normal_agreement: float = 0.45


def failed_checks(quality: dict[str, float] | np.ndarray, criteria: SuccessCriteria) -> list[str]:
    """The checks a registration fails, each as ``"name value <op> threshold"``.

    Args:
        quality: the measures by name, or (5,) in the order of :data:`QUALITY_COLUMNS`.
        criteria: the thresholds.

    Example:
        >>> failed_checks({"coarse_inliers": 4, "coarse_ratio": 0.01, "fitness": 0.5, "rmse_voxels": 0.3,
        ...                "normal_agreement": 0.9}, SuccessCriteria())
        ['coarse inliers 4 < 6']
    """
    q = quality if isinstance(quality, dict) else dict(zip(QUALITY_COLUMNS, np.asarray(quality, float).tolist()))
    out = []
    if q["coarse_inliers"] < criteria.min_coarse_inliers:
        out.append(f"coarse inliers {q['coarse_inliers']:.0f} < {criteria.min_coarse_inliers}")
    if q["fitness"] < criteria.min_fitness:
        out.append(f"fitness {q['fitness']:.3f} < {criteria.min_fitness:g}")
    if q["rmse_voxels"] > criteria.max_rmse_voxels:
        out.append(f"RMSE {q['rmse_voxels']:.3f} voxels > {criteria.max_rmse_voxels:g}")
    if q["normal_agreement"] < criteria.min_normal_agreement:
        out.append(f"normal agreement {q['normal_agreement']:.3f} < {criteria.min_normal_agreement:g}")
    return out


def is_success(quality: dict[str, float] | np.ndarray, criteria: SuccessCriteria) -> bool:
    """Whether every measure passes its threshold (no :func:`failed_checks`).

    Args:
        quality: the measures of :data:`QUALITY_COLUMNS`, by name or in order.
        criteria: the thresholds.
    """
    return not failed_checks(quality, criteria)


def normal_agreement(
    points: np.ndarray,
    normals: np.ndarray,
    transform: np.ndarray,
    target_tree: Any,
    target_normals: np.ndarray,
    threshold: float,
) -> float:
    """Share of moved points near the target whose normal agrees with the target's.

    Normals are compared up to sign (a scan's orientation rule can differ between
    two partial views).

    Args:
        points: (n, 3) source points (e.g. the voxel grid). normals: (n, 3) their unit normals.
        transform: (4, 4) source → target.
        target_tree: k-d tree of the target points whose normals are ``target_normals``.
        target_normals: (m, 3) unit normals.
        threshold: a point counts when its nearest target point lies within this.

    Returns:
        The share in [0, 1] (0 when no point is near the target).
    """
    rot = transform[:3, :3]
    y = points @ rot.T + transform[:3, 3]
    d, j = target_tree.query(y, k=1, distance_upper_bound=threshold)
    near = np.isfinite(d)
    if not near.any():
        return 0.0
    cos = np.abs(np.einsum("ij,ij->i", normals[near] @ rot.T, target_normals[j[near]]))
    return float(np.mean(cos >= AGREE_COS))
