"""Angular error of normal maps (degrees), the field's usual summary."""

from __future__ import annotations

import numpy as np

from facecli.validation import check_array

__all__ = ["ANGLE_THRESHOLDS", "angular_errors", "summarize_angles"]

#: thresholds of the "% of pixels within" figures, degrees
ANGLE_THRESHOLDS = (11.25, 22.5, 30.0)


def angular_errors(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Angles between predicted and true normals at the masked pixels.

    Both maps are renormalised first (float16 storage is not exactly unit length). A
    pixel where the prediction is empty (zero vector) counts as 90 degrees.

    Args:
        pred: (..., H, W, 3) float normals. gt: same shape. mask: (..., H, W) bool.

    Returns:
        (P,) float64 degrees, one per pixel inside ``mask``.
    """
    p = check_array(pred, "(..., H, W, 3)", name="predicted normals", finite=False).astype(np.float64)
    g = check_array(gt, "(..., H, W, 3)", name="ground-truth normals", finite=False).astype(np.float64)
    if p.shape != g.shape:
        raise ValueError(f"expected predicted and true normals of one shape, got {p.shape} and {g.shape}")
    m = np.asarray(mask, dtype=bool)
    if m.shape != p.shape[:-1]:
        raise ValueError(f"expected a mask of shape {p.shape[:-1]}, got {m.shape}")
    a, b = p[m], g[m]
    la = np.linalg.norm(a, axis=1, keepdims=True)
    a /= np.maximum(la, 1e-12)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    # atan2 of |cross| and dot is accurate at small angles, unlike arccos of the dot
    ang = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=1), np.einsum("ij,ij->i", a, b)))
    return np.where(la[:, 0] < 1e-6, 90.0, ang)


def summarize_angles(errors: np.ndarray) -> dict[str, float]:
    """Mean, median, RMSE and % of pixels under each threshold of :data:`ANGLE_THRESHOLDS`.

    Args:
        errors: (P,) degrees.
    """
    e = np.asarray(errors, dtype=np.float64)
    if e.size == 0:
        return {
            "pixels": 0,
            "mean_deg": float("nan"),
            "median_deg": float("nan"),
            "rmse_deg": float("nan"),
            **{f"pct_under_{t:g}": float("nan") for t in ANGLE_THRESHOLDS},
        }
    return {
        "pixels": int(e.size),
        "mean_deg": float(e.mean()),
        "median_deg": float(np.median(e)),
        "rmse_deg": float(np.sqrt(np.mean(e**2))),
        **{f"pct_under_{t:g}": float(100.0 * np.mean(e < t)) for t in ANGLE_THRESHOLDS},
    }
