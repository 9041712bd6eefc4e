"""Apex-spotting errors in frames."""

from __future__ import annotations

import numpy as np

from facecli.validation import check_array

__all__ = ["apex_errors", "midpoint_apex", "summarize_apex"]


def apex_errors(predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Absolute apex errors in frames.

    Args:
        predicted: (N,) int frame numbers.
        true: (N,) int frame numbers.

    Returns:
        (N,) int64 |predicted − true|.
    """
    p = check_array(predicted, "(N,)", name="predicted apex frames", dtype_kind="iu")
    t = check_array(true, "(N,)", name="true apex frames", dtype_kind="iu")
    if p.shape != t.shape:
        from facecli.errors import ValidationError

        raise ValidationError(f"expected {p.shape[0]} true apex frames, got {t.shape[0]}")
    return np.abs(p.astype(np.int64) - t.astype(np.int64))


def midpoint_apex(onset: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The baseline: (N,) int64 onset–offset midpoints, rounded down."""
    return (np.asarray(onset, np.int64) + np.asarray(offset, np.int64)) // 2


def summarize_apex(errors: np.ndarray, *, within: int = 5) -> dict[str, float]:
    """MAE, median, RMSE (frames) and the share of clips within ±``within`` frames.

    Example:
        >>> summarize_apex(np.array([0, 2, 10]))["mae"]
        4.0
    """
    e = np.asarray(errors, dtype=np.float64)
    if e.size == 0:
        return {
            "clips": 0,
            "mae": float("nan"),
            "median": float("nan"),
            "rmse": float("nan"),
            f"within_{within}": float("nan"),
        }
    return {
        "clips": int(e.size),
        "mae": float(e.mean()),
        "median": float(np.median(e)),
        "rmse": float(np.sqrt((e**2).mean())),
        f"within_{within}": float((e <= within).mean()),
    }
