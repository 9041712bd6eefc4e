"""RANSAC over 3-match hypotheses solved by SVD, vectorised and deterministic.

Hypotheses are drawn in batches from one seeded stream; a batch is pruned by an edge
length test (as Open3D's ``CorrespondenceCheckerBasedOnEdgeLength``), solved by
batched Kabsch and scored by inlier count (ties: truncated squared error). The
number of batches adapts to the best inlier ratio for the requested confidence, and
only depends on the seed, never on thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.registration.correspondences import edge_consistent
from facecli.registration.kabsch import batched_kabsch, weighted_kabsch

__all__ = ["RansacResult", "ransac_svd"]


@dataclass
class RansacResult:
    """Outcome of :func:`ransac_svd`.

    Attributes:
        transform: (4, 4) source → target.
        inliers: matches within the threshold under ``transform``.
        hypotheses: hypotheses scored.
    """

    transform: np.ndarray
    inliers: int
    hypotheses: int


def ransac_svd(
    source: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    *,
    threshold: float,
    edge_tau: float = 0.9,
    confidence: float = 0.999,
    max_hypotheses: int = 200_000,
    batch: int = 2048,
    refine_rounds: int = 5,
    device: str = "cpu",
) -> RansacResult:
    """Robust rigid fit of matched points by RANSAC.

    Args:
        source: (M, 3) matched source points, mm. target: (M, 3) matched target points.
        rng: the random stream.
        threshold: inlier distance, mm.
        edge_tau: edge-length similarity a sample must pass before it is solved.
        confidence: stop when a better model is this unlikely to be missed.
        max_hypotheses: hard bound on sampled triples.
        batch: triples per vectorised batch.
        refine_rounds: Kabsch refits on the inliers of the best hypothesis.

    Returns:
        The transform and counts.
    """
    import torch

    p = np.asarray(source, np.float64)
    q = np.asarray(target, np.float64)
    m = len(p)
    if m < 3:
        return RansacResult(np.eye(4), 0, 0)
    pt = torch.as_tensor(p, device=device)
    qt = torch.as_tensor(q, device=device)
    th2 = threshold * threshold
    best_t = np.eye(4)
    best_score = (-1, 0.0)
    needed = max_hypotheses
    drawn = 0
    while drawn < min(needed, max_hypotheses):
        tri = rng.integers(0, m, size=(batch, 3))
        drawn += batch
        ok = edge_consistent(p, q, tri, edge_tau, min_edge=threshold)
        tri = tri[ok]
        if len(tri):
            ti = torch.as_tensor(tri, device=device)
            hyp = batched_kabsch(pt[ti], qt[ti])  # (B, 4, 4)
            moved = torch.einsum("bij,mj->bmi", hyp[:, :3, :3], pt) + hyp[:, None, :3, 3]
            r2 = ((moved - qt.unsqueeze(0)) ** 2).sum(-1)
            inl = (r2 < th2).sum(1)
            trunc = torch.clamp(r2, max=th2).sum(1)
            # best: most inliers, then least truncated error, then first drawn
            order = np.lexsort((np.arange(len(tri)), trunc.cpu().numpy(), -inl.cpu().numpy()))
            b = int(order[0])
            score = (int(inl[b]), -float(trunc[b]))
            if score > best_score:
                best_score = score
                best_t = hyp[b].cpu().numpy()
                ratio = best_score[0] / m
                if ratio >= 1.0:
                    needed = drawn
                elif ratio > 0:
                    needed = int(np.ceil(np.log(1 - confidence) / np.log(1 - ratio**3)))
    t = best_t
    for _ in range(refine_rounds):
        r2 = np.sum((p @ t[:3, :3].T + t[:3, 3] - q) ** 2, axis=1)
        inl = r2 < th2
        if inl.sum() < 3:
            break
        t = weighted_kabsch(p[inl], q[inl])
    r2 = np.sum((p @ t[:3, :3].T + t[:3, 3] - q) ** 2, axis=1)
    return RansacResult(t, int(np.sum(r2 < th2)), drawn)
