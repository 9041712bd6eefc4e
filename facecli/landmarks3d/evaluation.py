"""Ground truth for ``evaluate landmarks3d``: prediction ids matched to a FaceScape root."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facecli.errors import InputError

__all__ = ["match_ground_truth", "plot_landmark_errors"]


def match_ground_truth(ids: Sequence[str], root: Path) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Find each predicted mesh in a FaceScape-layout root and read its true landmarks.

    An id matches a model when they are equal (``predict ROOT``), or when one ends
    with the other after a ``/`` (``predict ROOT/12`` gives ids like ``1_neutral.obj``:
    those must be unambiguous).

    Args:
        ids: (M,) prediction ids.
        root: the dataset root (``landmark_indices.npz`` + ``<id>/<k>_<expr>.obj``).

    Returns:
        ``(rows (K,) int64 indices into ids, gt (K, 68, 3) float64 mm, subjects (K,), unmatched ids)``.
    """
    from facecli.io.mesh import read_mesh
    from facecli.landmarks3d.data import load_landmark_set

    ds = load_landmark_set(root)
    by_id = {s.id: s for s in ds.scans}
    rows, gts, subjects, unmatched = [], [], [], []
    for i, pid in enumerate(ids):
        scan = by_id.get(pid)
        if scan is None:
            hits = [s for s in ds.scans if s.id.endswith("/" + pid) or pid.endswith("/" + s.id)]
            if len(hits) > 1:
                raise InputError(
                    f"prediction id {pid!r} matches {len(hits)} models under {root} "
                    f"({hits[0].id}, {hits[1].id}, ...): predict on the dataset root so ids are unique"
                )
            scan = hits[0] if hits else None
        if scan is None:
            unmatched.append(pid)
            continue
        rows.append(i)
        gts.append(ds.landmarks(read_mesh(scan.path, allow_points=False)))
        subjects.append(scan.subject)
    gt = np.stack(gts) if gts else np.zeros((0, 68, 3))
    return np.asarray(rows, dtype=np.int64), gt, subjects, unmatched


def plot_landmark_errors(path: Path, mean: np.ndarray, std: np.ndarray, *, title: str = "") -> Path:
    """Bar chart of the per-landmark mean error (mm) with ±1 std, coloured by iBUG region.

    Args:
        path: the PNG.
        mean: (L,) mm.
        std: (L,) mm.
    """
    from facecli.metrics.landmarks3d import IBUG68_REGIONS
    from facecli.plots import figure, save

    n = len(mean)
    colours = ["#7f7f7f"] * n
    palette = {"jaw": "#1f77b4", "brows": "#ff7f0e", "nose": "#2ca02c", "eyes": "#d62728", "mouth": "#9467bd"}
    handles = {}
    if n == 68:
        for name, (a, b) in IBUG68_REGIONS.items():
            for i in range(a, b):
                colours[i] = palette[name]
    fig, ax = figure(figsize=(12, 3.6), dpi=110)
    bars = ax.bar(np.arange(n), mean, yerr=std, color=colours, error_kw={"elinewidth": 0.6, "capsize": 1.5})
    if n == 68:
        for name, (a, _) in IBUG68_REGIONS.items():
            handles[name] = bars[a]
        ax.legend(handles.values(), handles.keys(), ncol=5, fontsize=8, loc="upper left")
    ax.set_xlabel("landmark (iBUG 68, 0-based)")
    ax.set_ylabel("error (mm), mean ± std")
    ax.set_xlim(-1, n)
    ax.set_title(title, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    save(fig, path)
    return path
