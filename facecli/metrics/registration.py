"""Registration metrics: rotation error, translation error, RMSE over true correspondences, recall.

RE = arccos((tr(R_hat^T R) - 1) / 2) in degrees; TE = ||t_hat - t|| in mm; RMSE is over
the source points whose true position is known (outliers excluded); recall is the
share of pairs with RE and TE under the stated thresholds.
"""

from __future__ import annotations

import numpy as np

from facecli.validation import check_array

__all__ = [
    "rotation_error_deg",
    "translation_error",
    "correspondence_rmse",
    "transform_rmse",
    "registration_recall",
    "score_registrations",
    "summarize_registrations",
]


def rotation_error_deg(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Angle of ``R_hat^T R`` in degrees.

    Args:
        estimate: (4, 4) or (3, 3) estimated transform. truth: same shape, true.
    """
    r_hat = np.asarray(estimate, np.float64)[:3, :3]
    r = np.asarray(truth, np.float64)[:3, :3]
    c = (np.trace(r_hat.T @ r) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def translation_error(estimate: np.ndarray, truth: np.ndarray) -> float:
    """``||t_hat - t||`` of two (4, 4) transforms, in their units (mm)."""
    e = check_array(estimate, "(4, 4)", name="estimated transform")
    t = check_array(truth, "(4, 4)", name="true transform")
    return float(np.linalg.norm(e[:3, 3] - t[:3, 3]))


def correspondence_rmse(true_points: np.ndarray, estimate: np.ndarray, truth: np.ndarray) -> float:
    """RMSE over true correspondences.

    Each source point whose true position ``g`` (target frame) is known is moved by
    the estimate after undoing the true transform: the error is
    ``||T_hat T^-1 g - g||``, so the sensor noise of the source does not enter.

    Args:
        true_points: (N, 3) true positions in the target frame; NaN rows (outliers)
            are ignored.
        estimate: (4, 4) estimated transform. truth: (4, 4) true transform.

    Returns:
        RMSE in mm (NaN when no point has a true position).
    """
    g = check_array(true_points, "(N, 3)", name="true positions", finite=False)
    e = check_array(estimate, "(4, 4)", name="estimated transform")
    t = check_array(truth, "(4, 4)", name="true transform")
    ok = np.isfinite(g).all(1)
    if not ok.any():
        return float("nan")
    m = e @ np.linalg.inv(t)
    y = g[ok] @ m[:3, :3].T + m[:3, 3]
    return float(np.sqrt(np.mean(np.sum((y - g[ok]) ** 2, axis=1))))


def transform_rmse(points: np.ndarray, estimate: np.ndarray, truth: np.ndarray) -> float:
    """RMSE of the source points under the estimate against the ground truth (the FGR paper's measure).

    ``sqrt(mean ||T_hat p - T p||^2)`` over every source point ``p`` (in the source's frame).

    Args:
        points: (N, 3) source points; rows with NaN are ignored.
        estimate: (4, 4) estimated transform. truth: (4, 4) true transform.

    Returns:
        RMSE in the points' units (NaN when no point is finite).

    Example:
        >>> import numpy as np
        >>> t = np.eye(4); t[0, 3] = 2.0
        >>> transform_rmse(np.zeros((5, 3)), t, np.eye(4))
        2.0
    """
    p = check_array(points, "(N, 3)", name="source points", finite=False)
    e = check_array(estimate, "(4, 4)", name="estimated transform")
    t = check_array(truth, "(4, 4)", name="true transform")
    ok = np.isfinite(p).all(1)
    if not ok.any():
        return float("nan")
    d = p[ok] @ (e[:3, :3] - t[:3, :3]).T + (e[:3, 3] - t[:3, 3])
    return float(np.sqrt(np.mean(np.sum(d * d, axis=1))))


def registration_recall(re_deg: np.ndarray, te: np.ndarray, *, max_re: float = 2.0, max_te: float = 2.0) -> float:
    """Share of pairs with RE < ``max_re`` degrees and TE < ``max_te`` mm.

    Args:
        re_deg: (P,) rotation errors. te: (P,) translation errors.
    """
    re_ = np.asarray(re_deg, np.float64)
    te_ = np.asarray(te, np.float64)
    if re_.size == 0:
        return float("nan")
    return float(np.mean((re_ < max_re) & (te_ < max_te)))


def score_registrations(
    estimates: dict[str, np.ndarray],
    truths: dict[str, np.ndarray],
    true_points: dict[str, np.ndarray] | None = None,
    source_points: dict[str, np.ndarray] | None = None,
) -> list[dict[str, object]]:
    """Per-pair metrics for every pair of the ground truth.

    A pair without an estimate (failed or missing) is kept with ``found=False`` and
    infinite errors, so it counts as a miss in the recall.

    Args:
        estimates: id → (4, 4) estimated transform.
        truths: id → (4, 4) true transform.
        true_points: id → (N, 3) true source positions in the target frame (for the RMSE), optional.
        source_points: id → (N, 3) source points in their own frame (the RMSE of
            :func:`transform_rmse`, used where ``true_points`` has no entry), optional.

    Returns:
        One dict per ground-truth id (sorted): ``id, found, re_deg, te_mm, rmse_mm``.
    """
    rows: list[dict[str, object]] = []
    for pid in sorted(truths):
        t = truths[pid]
        if pid not in estimates:
            rows.append(
                {"id": pid, "found": False, "re_deg": float("inf"), "te_mm": float("inf"), "rmse_mm": float("nan")}
            )
            continue
        e = estimates[pid]
        if true_points and pid in true_points:
            rmse = correspondence_rmse(true_points[pid], e, t)
        elif source_points and pid in source_points:
            rmse = transform_rmse(source_points[pid], e, t)
        else:
            rmse = float("nan")
        rows.append(
            {
                "id": pid,
                "found": True,
                "re_deg": rotation_error_deg(e, t),
                "te_mm": translation_error(e, t),
                "rmse_mm": rmse,
            }
        )
    return rows


def summarize_registrations(
    rows: list[dict[str, object]], *, max_re: float = 2.0, max_te: float = 2.0, max_rmse: float | None = None
) -> dict[str, float]:
    """Recall, median and 95th percentile of RE/TE, median RMSE over pairs.

    Args:
        rows: from :func:`score_registrations`.
        max_re: recall threshold on RE, degrees. max_te: on TE, mm.
        max_rmse: also the recall at RMSE < ``max_rmse`` (a pair without an RMSE counts as a miss).
    """
    re_ = np.array([r["re_deg"] for r in rows], np.float64)
    te = np.array([r["te_mm"] for r in rows], np.float64)
    rm = np.array([r["rmse_mm"] for r in rows], np.float64)

    def q(a: np.ndarray, p: float) -> float:
        # an observed value (no interpolation), so missing pairs (inf) stay inf
        return float(np.percentile(a, p, method="inverted_cdf")) if a.size else float("nan")

    return {
        "pairs": len(rows),
        "found": int(sum(bool(r["found"]) for r in rows)),
        "recall": registration_recall(re_, te, max_re=max_re, max_te=max_te),
        "max_re_deg": max_re,
        "max_te_mm": max_te,
        "re_median_deg": q(re_, 50),
        "re_p95_deg": q(re_, 95),
        "te_median_mm": q(te, 50),
        "te_p95_mm": q(te, 95),
        "rmse_median_mm": float(np.nanmedian(rm)) if np.isfinite(rm).any() else float("nan"),
        **(
            {"max_rmse": max_rmse, "recall_rmse": float(np.mean(np.nan_to_num(rm, nan=np.inf) < max_rmse))}
            if max_rmse is not None and np.isfinite(rm).any()
            else {}
        ),
    }
