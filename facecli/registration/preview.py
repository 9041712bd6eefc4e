"""A PNG showing the source over the target before and after registration."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_preview"]


def save_preview(
    path: Path,
    source: np.ndarray,
    target: np.ndarray,
    transform: np.ndarray,
    *,
    title: str = "",
    max_points: int = 6000,
) -> Path:
    """Two panels, before and after: target in blue, source in orange.

    Points are projected on the target's two main axes (PCA), so a face scan is
    seen from the front whatever its pose.

    Args:
        path: the PNG to write.
        source: (N, 3) source points, mm. target: (M, 3) target points, mm.
        transform: (4, 4) source → target.
        title: a caption (the pair id).
        max_points: at most this many points drawn per cloud (evenly strided).

    Returns:
        ``path``.
    """
    from facecli.plots import figure, save

    centre = target.mean(0)
    _, _, vt = np.linalg.svd(target - centre, full_matrices=False)
    axes = vt[:2]

    def proj(p: np.ndarray) -> np.ndarray:
        step = max(1, len(p) // max_points)
        return (p[::step] - centre) @ axes.T

    moved = source @ transform[:3, :3].T + transform[:3, 3]
    fig, ax = figure(nrows=1, ncols=2, figsize=(9, 4.6), dpi=100)
    for a, src, label in ((ax[0], source, "before"), (ax[1], moved, "after")):
        t2, s2 = proj(target), proj(src)
        a.scatter(t2[:, 0], t2[:, 1], s=0.5, c="#1f77b4", label="target", linewidths=0)
        a.scatter(s2[:, 0], s2[:, 1], s=0.5, c="#ff7f0e", label="source", linewidths=0, alpha=0.7)
        a.set_title(label)
        a.set_aspect("equal", adjustable="datalim")
        a.set_xticks([])
        a.set_yticks([])
    ax[1].legend(loc="lower right", markerscale=12, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    save(fig, path)
    return path
