"""Multi-stream capsule network for micro-expression recognition.

The CapsuleNet micro-expression baseline (MEGC 2019) classifies the apex frame with
a CNN front end, primary capsules and class capsules agreed by dynamic routing,
trained with the margin loss. Here each input stream gets its own lightweight CNN
and the streams are fused before the capsules:

* streams (any non-empty subset, in this order): ``flow`` (3 channels: onset→apex
  u, v and optical strain), ``apex`` (1 channel: the grey apex crop), ``normals``
  (3 channels: a normal map of the apex frame from ``facecli normals``);
* per stream: conv 5×5 → BN → ReLU → max-pool 2, conv 3×3 → BN → ReLU → max-pool 2
  (``width`` then ``2·width`` channels) → (2·width, S/4, S/4);
* fusion: the stream features concatenated along channels, conv 1×1 → BN → ReLU to
  ``2·width`` channels;
* primary capsules: conv 5×5 stride 2 to ``primary_types × primary_dim`` channels,
  reshaped to (S/8)² · ``primary_types`` capsules of ``primary_dim``, squashed;
* class capsules: one ``class_dim`` vector per class, from the primary capsules by
  dynamic routing (``routing`` iterations, 3 as in Sabour et al.); the length of a
  class capsule is the class score in [0, 1).

Loss: the margin loss Σ_k T_k max(0, m⁺ − ‖v_k‖)² + λ (1 − T_k) max(0, ‖v_k‖ − m⁻)²
with m⁺ = 0.9, m⁻ = 0.1, λ = 0.5, optionally weighted per class.

Example:
    >>> net = MECapsNet(MECapsConfig(streams=("flow", "apex"), n_classes=3, size=32, width=8))
    >>> net({"flow": torch.randn(2, 3, 32, 32), "apex": torch.randn(2, 1, 32, 32)}).shape
    torch.Size([2, 3])
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facecli.configs import STREAM_CHANNELS, MECapsConfig

__all__ = ["STREAM_CHANNELS", "MECapsConfig", "MECapsNet", "margin_loss", "squash"]


def squash(s: Tensor, dim: int = -1, eps: float = 1e-8) -> Tensor:
    """Capsule non-linearity: s · ‖s‖² / (1 + ‖s‖²) / ‖s‖ (length in [0, 1), direction kept)."""
    n2 = (s * s).sum(dim=dim, keepdim=True)
    return s * (n2 / (1.0 + n2)) / torch.sqrt(n2 + eps)


def margin_loss(
    lengths: Tensor,
    target: Tensor,
    *,
    m_pos: float = 0.9,
    m_neg: float = 0.1,
    lam: float = 0.5,
    class_weight: Tensor | None = None,
) -> Tensor:
    """Mean margin loss.

    Args:
        lengths: (B, K) class-capsule lengths.
        target: (B,) int64 true classes.
        m_pos, m_neg, lam: the margins and the down-weighting of absent classes.
        class_weight: (K,) weight of each sample by its true class (None: 1).

    Returns:
        Scalar tensor.
    """
    t = F.one_hot(target, lengths.shape[1]).to(lengths.dtype)
    per = (t * F.relu(m_pos - lengths) ** 2 + lam * (1 - t) * F.relu(lengths - m_neg) ** 2).sum(dim=1)
    if class_weight is not None:
        w = class_weight.to(lengths.dtype)[target]
        return (per * w).sum() / w.sum()
    return per.mean()


def _stream(c_in: int, width: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, width, 5, padding=2, bias=False),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1, bias=False),
        nn.BatchNorm2d(2 * width),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class MECapsNet(nn.Module):
    """Multi-stream CNN + capsule classifier (see the module docstring).

    Args:
        config: the hyper-parameters.
    """

    def __init__(self, config: MECapsConfig) -> None:
        super().__init__()
        config.check()
        self.config = config
        w = config.width
        self.streams = nn.ModuleDict({s: _stream(STREAM_CHANNELS[s], w) for s in config.streams})
        self.fuse = nn.Sequential(
            nn.Conv2d(2 * w * len(config.streams), 2 * w, 1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(inplace=True)
        )
        self.drop = nn.Dropout2d(config.dropout)
        self.primary = nn.Conv2d(2 * w, config.primary_types * config.primary_dim, 5, stride=2, padding=2)
        n_primary = (config.size // 8) ** 2 * config.primary_types
        self.n_primary = n_primary
        # one transformation matrix per (primary capsule, class): u_hat = W u
        self.route_weight = nn.Parameter(
            0.05 * torch.randn(n_primary, config.n_classes, config.class_dim, config.primary_dim)
        )

    def primary_capsules(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """(B, N_primary, primary_dim) squashed primary capsules."""
        missing = [s for s in self.config.streams if s not in inputs]
        if missing:
            from facecli.errors import InputError

            raise InputError(f"expected input streams {', '.join(self.config.streams)}, missing {', '.join(missing)}")
        feats = []
        for s, net in self.streams.items():
            x = inputs[s]
            if x.shape[-2:] != (self.config.size, self.config.size):
                x = F.interpolate(x, size=(self.config.size, self.config.size), mode="bilinear", align_corners=False)
            feats.append(net(x))
        n_s = len(feats)
        if self.training and self.config.stream_dropout > 0 and n_s > 1:
            b = feats[0].shape[0]
            drop = torch.rand(b, device=feats[0].device) < self.config.stream_dropout
            which = torch.randint(0, n_s, (b,), device=feats[0].device)
            for k in range(n_s):
                keep = ~(drop & (which == k))
                feats[k] = feats[k] * keep.to(feats[k].dtype)[:, None, None, None]
        h = self.drop(self.fuse(torch.cat(feats, dim=1)))
        p = self.primary(h)  # (B, T*D, S/8, S/8)
        b = p.shape[0]
        p = p.view(b, self.config.primary_types, self.config.primary_dim, -1).permute(0, 3, 1, 2)
        return squash(p.reshape(b, -1, self.config.primary_dim))

    def class_capsules(self, u: Tensor) -> Tensor:
        """(B, K, class_dim) class capsules by dynamic routing from (B, N, primary_dim) capsules."""
        u_hat = torch.einsum("nkij,bnj->bnki", self.route_weight, u)  # (B, N, K, class_dim)
        logits = torch.zeros(u_hat.shape[:3], device=u.device, dtype=u.dtype)
        u_detached = u_hat.detach()
        v = u_hat.new_zeros(u_hat.shape[0], u_hat.shape[2], u_hat.shape[3])
        for it in range(self.config.routing):
            c = torch.softmax(logits, dim=2)  # each primary capsule distributes over the classes
            last = it == self.config.routing - 1
            # gradients flow only through the last iteration's predictions (as usual for routing)
            s = (c.unsqueeze(-1) * (u_hat if last else u_detached)).sum(dim=1)
            v = squash(s)
            if not last:
                logits = logits + (u_detached * v.unsqueeze(1)).sum(dim=-1)
        return v

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """Class scores.

        Args:
            inputs: stream name → (B, C_stream, S, S) float tensor.

        Returns:
            (B, K) class-capsule lengths in [0, 1).
        """
        v = self.class_capsules(self.primary_capsules(inputs))
        return v.norm(dim=-1)
