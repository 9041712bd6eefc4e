"""Heatmap targets, the Adaptive Wing loss and top-k decoding for point heatmaps."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["adaptive_wing_loss", "decode_topk", "gaussian_targets"]


def gaussian_targets(points: Tensor, landmarks: Tensor, sigma: float) -> Tensor:
    """Gaussian heatmap per landmark over the points.

    Args:
        points: (B, N, 3) normalised points.
        landmarks: (B, L, 3) normalised landmarks.
        sigma: σ in the same units.

    Returns:
        (B, N, L) float, exp(−d² / 2σ²).
    """
    d2 = torch.cdist(points, landmarks).square()
    return torch.exp(-d2 / (2.0 * sigma * sigma))


def adaptive_wing_loss(
    pred: Tensor,
    target: Tensor,
    *,
    omega: float = 14.0,
    theta: float = 0.5,
    epsilon: float = 1.0,
    alpha: float = 2.1,
    foreground_weight: float = 10.0,
    foreground: float = 0.2,
) -> Tensor:
    """Adaptive Wing loss (Wang, Bo and Fuxin, ICCV 2019) with its weighted loss map.

    With y the target and δ = |y − ŷ|:

    * δ < θ: ω ln(1 + (δ/ε)^(α−y));
    * otherwise A δ − C, with A = ω (α−y) (θ/ε)^(α−y−1) / (ε (1 + (θ/ε)^(α−y))) and
      C = θ A − ω ln(1 + (θ/ε)^(α−y)), so both pieces meet smoothly at θ.

    Points whose target exceeds ``foreground`` weigh ``1 + foreground_weight`` (the
    paper's loss map W·M + 1), so the few points near a landmark are not drowned by
    the many background points.

    Args:
        pred: (..., L) predicted heatmaps.
        target: same shape, in [0, 1].

    Returns:
        Scalar mean loss.
    """
    delta = (target - pred).abs()
    power = alpha - target
    small = omega * torch.log1p(torch.pow(delta / epsilon, power))
    ratio = theta / epsilon
    a = (
        omega
        * power
        * torch.pow(torch.tensor(ratio, dtype=pred.dtype, device=pred.device), power - 1)
        / (epsilon * (1 + torch.pow(torch.tensor(ratio, dtype=pred.dtype, device=pred.device), power)))
    )
    c = theta * a - omega * torch.log1p(torch.pow(torch.tensor(ratio, dtype=pred.dtype, device=pred.device), power))
    large = a * delta - c
    loss = torch.where(delta < theta, small, large)
    weight = 1.0 + foreground_weight * (target > foreground).to(pred.dtype)
    return (loss * weight).mean()


def decode_topk(heat: Tensor, points: Tensor, k: int = 7) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Landmark positions as the softmax-weighted mean of each heatmap's top-k points.

    Args:
        heat: (B, N, L) heatmaps.
        points: (B, N, 3) the points they are over.
        k: points per landmark.

    Returns:
        ``(positions (B, L, 3), confidence (B, L), top_index (B, k, L), top_value (B, k, L))``;
        the confidence is the highest heatmap value clipped to [0, 1].
    """
    vals, idx = torch.topk(heat, k, dim=1)  # (B, k, L)
    w = torch.softmax(vals, dim=1)
    n_lm = idx.shape[2]
    gathered = torch.gather(points.unsqueeze(2).expand(-1, -1, n_lm, -1), 1, idx.unsqueeze(-1).expand(-1, -1, -1, 3))
    pos = (w.unsqueeze(-1) * gathered).sum(dim=1)
    return pos, vals[:, 0].clamp(0.0, 1.0), idx, vals
