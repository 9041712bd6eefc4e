"""2D face-alignment metrics: NME, failure rate, AUC and the CED curve.

* NME of a face = mean over landmarks of ‖p̂ − p‖ / d, where d is the inter-ocular
  distance (outer eye corners: WFLW 60 and 72, 300W 36 and 45, 0-based) or, as an
  option, the inter-pupil distance (WFLW 96 and 97; 300W: the centres of the eye
  contours 36–41 and 42–47).
* FR@t: the share of faces with NME > t (t = 0.1 unless stated).
* AUC@t: the area under the cumulative error distribution (share of faces with
  NME ≤ e, for e from 0 to t), divided by t so a perfect method scores 1.
"""

from __future__ import annotations

import numpy as np

from facecli.errors import InputError, ValidationError
from facecli.schemes import IBUG68, WFLW98
from facecli.validation import check_array

__all__ = ["NORMALISERS", "auc_at", "ced_curve", "failure_rate", "nme", "normalising_distance", "summarize_nme"]

#: scheme → normalisation → the two landmark groups whose centres are measured (from :mod:`facecli.schemes`).
NORMALISERS: dict[str, dict[str, tuple[tuple[int, ...], tuple[int, ...]]]] = {
    s.name: {"inter-ocular": ((s.eye_corners[0],), (s.eye_corners[1],)), "inter-pupil": s.eyes}
    for s in (WFLW98, IBUG68)
}


def _scheme_of(n: int) -> str:
    if n == 98:
        return "wflw98"
    if n == 68:
        return "ibug68"
    raise ValidationError(f"expected 98 (WFLW) or 68 (iBUG) landmarks, got {n}")


def normalising_distance(gt: np.ndarray, norm: str = "inter-ocular") -> np.ndarray:
    """(N,) float64 normalising distance of each face.

    Args:
        gt: (N, L, 2) true landmarks, px (L = 98 or 68).
        norm: ``inter-ocular`` (outer eye corners) or ``inter-pupil``.
    """
    g = check_array(gt, "(N, L, 2)", name="true landmarks").astype(np.float64)
    groups = NORMALISERS[_scheme_of(g.shape[1])]
    if norm not in groups:
        raise InputError(f"expected normalisation inter-ocular|inter-pupil, got {norm!r}")
    a, b = groups[norm]
    return np.linalg.norm(g[:, list(a)].mean(axis=1) - g[:, list(b)].mean(axis=1), axis=1)


def nme(pred: np.ndarray, gt: np.ndarray, norm: str = "inter-ocular") -> np.ndarray:
    """(N,) float64 normalised mean error of each face.

    Args:
        pred: (N, L, 2) predicted landmarks, px.
        gt: (N, L, 2) true landmarks, px.
        norm: ``inter-ocular`` or ``inter-pupil``.

    Example:
        >>> gt = np.zeros((1, 68, 2)); gt[0, 45, 0] = 100.0
        >>> float(nme(gt + [3.0, 4.0], gt)[0])
        0.05
    """
    p = check_array(pred, "(N, L, 2)", name="predicted landmarks").astype(np.float64)
    g = check_array(gt, "(N, L, 2)", name="true landmarks").astype(np.float64)
    if p.shape != g.shape:
        raise ValidationError(f"expected predictions shaped like the truth {g.shape}, got {p.shape}")
    d = normalising_distance(g, norm)
    if np.any(d <= 0):
        raise ValidationError(f"a face has a zero {norm} distance (face {int(np.flatnonzero(d <= 0)[0])})")
    return np.linalg.norm(p - g, axis=2).mean(axis=1) / d


def failure_rate(errors: np.ndarray, threshold: float = 0.1) -> float:
    """Share of faces whose NME exceeds ``threshold``."""
    e = np.asarray(errors, dtype=np.float64)
    return float((e > threshold).mean()) if e.size else float("nan")


def ced_curve(errors: np.ndarray, threshold: float = 0.1, steps: int = 1001) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative error distribution on ``[0, threshold]``.

    Returns:
        ``(x (steps,), share (steps,))``: the share of faces with NME ≤ x.
    """
    e = np.sort(np.asarray(errors, dtype=np.float64))
    x = np.linspace(0.0, threshold, steps)
    return x, np.searchsorted(e, x, side="right") / max(len(e), 1)


def auc_at(errors: np.ndarray, threshold: float = 0.1) -> float:
    """Area under the CED curve up to ``threshold``, divided by ``threshold``.

    Computed exactly (the CED is a step function): mean over faces of
    max(0, threshold − NME) / threshold.

    Example:
        >>> round(auc_at(np.array([0.0, 0.05, 0.2])), 6)
        0.5
    """
    e = np.asarray(errors, dtype=np.float64)
    if not e.size:
        return float("nan")
    return float(np.clip(threshold - e, 0.0, None).mean() / threshold)


def summarize_nme(errors: np.ndarray, threshold: float = 0.1) -> dict[str, float]:
    """Mean NME, FR@threshold and AUC@threshold of a set of faces (NME in %)."""
    e = np.asarray(errors, dtype=np.float64)
    return {
        "faces": int(e.size),
        "nme_pct": float(100 * e.mean()) if e.size else float("nan"),
        f"fr@{threshold:g}_pct": 100 * failure_rate(e, threshold),
        f"auc@{threshold:g}": auc_at(e, threshold),
    }
