"""Face-verification metrics: ROC, a true EER (FAR = FRR, interpolated), TAR at a
given FAR, and LFW's 10-fold accuracy with the threshold chosen on the other folds.

Scores are similarities: higher means "same person". A pair is accepted when its
score is at or above the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError

__all__ = [
    "ROC",
    "roc",
    "equal_error_rate",
    "tar_at_far",
    "best_threshold",
    "fold_accuracy",
    "VerificationReport",
    "verification_report",
]


@dataclass(frozen=True)
class ROC:
    """Operating points for every distinct threshold, from strictest to loosest.

    Attributes:
        far: (T,) false-accept rate (impostor pairs accepted / impostor pairs).
        tar: (T,) true-accept rate (genuine pairs accepted / genuine pairs).
        thresholds: (T,) the score threshold of each point; the first is +inf
            (nothing accepted).
    """

    far: np.ndarray
    tar: np.ndarray
    thresholds: np.ndarray


def _check(scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(same).reshape(-1).astype(bool)
    if s.shape != y.shape:
        raise InputError(f"expected one label per score, got {s.size} scores and {y.size} labels")
    if not np.all(np.isfinite(s)):
        raise InputError(f"expected finite scores, got {int((~np.isfinite(s)).sum())} NaN/inf")
    if y.all() or (~y).all():
        raise InputError(
            f"expected both genuine and impostor pairs, got {int(y.sum())} genuine and {int((~y).sum())} impostor"
        )
    return s, y


def roc(scores: np.ndarray, same: np.ndarray) -> ROC:
    """The ROC over all distinct thresholds (no points dropped).

    Args:
        scores: (N,) similarity per pair.
        same: (N,) bool, True for genuine (same-person) pairs.
    """
    s, y = _check(scores, same)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), s.size - 1]  # last index of each tie group
    tp = np.cumsum(y)[last]
    fp = np.cumsum(~y)[last]
    far = np.r_[0.0, fp / (~y).sum()]
    tar = np.r_[0.0, tp / y.sum()]
    return ROC(far=far, tar=tar, thresholds=np.r_[np.inf, s[last]])


def equal_error_rate(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """The equal error rate: where FAR equals FRR (= 1 − TAR) on the ROC, linearly
    interpolated between the two operating points that bracket the crossing.

    Returns:
        (eer, threshold): the rate in [0, 1] and the score threshold there
        (interpolated the same way).
    """
    r = roc(scores, same)
    d = r.far - (1.0 - r.tar)  # < 0 at the strict end, > 0 at the loose end
    i = int(np.argmax(d >= 0))
    if d[i] == 0 or i == 0:
        thr = r.thresholds[i] if np.isfinite(r.thresholds[i]) else float(np.max(scores))
        return float(r.far[i]), float(thr)
    t = d[i - 1] / (d[i - 1] - d[i])
    eer = r.far[i - 1] + t * (r.far[i] - r.far[i - 1])
    lo = r.thresholds[i - 1] if np.isfinite(r.thresholds[i - 1]) else r.thresholds[i]
    thr = lo + t * (r.thresholds[i] - lo)
    return float(eer), float(thr)


def tar_at_far(scores: np.ndarray, same: np.ndarray, far: float) -> float:
    """The highest TAR among operating points whose FAR is at most ``far``.

    Returns NaN when ``far`` is below the resolution 1 / (number of impostor pairs):
    such a figure cannot be measured from this many pairs.
    """
    s, y = _check(scores, same)
    if far < 1.0 / (~y).sum():
        return float("nan")
    r = roc(s, y)
    ok = r.far <= far + 1e-12
    return float(r.tar[ok].max())


def best_threshold(scores: np.ndarray, same: np.ndarray) -> float:
    """The threshold that maximises accuracy on these pairs (ties: the middle of the
    best interval between neighbouring scores)."""
    s, y = _check(scores, same)
    u = np.unique(s)
    cands = np.r_[u[0] - 1.0, (u[:-1] + u[1:]) / 2, u[-1] + 1.0]
    order = np.argsort(s, kind="mergesort")
    ss, yy = s[order], y[order]
    # accepted = score >= c; correct = genuine accepted + impostors rejected
    pos_below = np.r_[0, np.cumsum(yy)]  # genuine with index < k
    neg_below = np.r_[0, np.cumsum(~yy)]
    k = np.searchsorted(ss, cands, side="left")
    correct = (y.sum() - pos_below[k]) + neg_below[k]
    best = np.flatnonzero(correct == correct.max())
    return float(cands[best[len(best) // 2]])


def fold_accuracy(scores: np.ndarray, same: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LFW's protocol: for each fold, the accuracy at the threshold that maximises
    accuracy on all the other folds.

    Args:
        scores: (N,) similarity per pair. same: (N,) bool. folds: (N,) int fold per pair.

    Returns:
        (accuracies, thresholds): one of each per fold, in sorted fold order.

    Raises:
        InputError: fewer than two folds.
    """
    s, y = _check(scores, same)
    f = np.asarray(folds).reshape(-1)
    if f.shape != s.shape:
        raise InputError(f"expected one fold per score, got {f.size} folds and {s.size} scores")
    ids = np.unique(f)
    if ids.size < 2:
        raise InputError(f"expected at least 2 folds for cross-validated accuracy, got {ids.size}")
    accs, thrs = [], []
    for k in ids:
        test = f == k
        thr = best_threshold(s[~test], y[~test])
        accs.append(float(np.mean((s[test] >= thr) == y[test])))
        thrs.append(thr)
    return np.asarray(accs), np.asarray(thrs)


@dataclass(frozen=True)
class VerificationReport:
    """Everything ``evaluate verify`` prints for one set of pairs (rates in [0, 1])."""

    pairs: int
    genuine: int
    impostor: int
    accuracy_mean: float
    accuracy_std: float
    eer: float
    eer_threshold: float
    tar_at_far: dict[str, float]
    fold_accuracies: list[float]

    def as_dict(self) -> dict:
        return {
            "pairs": self.pairs,
            "genuine": self.genuine,
            "impostor": self.impostor,
            "accuracy_mean": self.accuracy_mean,
            "accuracy_std": self.accuracy_std,
            "eer": self.eer,
            "eer_threshold": self.eer_threshold,
            "tar_at_far": dict(self.tar_at_far),
            "fold_accuracies": list(self.fold_accuracies),
            "folds": len(self.fold_accuracies),
        }


def verification_report(
    scores: np.ndarray, same: np.ndarray, folds: np.ndarray, fars: tuple[float, ...] = (1e-2, 1e-3)
) -> VerificationReport:
    """Fold accuracy (mean ± sample std over folds), EER and TAR@FAR for one pair set.

    With fewer than 2 folds the accuracy fields are NaN; the other figures still come.
    """
    s, y = _check(scores, same)
    f = np.asarray(folds).reshape(-1)
    if np.unique(f).size >= 2:
        accs, _ = fold_accuracy(s, y, f)
        mean, std = float(accs.mean()), float(accs.std(ddof=1))
    else:
        accs, mean, std = np.array([]), float("nan"), float("nan")
    eer, thr = equal_error_rate(s, y)
    return VerificationReport(
        pairs=int(s.size),
        genuine=int(y.sum()),
        impostor=int((~y).sum()),
        accuracy_mean=mean,
        accuracy_std=std,
        eer=eer,
        eer_threshold=thr,
        tar_at_far={f"{x:g}": tar_at_far(s, y, x) for x in fars},
        fold_accuracies=[float(a) for a in accs],
    )
