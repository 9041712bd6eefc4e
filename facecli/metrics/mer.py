"""Micro-expression recognition metrics: UF1 and UAR, as MEGC 2019 defines them.

UF1 (unweighted F1, macro F1) is the mean over classes of 2·TP / (2·TP + FP + FN);
UAR (unweighted average recall) is the mean over classes of TP / (TP + FN). Under
leave-one-subject-out both are computed once on the predictions **pooled over all
folds**: a fold holds one subject with a handful of clips and usually lacks classes,
so per-fold scores are noisy and their average is not the challenge's metric
(:func:`per_fold_average` exists to show the difference).

A class with no true and no predicted sample has an undefined F1 and recall; it is
left out of the mean (classes are those present in the ground truth, or given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from facecli.errors import ValidationError
from facecli.validation import check_array

__all__ = ["confusion_matrix", "mer_report", "per_class_recall", "per_fold_average", "uar", "uf1"]


def _labels(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    t = check_array(y_true, "(N,)", name="true classes", dtype_kind="iu").astype(np.int64)
    p = check_array(y_pred, "(N,)", name="predicted classes", dtype_kind="iu").astype(np.int64)
    if t.shape != p.shape:
        raise ValidationError(f"expected as many predictions as true classes ({t.shape[0]}), got {p.shape[0]}")
    k = int(n_classes) if n_classes is not None else int(max(t.max(initial=-1), p.max(initial=-1)) + 1)
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= k):
        raise ValidationError(
            f"expected class indices in [0, {k}), got {min(t.min(), p.min())}..{max(t.max(), p.max())}"
        )
    return t, p, k


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """(K, K) int64 counts; row = true class, column = predicted class.

    Args:
        y_true: (N,) int true classes.
        y_pred: (N,) int predicted classes.
        n_classes: K (default: the largest index + 1).
    """
    t, p, k = _labels(y_true, y_pred, n_classes)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)


def _present(cm: np.ndarray, classes: Sequence[int] | None) -> np.ndarray:
    if classes is not None:
        return np.asarray(list(classes), dtype=np.int64)
    return np.flatnonzero(cm.sum(axis=1) > 0)


def uf1(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None, *, classes: Sequence[int] | None = None
) -> float:
    """Unweighted (macro) F1 over the classes present in ``y_true`` (or ``classes``).

    Args:
        y_true: (N,) int true classes.
        y_pred: (N,) int predicted classes.
        n_classes: K.
        classes: the classes to average over (default: those with a true sample).

    Example:
        >>> round(uf1(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2])), 4)
        0.7778
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    cls = _present(cm, classes)
    if cls.size == 0:
        return float("nan")
    tp = np.diag(cm)[cls].astype(np.float64)
    fp = cm.sum(axis=0)[cls] - tp
    fn = cm.sum(axis=1)[cls] - tp
    den = 2 * tp + fp + fn
    return float(np.mean(np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), 0.0)))


def per_class_recall(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """(K,) float64 recall per class (NaN for a class with no true sample)."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    support = cm.sum(axis=1).astype(np.float64)
    return np.where(support > 0, np.diag(cm) / np.where(support > 0, support, 1), np.nan)


def uar(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None, *, classes: Sequence[int] | None = None
) -> float:
    """Unweighted average recall over the classes present in ``y_true`` (or ``classes``).

    Example:
        >>> round(uar(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2])), 4)
        0.8333
    """
    cm = confusion_matrix(y_true, y_pred, n_classes)
    cls = _present(cm, classes)
    if cls.size == 0:
        return float("nan")
    support = cm.sum(axis=1)[cls].astype(np.float64)
    rec = np.where(support > 0, np.diag(cm)[cls] / np.where(support > 0, support, 1), 0.0)
    return float(rec.mean())


def per_fold_average(
    y_true: np.ndarray, y_pred: np.ndarray, folds: np.ndarray, n_classes: int | None = None
) -> dict[str, float]:
    """UF1 and UAR computed per fold, then averaged: **not** the MEGC metric.

    Each fold averages over the classes its own subject has, so a subject with one
    clip scores 0 or 1. Reported only to show how far it is from the pooled value.

    Args:
        y_true, y_pred: (N,) int classes.
        folds: (N,) the fold (test subject) of each prediction.
    """
    f = np.asarray(folds)
    keys = list(dict.fromkeys(f.tolist()))
    t, p, k = _labels(y_true, y_pred, n_classes)
    return {
        "uf1": float(np.mean([uf1(t[f == g], p[f == g], k) for g in keys])),
        "uar": float(np.mean([uar(t[f == g], p[f == g], k) for g in keys])),
    }


def mer_report(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    class_names: Sequence[str],
    *,
    datasets: Sequence[str] | None = None,
    folds: Sequence[str] | None = None,
) -> dict:
    """Pooled UF1/UAR overall and per dataset, per-class recall and the confusion matrix.

    Args:
        y_true, y_pred: (N,) int classes (indices into ``class_names``).
        class_names: the K class names.
        datasets: (N,) dataset of each prediction (for the per-dataset rows).
        folds: (N,) fold (test subject) of each prediction (adds the per-fold average,
            labelled as such).

    Returns:
        A JSON-ready dict: ``clips``, ``uf1``, ``uar``, ``per_class_recall``,
        ``confusion`` (rows true, columns predicted), ``per_dataset`` and, with
        ``folds``, ``per_fold_average_not_megc``.
    """
    k = len(class_names)
    t, p, _ = _labels(np.asarray(y_true), np.asarray(y_pred), k)
    rec = per_class_recall(t, p, k)
    out: dict = {
        "clips": int(t.size),
        "classes": list(class_names),
        "uf1": uf1(t, p, k),
        "uar": uar(t, p, k),
        "per_class_recall": {c: (None if np.isnan(r) else float(r)) for c, r in zip(class_names, rec)},
        "support": {c: int(n) for c, n in zip(class_names, np.bincount(t, minlength=k))},
        "confusion": confusion_matrix(t, p, k).tolist(),
    }
    if datasets is not None:
        d = np.asarray(list(datasets), dtype=object)
        if d.shape != t.shape:
            raise ValidationError(f"expected a dataset for each of the {t.size} predictions, got {d.size}")
        per: dict[str, Mapping[str, float]] = {}
        for name in sorted(set(d.tolist())):
            m = d == name
            per[name] = {"clips": int(m.sum()), "uf1": uf1(t[m], p[m], k), "uar": uar(t[m], p[m], k)}
        out["per_dataset"] = per
    if folds is not None:
        out["per_fold_average_not_megc"] = per_fold_average(t, p, np.asarray(list(folds), dtype=object), k)
    return out
