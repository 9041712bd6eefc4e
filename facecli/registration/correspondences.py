"""Correspondences from FPFH: nearest neighbours in feature space, reciprocity, tuple test."""

from __future__ import annotations

import numpy as np

__all__ = ["edge_consistent", "feature_nn", "mutual_matches", "tuple_test"]


def _nn_both_ways(
    feat_a: np.ndarray, feat_b: np.ndarray, device: str, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest b for every a and nearest a for every b, from one pass over the distances."""
    import torch

    a = torch.as_tensor(np.ascontiguousarray(feat_a), dtype=torch.float64, device=device)
    b = torch.as_tensor(np.ascontiguousarray(feat_b), dtype=torch.float64, device=device)
    an, bn = (a * a).sum(1), (b * b).sum(1)
    bt = b.T.contiguous()
    ab = torch.empty(len(a), dtype=torch.int64, device=device)
    best = torch.full((len(b),), float("inf"), dtype=torch.float64, device=device)
    ba = torch.zeros(len(b), dtype=torch.int64, device=device)
    for s in range(0, len(a), chunk):
        d = an[s : s + chunk, None] + bn[None, :] - 2.0 * (a[s : s + chunk] @ bt)
        ab[s : s + chunk] = torch.argmin(d, dim=1)
        cmin, carg = torch.min(d, dim=0)
        better = cmin < best  # strict: the earlier (lower) index wins ties
        best = torch.where(better, cmin, best)
        ba = torch.where(better, carg + s, ba)
    return ab.cpu().numpy(), ba.cpu().numpy()


def _nn_kdtree(feat_a: np.ndarray, feat_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both nearest-neighbour directions by exact k-d tree search (fast for FPFH on CPU)."""
    from scipy.spatial import cKDTree

    a = np.ascontiguousarray(feat_a, dtype=np.float64)
    b = np.ascontiguousarray(feat_b, dtype=np.float64)
    _, ab = cKDTree(b).query(a, k=1, workers=-1)
    _, ba = cKDTree(a).query(b, k=1, workers=-1)
    return np.asarray(ab, np.int64), np.asarray(ba, np.int64)


def feature_nn(query: np.ndarray, ref: np.ndarray, *, device: str = "cpu") -> np.ndarray:
    """Index of the nearest ``ref`` descriptor for every ``query`` descriptor.

    Exact search: a k-d tree on CPU (FPFH lie near a low-dimensional set, where
    trees stay fast in 33-D), an exhaustive float64 pass on CUDA.

    Args:
        query: (M, D) float descriptors. ref: (N, D) float descriptors.

    Returns:
        (M,) int64 indices into ``ref``.
    """
    if str(device).startswith("cuda"):
        return _nn_both_ways(query, ref, device)[0]
    return _nn_kdtree(query, ref)[0]


def mutual_matches(feat_a: np.ndarray, feat_b: np.ndarray, *, device: str = "cpu", min_mutual: int = 30) -> np.ndarray:
    """Reciprocal nearest neighbours in feature space.

    Args:
        feat_a: (Na, D) source descriptors. feat_b: (Nb, D) target descriptors.
        min_mutual: when fewer reciprocal pairs survive, the union of both
            directions is returned instead (as FGR does before its reciprocity test).

    Returns:
        (M, 2) int64 pairs (index in a, index in b), sorted by the first column.
    """
    if str(device).startswith("cuda"):
        ab, ba = _nn_both_ways(feat_a, feat_b, device)
    else:
        ab, ba = _nn_kdtree(feat_a, feat_b)
    ia = np.arange(len(feat_a))
    mutual = ba[ab] == ia
    pairs = np.stack([ia[mutual], ab[mutual]], 1)
    if len(pairs) >= min_mutual:
        return pairs
    union = np.concatenate([np.stack([ia, ab], 1), np.stack([ba, np.arange(len(feat_b))], 1)])
    return np.unique(union, axis=0)


def edge_consistent(ps: np.ndarray, pt: np.ndarray, tri: np.ndarray, tau: float, min_edge: float = 0.0) -> np.ndarray:
    """Which triples of matches keep their edge lengths (FGR's tuple test, Open3D's edge checker).

    Args:
        ps: (M, 3) matched source points. pt: (M, 3) matched target points.
        tri: (B, 3) row indices. tau: each length ratio must lie in ``[tau, 1/tau]``.
        min_edge: every source edge must also be longer than this.

    Returns:
        (B,) bool.
    """
    ok = (tri[:, 0] != tri[:, 1]) & (tri[:, 1] != tri[:, 2]) & (tri[:, 0] != tri[:, 2])
    for i, j in ((0, 1), (1, 2), (2, 0)):
        ls = np.linalg.norm(ps[tri[:, i]] - ps[tri[:, j]], axis=1)
        lt = np.linalg.norm(pt[tri[:, i]] - pt[tri[:, j]], axis=1)
        ok &= (ls >= tau * lt) & (lt >= tau * ls) & (lt > 0) & (ls > min_edge)
    return ok


def tuple_test(
    source: np.ndarray,
    target: np.ndarray,
    pairs: np.ndarray,
    rng: np.random.Generator,
    *,
    tau: float = 0.95,
    max_tuples: int = 1000,
    trials_per_match: int = 100,
    batch: int = 20000,
) -> np.ndarray:
    """FGR's tuple test: random triples of matches whose edge lengths agree.

    A triple passes when every source edge length over its target edge length lies
    in ``[tau, 1/tau]``. Triples are drawn from one seeded stream until
    ``max_tuples`` pass or ``trials_per_match * M`` were drawn. The matches of the
    passing triples (repeats kept: a match in many consistent triples counts more,
    as in FGR) are ``pairs[triples.reshape(-1)]``.

    Args:
        source: (Na, 3) points. target: (Nb, 3) points.
        pairs: (M, 2) matches from :func:`mutual_matches`.
        rng: the random stream (the result depends only on it, not on threads).
        tau: similarity threshold (0.9-0.95).

    Returns:
        (T, 3) int64 indices into ``pairs``, T <= max_tuples (T = 0 when none pass).
    """
    m = len(pairs)
    if m < 3:
        return np.zeros((0, 3), np.int64)
    ps, pt = source[pairs[:, 0]], target[pairs[:, 1]]
    budget = trials_per_match * m
    kept: list[np.ndarray] = []
    n_kept = 0
    done = 0
    while done < budget and n_kept < max_tuples:
        b = min(batch, budget - done)
        tri = rng.integers(0, m, size=(b, 3))
        done += b
        ok = edge_consistent(ps, pt, tri, tau)
        good = tri[ok][: max_tuples - n_kept]
        kept.append(good)
        n_kept += len(good)
    return np.concatenate(kept).astype(np.int64) if kept else np.zeros((0, 3), np.int64)
