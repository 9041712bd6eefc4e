"""3D landmark errors: Euclidean distance in millimetres, per landmark, region and subject."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from facecli.schemes import IBUG68_REGIONS
from facecli.validation import check_array

__all__ = ["IBUG68_REGIONS", "LandmarkErrorReport", "landmark_error_report", "landmark_errors"]


def landmark_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Distance between predicted and true landmarks.

    Args:
        pred: (M, L, 3) float, mm.
        gt: (M, L, 3) float, mm.

    Returns:
        (M, L) float64 errors in mm.

    Example:
        >>> landmark_errors(np.zeros((1, 2, 3)), np.array([[[3, 4, 0], [0, 0, 1]]])).tolist()
        [[5.0, 1.0]]
    """
    p = check_array(pred, "(M, L, 3)", name="predicted landmarks")
    g = check_array(gt, "(M, L, 3)", name="ground-truth landmarks")
    if p.shape != g.shape:
        from facecli.errors import ValidationError

        raise ValidationError(f"expected ground truth of shape {p.shape}, got {g.shape}")
    return np.linalg.norm(p.astype(np.float64) - g.astype(np.float64), axis=2)


@dataclass
class LandmarkErrorReport:
    """Summary of (M, L) errors.

    Attributes:
        mean, std, median, max: over all M·L landmark errors (mm).
        per_landmark_mean, per_landmark_std: (L,) mm.
        regions: region → mean mm (iBUG-68 layout; empty for other L).
        subjects: subject → mean mm.
        meshes: M.
    """

    mean: float
    std: float
    median: float
    max: float
    per_landmark_mean: np.ndarray
    per_landmark_std: np.ndarray
    regions: dict[str, float] = field(default_factory=dict)
    subjects: dict[str, float] = field(default_factory=dict)
    meshes: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "meshes": self.meshes,
            "mean_mm": self.mean,
            "std_mm": self.std,
            "median_mm": self.median,
            "max_mm": self.max,
            "regions_mm": self.regions,
            "subjects_mm": self.subjects,
            "per_landmark_mean_mm": [float(v) for v in self.per_landmark_mean],
            "per_landmark_std_mm": [float(v) for v in self.per_landmark_std],
        }


def landmark_error_report(errors: np.ndarray, subjects: Sequence[str] | None = None) -> LandmarkErrorReport:
    """Summarise errors (M, L) mm; ``subjects`` (M,) groups meshes by person.

    The overall std is over all landmark errors (not over per-mesh means).
    """
    e = check_array(errors, "(M, L)", name="errors")
    regions = {}
    if e.shape[1] == 68:
        regions = {name: float(e[:, a:b].mean()) for name, (a, b) in IBUG68_REGIONS.items()}
    by_subject: dict[str, float] = {}
    if subjects is not None:
        subj = np.asarray(list(subjects), dtype=object)
        for s in sorted(set(subj.tolist()), key=str):
            by_subject[str(s)] = float(e[subj == s].mean())
    return LandmarkErrorReport(
        mean=float(e.mean()),
        std=float(e.std(ddof=1)) if e.size > 1 else 0.0,
        median=float(np.median(e)),
        max=float(e.max()),
        per_landmark_mean=e.mean(axis=0),
        per_landmark_std=e.std(axis=0, ddof=1) if len(e) > 1 else np.zeros(e.shape[1]),
        regions=regions,
        subjects=by_subject,
        meshes=int(e.shape[0]),
    )
