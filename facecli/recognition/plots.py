"""ROC plot for verification results."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["plot_roc"]


def plot_roc(path: Path, curves: Mapping[str, tuple[np.ndarray, np.ndarray, float]], title: str = "ROC") -> Path:
    """Write a ROC plot (TAR against FAR on a log axis) as PNG.

    Args:
        path: the PNG to write.
        curves: label → (far (T,), tar (T,), eer); the EER point is marked on each curve.
    """
    from facecli.plots import figure, save

    fig, ax = figure(figsize=(5.5, 4.5), dpi=120)
    for label, (far, tar, eer) in curves.items():
        keep = far > 0
        (line,) = ax.plot(far[keep], tar[keep], label=f"{label} (EER {100 * eer:.2f} %)")
        ax.plot([eer], [1 - eer], "o", color=line.get_color())
    ax.set_xscale("log")
    ax.set_xlim(left=max(1e-4, min((c[0][c[0] > 0].min() for c in curves.values()), default=1e-4)), right=1.0)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("FAR (false accept rate)")
    ax.set_ylabel("TAR (true accept rate)")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save(fig, path)
    return Path(path)
