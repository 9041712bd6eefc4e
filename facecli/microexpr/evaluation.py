"""Figures of the micro-expression recognition evaluation (the metrics themselves:
:mod:`facecli.metrics.mer`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facecli.plots import figure, save

__all__ = ["plot_confusion"]


def plot_confusion(path: Path, cm: np.ndarray, names: list[str], *, title: str = "") -> Path:
    """Row-normalised confusion matrix as a PNG.

    Args:
        path: the PNG to write.
        cm: (K, K) int counts, rows true, columns predicted.
        names: the K class names.
        title: the figure's title.
    """
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.where(rows > 0, cm / np.maximum(rows, 1), 0.0)
    fig, ax = figure(figsize=(1.2 * len(names) + 2, 1.1 * len(names) + 1.5))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(
                j,
                i,
                f"{cm[i, j]}\n{100 * frac[i, j]:.0f}%",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if frac[i, j] > 0.6 else "black",
            )
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save(fig, path)
