"""Figures of the 2D-landmark evaluation (the metrics themselves: :mod:`facecli.metrics.align`)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from facecli.plots import figure, save

__all__ = ["plot_ced"]


def plot_ced(
    path: Path,
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    auc: Mapping[str, float],
    *,
    norm: str,
    threshold: float,
) -> Path:
    """The cumulative error distribution per subset, as a PNG.

    Args:
        path: the PNG to write.
        curves: subset → ``(errors (K,), share of faces (K,))`` from
            :func:`facecli.metrics.align.ced_curve` (NME as a fraction).
        auc: subset → its AUC, shown in the legend.
        norm: the NME normaliser, for the axis label.
        threshold: the NME the curves stop at.
    """
    fig, ax = figure()
    for name, (x, y) in curves.items():
        ax.plot(100 * x, y, lw=2.0 if name == "all" else 1.0, label=f"{name} (AUC {auc[name]:.3f})")
    ax.set_xlabel(f"NME ({norm}), %")
    ax.set_ylabel("share of faces")
    ax.set_xlim(0, 100 * threshold)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save(fig, path)
