"""Fine registration: Geman-McClure robust point-to-plane IRLS on the full clouds.

Each iteration matches every moved source point to its nearest target point (k-d
tree, correspondences farther than ``max_distance`` dropped), weights the
point-to-plane residuals ``r = n_q . (T p - q)`` by Geman-McClure line processes
``(mu / (mu + r^2))^2`` and solves the linearised 6-DoF weighted least squares step.
``mu`` is annealed from ``max_distance^2`` down to ``delta^2`` (graduated
non-convexity, halving per iteration), and the cut-off shrinks with it to
``3 sqrt(mu)``. Matches to border points of the target are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.registration.fgr import gm_weights

__all__ = ["FineResult", "gm_point_to_plane", "rodrigues"]


def rodrigues(omega: np.ndarray) -> np.ndarray:
    """(3,) rotation vector → (3, 3) rotation matrix."""
    theta = float(np.linalg.norm(omega))
    if theta < 1e-15:
        return np.eye(3)
    k = omega / theta
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(theta) * kx + (1 - np.cos(theta)) * kx @ kx


@dataclass
class FineResult:
    """Outcome of :func:`gm_point_to_plane`.

    Attributes:
        transform: (4, 4) source → target.
        iterations: iterations run.
        correspondences: matches within ``max_distance`` at the last iteration.
    """

    transform: np.ndarray
    iterations: int
    correspondences: int


def gm_point_to_plane(
    source: np.ndarray,
    target: np.ndarray,
    target_normals: np.ndarray,
    init: np.ndarray,
    *,
    delta: float,
    max_distance: float,
    iterations: int = 20,
    tol: float = 2e-5,
    tree: object | None = None,
    coarse_source: np.ndarray | None = None,
    polish_iterations: int = 4,
    target_boundary: np.ndarray | None = None,
) -> FineResult:
    """Refine ``init`` by robust point-to-plane IRLS.

    Args:
        source: (N, 3) source points, mm.
        target: (M, 3) target points, mm. target_normals: (M, 3) unit normals.
        init: (4, 4) starting transform (from the coarse stage).
        delta: final Geman-McClure scale, mm.
        max_distance: correspondences farther than this (mm) are ignored.
        iterations: the most iterations.
        tol: stop when the update (radians + mm) is below this at the final scale.
        tree: a prebuilt ``scipy.spatial.cKDTree`` of ``target`` (reused in batches).
        coarse_source: (n, 3) a subsample of ``source`` (e.g. its voxel grid): when
            given, the annealing runs on it and the full ``source`` only polishes
            the answer at the final scale (at most ``polish_iterations``).
        target_boundary: (M,) bool border flags of ``target``: matches to border
            points are dropped (source points past the overlap would drag the fit).

    Returns:
        The refined transform and counts.
    """
    from scipy.spatial import cKDTree

    q = np.asarray(target, np.float64)
    border = np.zeros(len(q), bool) if target_boundary is None else np.asarray(target_boundary, bool)
    nq = np.asarray(target_normals, np.float64)
    kd = tree if tree is not None else cKDTree(q)
    t = np.asarray(init, np.float64).copy()
    mu0 = max(max_distance * max_distance, delta * delta)
    if coarse_source is not None:
        t, it, _ = _irls(
            np.asarray(coarse_source, np.float64), q, nq, border, kd, t, mu0, delta, max_distance, iterations, tol
        )
        t, it2, n_corr = _irls(
            np.asarray(source, np.float64),
            q,
            nq,
            border,
            kd,
            t,
            delta * delta,
            delta,
            max_distance,
            polish_iterations,
            tol,
        )
        return FineResult(t, it + it2, n_corr)
    t, it, n_corr = _irls(
        np.asarray(source, np.float64), q, nq, border, kd, t, mu0, delta, max_distance, iterations, tol
    )
    return FineResult(t, it, n_corr)


def _irls(
    p: np.ndarray,
    q: np.ndarray,
    nq: np.ndarray,
    border: np.ndarray,
    kd: object,
    t: np.ndarray,
    mu: float,
    delta: float,
    max_distance: float,
    iterations: int,
    tol: float,
) -> tuple[np.ndarray, int, int]:
    mu_min = delta * delta
    n_corr = 0
    it = 0
    for it in range(1, iterations + 1):  # noqa: B007 (the count is returned)
        y = p @ t[:3, :3].T + t[:3, 3]
        cutoff = min(max_distance, max(3.0 * np.sqrt(mu), 2.0 * delta))
        d, j = kd.query(y, k=1, distance_upper_bound=cutoff)
        ok = np.isfinite(d)
        ok[ok] = ~border[j[ok]]
        n_corr = int(ok.sum())
        if n_corr < 6:
            break
        ys, qs, ns = y[ok], q[j[ok]], nq[j[ok]]
        r = np.einsum("ij,ij->i", ys - qs, ns)
        w = gm_weights(r * r, mu)
        jac = np.concatenate([np.cross(ys, ns), ns], axis=1)  # (K, 6)
        a = jac.T @ (jac * w[:, None])
        b = -jac.T @ (w * r)
        try:
            xi = np.linalg.solve(a + 1e-9 * np.trace(a) * np.eye(6), b)
        except np.linalg.LinAlgError:
            break
        step = np.eye(4)
        step[:3, :3] = rodrigues(xi[:3])
        step[:3, 3] = xi[3:]
        t = step @ t
        at_min = mu <= mu_min
        mu = max(mu / 2.0, mu_min)
        if at_min and np.abs(xi).max() < tol:
            break
    return t, it, n_corr
