"""ArcFace: additive angular margin softmax (Deng et al., CVPR 2019).

For an L2-normalised embedding x and class centres W (rows normalised), the logit of
class j is ``s·cos θ_j``; for the true class the angle gets the margin:
``s·cos(θ_y + m)``. Where θ_y + m would pass π (cos θ_y < cos(π − m)) the logit falls
back to ``s·(cos θ_y − m·sin m)`` so the target logit keeps decreasing in θ_y.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ArcFaceHead", "arcface_logits"]


def arcface_logits(embeddings: Tensor, centres: Tensor, labels: Tensor, scale: float, margin: float) -> Tensor:
    """Margin-adjusted, scaled logits.

    Args:
        embeddings: (B, D) L2-normalised.
        centres: (K, D) class centres (normalised here).
        labels: (B,) int64 class index per row.
        scale: s. margin: m in radians.

    Returns:
        (B, K) logits for cross-entropy.
    """
    cos = F.linear(embeddings, F.normalize(centres, dim=1)).clamp(-1.0, 1.0)
    target = cos.gather(1, labels[:, None])
    sin = torch.sqrt((1.0 - target * target).clamp_min(1e-7))
    with_margin = target * math.cos(margin) - sin * math.sin(margin)
    fallback = target - margin * math.sin(margin)
    target_adj = torch.where(target > math.cos(math.pi - margin), with_margin, fallback)
    return scale * cos.scatter(1, labels[:, None], target_adj)


class ArcFaceHead(nn.Module):
    """Class centres + ArcFace loss (used in training only; not part of the embedder).

    Args:
        dim: embedding size D. classes: K. scale: s. margin: m (radians).
    """

    def __init__(self, dim: int, classes: int, scale: float = 32.0, margin: float = 0.5) -> None:
        super().__init__()
        self.centres = nn.Parameter(torch.empty(classes, dim))
        nn.init.xavier_uniform_(self.centres)
        self.scale, self.margin = scale, margin

    def forward(self, embeddings: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """Returns (loss, accuracy of the plain cosine classifier on this batch)."""
        logits = arcface_logits(embeddings, self.centres, labels, self.scale, self.margin)
        with torch.no_grad():
            acc = (F.linear(embeddings, F.normalize(self.centres, dim=1)).argmax(1) == labels).float().mean()
        return F.cross_entropy(logits, labels), acc
