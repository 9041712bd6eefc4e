"""Weighted least-squares rigid fit (Kabsch / Umeyama without scale), single and batched."""

from __future__ import annotations

import numpy as np

from facecli.validation import check_array

__all__ = ["kabsch_unchecked", "weighted_kabsch", "batched_kabsch", "to_matrix"]


def to_matrix(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(3, 3) rotation and (3,) translation → (4, 4) homogeneous transform."""
    out = np.eye(4)
    out[:3, :3] = rotation
    out[:3, 3] = translation
    return out


def weighted_kabsch(source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The rigid transform minimising ``sum_i w_i ||R s_i + t - q_i||^2``.

    Args:
        source: (M, 3) float points s_i.
        target: (M, 3) float points q_i.
        weights: (M,) non-negative weights (uniform when ``None``).

    Returns:
        (4, 4) float64 transform, a proper rotation (det +1).

    Example:
        >>> import numpy as np
        >>> s = np.random.default_rng(0).normal(size=(10, 3))
        >>> np.allclose(weighted_kabsch(s, s + [1, 2, 3])[:3, 3], [1, 2, 3])
        True
    """
    s = check_array(source, "(M, 3)", name="source points").astype(np.float64)
    q = check_array(target, "(M, 3)", name="target points").astype(np.float64)
    w = np.ones(len(s)) if weights is None else np.asarray(weights, np.float64).reshape(-1)
    return kabsch_unchecked(s, q, w)


def kabsch_unchecked(s: np.ndarray, q: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`weighted_kabsch` without the boundary checks (inner loops).

    Args:
        s: (M, 3) float64. q: (M, 3) float64. w: (M,) float64 weights.
    """
    wsum = w.sum()
    if wsum <= 0:
        return np.eye(4)
    cs = (w @ s) / wsum
    cq = (w @ q) / wsum
    h = (s - cs).T @ ((q - cq) * w[:, None])
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return to_matrix(r, cq - r @ cs)


def batched_kabsch(source, target):  # noqa: ANN001, ANN201 - numpy arrays or torch tensors
    """Unweighted Kabsch for a batch of small point sets (numpy arrays or torch tensors).

    Args:
        source: (B, m, 3) float64. target: (B, m, 3) float64, the same kind.

    Returns:
        (B, 4, 4) transforms (proper rotations), the kind of the inputs.

    Example:
        >>> import numpy as np
        >>> s = np.random.default_rng(0).normal(size=(2, 4, 3))
        >>> np.allclose(batched_kabsch(s, s + 1.0)[:, :3, 3], 1.0)
        True
    """
    if isinstance(source, np.ndarray):
        cs = source.mean(1, keepdims=True)
        cq = target.mean(1, keepdims=True)
        h = np.swapaxes(source - cs, 1, 2) @ (target - cq)
        u, _, vt = np.linalg.svd(h)
        v, ut = np.swapaxes(vt, 1, 2), np.swapaxes(u, 1, 2)
        d = np.sign(np.linalg.det(v @ ut))
        d[d == 0] = 1.0
        v[:, :, 2] *= d[:, None]
        r = v @ ut
        out = np.tile(np.eye(4), (source.shape[0], 1, 1))
        out[:, :3, :3] = r
        out[:, :3, 3] = cq[:, 0] - np.einsum("bij,bj->bi", r, cs[:, 0])
        return out
    import torch

    cs = source.mean(1, keepdim=True)
    cq = target.mean(1, keepdim=True)
    h = (source - cs).transpose(1, 2) @ (target - cq)
    u, _, vt = torch.linalg.svd(h)
    d = torch.sign(torch.linalg.det(vt.transpose(1, 2) @ u.transpose(1, 2)))
    d = torch.where(d == 0, torch.ones_like(d), d)
    diag = torch.ones(source.shape[0], 3, dtype=source.dtype, device=source.device)
    diag[:, 2] = d
    r = vt.transpose(1, 2) @ torch.diag_embed(diag) @ u.transpose(1, 2)
    t = cq.squeeze(1) - (r @ cs.transpose(1, 2)).squeeze(2)
    out = torch.eye(4, dtype=source.dtype, device=source.device).repeat(source.shape[0], 1, 1)
    out[:, :3, :3] = r
    out[:, :3, 3] = t
    return out
