"""Distances of a registration derived from the clouds, in whatever units they come.

Every distance of the pipeline is a multiple of one voxel size ``v`` (DESIGN.md's
recipe): normals within ``2v``, FPFH within ``5v``, the coarse Geman-McClure scale
``1.5v``, the fine scale ``v / 2``, the fine cut-off ``3v`` and the inlier threshold
``1.5v``. ``v`` itself comes from the target (the fixed cloud, prepared once for a
whole ``--template`` batch): :data:`VOXEL_FRACTION` of its robust box diagonal, and
never below :data:`MIN_VOXEL_SPACINGS` times the larger median point spacing of the
two clouds (a grid finer than the points leaves normals without neighbours). A face
scan of about 240 mm gets the 3 mm voxel that DESIGN.md gives for faces; an object
two units across gets 0.025 units.

Example:
    >>> import numpy as np
    >>> g = np.stack(np.meshgrid(np.arange(0, 200.0, 2), np.arange(0, 150.0, 2)), -1).reshape(-1, 2)
    >>> face_like = np.c_[g, np.zeros(len(g))]
    >>> s = resolve_scales(face_like, face_like)
    >>> round(s.voxel, 2), round(s.feature_radius, 1)
    (2.98, 14.9)
    >>> round(resolve_scales(face_like / 1000, face_like / 1000).voxel, 5)  # the same scan in metres
    0.00298
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields

import numpy as np

from facecli.geometry.facefind import box_diagonal
from facecli.geometry.normals import median_spacing

__all__ = [
    "Scales",
    "SCALE_COLUMNS",
    "VOXEL_FRACTION",
    "MIN_VOXEL_SPACINGS",
    "robust_diagonal",
    "auto_voxel",
    "resolve_scales",
]

#: The voxel as a share of the target's robust box diagonal.
VOXEL_FRACTION = 1.0 / 80.0
#: The voxel is at least this many median point spacings.
MIN_VOXEL_SPACINGS = 1.0


@dataclass(frozen=True)
class Scales:
    """The distances one registration uses, in the clouds' units.

    Attributes:
        voxel: voxel size of the coarse stage.
        normal_radius: radius of the normal estimation (``2 voxel``).
        feature_radius: radius of FPFH (``5 voxel``).
        delta: final Geman-McClure scale of the coarse stage (``1.5 voxel``).
        fine_delta: final Geman-McClure scale of the fine stage (``voxel / 2``).
        fine_max_distance: correspondence cut-off of the fine stage (``3 voxel``).
        inlier_threshold: distance for fitness and inlier RMSE (``1.5 voxel``).
    """

    voxel: float
    normal_radius: float
    feature_radius: float
    delta: float
    fine_delta: float
    fine_max_distance: float
    inlier_threshold: float

    def as_array(self) -> np.ndarray:
        """(7,) float64 in the order of :data:`SCALE_COLUMNS`."""
        return np.array(astuple(self), np.float64)

    def describe(self) -> str:
        """One line for ``-v``: every distance with its name."""
        return ", ".join(f"{f.name} {getattr(self, f.name):.4g}" for f in fields(self))


SCALE_COLUMNS = tuple(f.name for f in fields(Scales))


def robust_diagonal(points: np.ndarray, *, q: float = 2.0) -> float:
    """Diagonal of the box between the ``q`` and ``100 - q`` percentiles of each axis
    (:func:`facecli.geometry.facefind.box_diagonal`; a few stray points far away do not change it).

    Args:
        points: (N, 3) float.
    """
    return box_diagonal(points, q=q)


def auto_voxel(target: np.ndarray, source: np.ndarray | None = None) -> float:
    """The voxel size for registering ``source`` onto ``target``.

    Args:
        target: (M, 3) float, the fixed cloud. source: (N, 3) float, or ``None``.

    Returns:
        ``max(VOXEL_FRACTION * robust_diagonal(target), MIN_VOXEL_SPACINGS * spacing)``
        where ``spacing`` is the larger median spacing of the two clouds.
    """
    spacing = median_spacing(target)
    if source is not None:
        spacing = max(spacing, median_spacing(source))
    return max(VOXEL_FRACTION * robust_diagonal(target), MIN_VOXEL_SPACINGS * spacing)


def resolve_scales(
    target: np.ndarray,
    source: np.ndarray | None = None,
    *,
    voxel: float | None = None,
    delta: float | None = None,
    fine_delta: float | None = None,
    fine_max_distance: float | None = None,
    inlier_threshold: float | None = None,
) -> Scales:
    """Every distance of one registration: the given ones, the rest from the voxel.

    Args:
        target: (M, 3) float, the fixed cloud (its size sets the voxel).
        source: (N, 3) float, the moving cloud (its spacing bounds the voxel), or ``None``.
        voxel, delta, fine_delta, fine_max_distance, inlier_threshold: fixed values,
            or ``None`` to derive them.

    Returns:
        The scales.
    """
    v = float(voxel) if voxel else auto_voxel(target, source)
    return Scales(
        voxel=v,
        normal_radius=2.0 * v,
        feature_radius=5.0 * v,
        delta=float(delta) if delta else 1.5 * v,
        fine_delta=float(fine_delta) if fine_delta else 0.5 * v,
        fine_max_distance=float(fine_max_distance) if fine_max_distance else 3.0 * v,
        inlier_threshold=float(inlier_threshold) if inlier_threshold else 1.5 * v,
    )
