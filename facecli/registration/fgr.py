"""Fast Global Registration's optimiser: Geman-McClure line processes with graduated non-convexity.

Zhou, Park and Koltun (ECCV 2016). The objective over matched points (p_i, q_i) is
``sum_i rho(||T p_i - q_i||)`` with ``rho(x) = mu x^2 / (mu + x^2)``. Its line-process
form alternates closed-form weights ``l_i = (mu / (mu + r_i^2))^2`` with a weighted
least-squares pose; here that pose is solved exactly by weighted Kabsch (SVD) instead
of FGR's linearised Gauss-Newton step. ``mu`` starts at D^2 (D: the diameter of the
matched points) so that the objective is nearly convex, and is divided by ``div``
every ``every`` iterations until it reaches ``delta^2`` (``delta`` absolute, in mm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.registration.kabsch import kabsch_unchecked

__all__ = ["GNCResult", "fgr_multistart", "gnc_geman_mcclure", "gm_weights"]


def gm_weights(residual2: np.ndarray, mu: float) -> np.ndarray:
    """Line-process weights of Geman-McClure: ``(mu / (mu + r^2))^2``.

    Args:
        residual2: (M,) squared residuals. mu: the scale parameter (units^2).
    """
    return (mu / (mu + residual2)) ** 2


@dataclass
class GNCResult:
    """Outcome of :func:`gnc_geman_mcclure`.

    Attributes:
        transform: (4, 4) source → target.
        weights: (M,) final line-process weights.
        iterations: iterations run.
        inliers: matches with residual below ``delta``.
    """

    transform: np.ndarray
    weights: np.ndarray
    iterations: int
    inliers: int


def gnc_geman_mcclure(
    source: np.ndarray,
    target: np.ndarray,
    *,
    delta: float,
    div: float = 1.4,
    every: int = 4,
    final_iterations: int = 8,
    max_iterations: int = 1000,
    init: np.ndarray | None = None,
    mu0: float | None = None,
) -> GNCResult:
    """Robust rigid fit of matched points by graduated non-convexity.

    Args:
        source: (M, 3) matched source points, mm.
        target: (M, 3) matched target points, mm.
        delta: the final Geman-McClure scale, mm (about the inlier noise + voxel).
        div: mu divisor (FGR's code 1.4; the paper 2).
        every: iterations between divisions.
        final_iterations: iterations at ``mu = delta^2`` before stopping.
        max_iterations: a hard bound.
        init: (4, 4) starting transform (identity when ``None``).
        mu0: starting mu (default D^2, D the diameter of the matched points).

    Returns:
        The transform, weights and counts.
    """
    p = np.asarray(source, np.float64)
    q = np.asarray(target, np.float64)
    t = np.eye(4) if init is None else np.asarray(init, np.float64)
    if len(p) < 3:
        return GNCResult(t, np.ones(len(p)), 0, 0)
    diam = max(np.ptp(p, axis=0).max(), np.ptp(q, axis=0).max())
    mu = max(diam * diam if mu0 is None else mu0, delta * delta)
    mu_min = delta * delta
    w = np.ones(len(p))
    it = 0
    at_min = 0
    while it < max_iterations:
        r2 = np.sum((p @ t[:3, :3].T + t[:3, 3] - q) ** 2, axis=1)
        w = gm_weights(r2, mu)
        t_new = kabsch_unchecked(p, q, w)
        it += 1
        change = np.abs(t_new - t).max()
        t = t_new
        if mu <= mu_min:
            at_min += 1
            if at_min >= final_iterations or change < 1e-9:
                break
        elif it % every == 0:
            mu = max(mu / div, mu_min)
    r2 = np.sum((p @ t[:3, :3].T + t[:3, 3] - q) ** 2, axis=1)
    return GNCResult(t, gm_weights(r2, mu_min), it, int(np.sum(r2 < delta * delta)))


def _score(p: np.ndarray, q: np.ndarray, t: np.ndarray, delta: float) -> tuple[int, float]:
    r2 = np.sum((p @ t[:3, :3].T + t[:3, 3] - q) ** 2, axis=1)
    mu = delta * delta
    return int(np.sum(r2 < mu)), -float(np.sum(mu * r2 / (mu + r2)))


def fgr_multistart(
    source: np.ndarray,
    target: np.ndarray,
    triples: np.ndarray | None,
    *,
    delta: float,
    starts: int = 8,
    div: float = 1.4,
) -> GNCResult:
    """FGR with verified restarts.

    The first run is the paper's: graduated non-convexity from the least-squares
    fit over all matches (mu from D^2). Face scans have structured false matches
    (left and right cheeks look alike), and there that single run can settle in a
    wrong basin with half the support of the right one. So ``starts - 1`` more runs
    start from the best-supported transforms of the tuple-test triples (three
    matches each, solved by Kabsch), with a short schedule (mu from (4 delta)^2), and
    the run with the most matches within ``delta`` wins (ties: the lower
    Geman-McClure cost). ``starts=1`` is FGR exactly.

    Args:
        source: (M, 3) matched source points; target: (M, 3) matched target points
            (the flattened tuple matches, ``M = 3 T`` when ``triples`` is given).
        triples: (T, 3) row indices of ``source``/``target`` forming each passing
            tuple, or ``None``.
        delta: final Geman-McClure scale, mm.
        starts: runs in all.

    Returns:
        The winning run.
    """
    from facecli.registration.kabsch import batched_kabsch

    p = np.asarray(source, np.float64)
    q = np.asarray(target, np.float64)
    if len(p) < 3:
        return GNCResult(np.eye(4), np.ones(len(p)), 0, 0)
    best = gnc_geman_mcclure(p, q, delta=delta, div=div, init=kabsch_unchecked(p, q, np.ones(len(p))))
    best_score = _score(p, q, best.transform, delta)
    if starts <= 1 or triples is None or len(triples) == 0:
        return best
    tri = np.asarray(triples, np.int64)
    hyp = batched_kabsch(p[tri], q[tri])
    support = np.zeros(len(hyp), np.int64)
    for s in range(0, len(hyp), 256):  # bounded memory: 256 hypotheses x M matches at a time
        h = hyp[s : s + 256]
        moved = np.matmul(p[None], np.swapaxes(h[:, :3, :3], 1, 2)) + h[:, None, :3, 3]
        support[s : s + 256] = (((moved - q[None]) ** 2).sum(-1) < delta * delta).sum(1)
    order = np.lexsort((np.arange(len(support)), -support))
    tried: list[np.ndarray] = []
    for b in order:
        if len(tried) >= starts - 1:
            break
        h = hyp[int(b)]
        if any(
            np.abs(h[:3, :3] - t0[:3, :3]).max() < 0.05 and np.linalg.norm(h[:3, 3] - t0[:3, 3]) < 2 * delta
            for t0 in tried
        ):
            continue  # near-duplicate of a start already run
        tried.append(h)
        res = gnc_geman_mcclure(p, q, delta=delta, div=div, init=h, mu0=(4.0 * delta) ** 2)
        sc = _score(p, q, res.transform, delta)
        if sc > best_score:
            best, best_score = res, sc
    return best
