"""Figures of the 2D-landmark evaluation (the metrics themselves: :mod:`facecli.metrics.align`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.plots import figure, save

__all__ = ["AlignReport", "align_report", "plot_ced"]


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


@dataclass
class AlignReport:
    """Predictions scored against an alignment dataset.

    Attributes:
        summary: the JSON summary: norm, threshold, per-subset figures, matched and
            unmatched counts, faces leaving at each cascade iteration.
        errors: (M,) per-face NME of the matched faces.
        groups: subset name → (M,) bool mask (``all`` first, then the dataset's subsets).
    """

    summary: dict
    errors: np.ndarray
    groups: dict[str, np.ndarray]


def align_report(
    predictions: dict[str, np.ndarray],
    faces: list,
    *,
    norm: str,
    threshold: float,
    exit_iterations: dict[str, int] | None = None,
    source: str = "predictions",
    truth: str = "the ground truth",
) -> AlignReport:
    """NME, FR and AUC overall and per subset of the faces that have a prediction.

    Args:
        predictions: face id → (L, 2) landmarks.
        faces: the dataset's faces (:func:`facecli.landmarks2d.data.load_alignment_set`).
        norm: the NME's normalisation. threshold: FR/AUC threshold.
        exit_iterations: face id → the cascade iteration it left at (optional).
        source: where the predictions come from; truth: the ground truth's name (messages).

    Raises:
        InputError: no face matched, or the landmark counts differ.
    """
    from facecli.errors import InputError
    from facecli.metrics.align import nme, summarize_nme
    from facecli.schemes import convert, scheme_for

    matched = [f for f in faces if f.id in predictions]
    if not matched:
        raise InputError(f"no face of {source} is in {truth} (e.g. {next(iter(predictions), 'none')})")
    converted = None
    n_pred, n_true = predictions[matched[0].id].shape[0], matched[0].landmarks.shape[0]
    if (n_pred, n_true) == (98, 68):  # a WFLW-98 model scored on 300W truth through the standard subset
        predictions = {f.id: convert(predictions[f.id], "ibug68") for f in matched}
        converted = f"{scheme_for(98).name} -> {scheme_for(68).name} (standard subset)"
    if matched[0].landmarks.shape != predictions[matched[0].id].shape:
        raise InputError(
            f"expected {matched[0].landmarks.shape[0]} landmarks per face as in {truth}, got "
            f"{predictions[matched[0].id].shape[0]} in {source}"
        )
    errs = nme(np.stack([predictions[f.id] for f in matched]), np.stack([f.landmarks for f in matched]), norm)
    groups: dict[str, np.ndarray] = {"all": np.ones(len(matched), dtype=bool)}
    for name in sorted({s for f in matched for s in f.subsets}):
        groups[name] = np.array([name in f.subsets for f in matched])
    report = {name: summarize_nme(errs[m], threshold) for name, m in groups.items() if m.any()}
    its = np.array([int((exit_iterations or {}).get(f.id, 0)) for f in matched])
    summary = {
        "norm": norm,
        "threshold": threshold,
        "subsets": report,
        "matched": len(matched),
        "unmatched_predictions": len(predictions) - len(matched),
        "exit_iterations": {str(k): int((its == k).sum()) for k in sorted(set(its.tolist())) if k > 0},
    }
    if converted:
        summary["converted"] = converted
    return AlignReport(summary, errs, groups)
