"""Dual-path (CBAM) attention: channel attention σ(MLP(avgpool) + MLP(maxpool)), then
a 7×7 spatial attention σ(conv([mean_c; max_c])), each multiplied onto the features.

Every forward pass goes through :func:`dual_path_attention`, which uses the fused CUDA
kernel (``kernels/attention``) for tensors on a GPU when it is available;
:func:`dual_path_attention_reference` is the plain PyTorch definition it must match.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["DualPathAttention", "dual_path_attention", "dual_path_attention_reference", "set_attention_impl"]

AttentionFn = Callable[..., tuple[Tensor, Tensor, Tensor]]


def dual_path_attention_reference(
    x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, ws: Tensor, bs: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """CBAM forward in plain PyTorch.

    Args:
        x: (B, C, H, W) features.
        w1: (R, C), b1: (R,) the shared MLP's first layer (R = C / reduction).
        w2: (C, R), b2: (C,) its second layer.
        ws: (1, 2, k, k), bs: (1,) the spatial convolution (k odd, padding k // 2).

    Returns:
        (y, channel, spatial): the attended features (B, C, H, W), the channel
        weights (B, C) and the spatial weights (B, 1, H, W), both in (0, 1).
    """

    def mlp(v: Tensor) -> Tensor:
        return F.linear(F.relu(F.linear(v, w1, b1)), w2, b2)

    channel = torch.sigmoid(mlp(x.mean(dim=(2, 3))) + mlp(x.amax(dim=(2, 3))))
    xc = x * channel[:, :, None, None]
    pooled = torch.cat([xc.mean(dim=1, keepdim=True), xc.amax(dim=1, keepdim=True)], dim=1)
    spatial = torch.sigmoid(F.conv2d(pooled, ws, bs, padding=ws.shape[-1] // 2))
    return xc * spatial, channel, spatial


_IMPL: AttentionFn = dual_path_attention_reference


def set_attention_impl(fn: AttentionFn | None) -> AttentionFn:
    """Install another implementation with the reference's signature (None restores
    the reference). Returns the previous one."""
    global _IMPL
    prev = _IMPL
    _IMPL = fn or dual_path_attention_reference
    return prev


def dual_path_attention(
    x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, ws: Tensor, bs: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """The dispatch point: see :func:`dual_path_attention_reference` for arguments.

    An implementation installed with :func:`set_attention_impl` wins; otherwise float32
    tensors on a CUDA device use the fused kernel when :func:`facecli.kernels.attention_kernel`
    provides it, one sample's scratch fits a block and no gradient is wanted (inference), and
    everything else the reference. Training uses the reference because the fused forward
    with the reference's backward measured slower than the reference alone on an H100
    (``benchmarks/kernels/RESULTS.md``).
    """
    if _IMPL is not dual_path_attention_reference:
        return _IMPL(x, w1, b1, w2, b2, ws, bs)
    wants_grad = torch.is_grad_enabled() and any(t.requires_grad for t in (x, w1, b1, w2, b2, ws, bs))
    if x.is_cuda and x.dtype == torch.float32 and not wants_grad:
        from facecli.kernels import attention_fits, attention_kernel

        fused = attention_kernel(str(x.device))
        if fused is not None and attention_fits(x, w1):
            return fused(x, w1, b1, w2, b2, ws, bs, reference=dual_path_attention_reference)
    return dual_path_attention_reference(x, w1, b1, w2, b2, ws, bs)


class DualPathAttention(nn.Module):
    """CBAM attention block with its own parameters.

    Args:
        channels: C.
        reduction: the MLP's hidden width is max(4, C // reduction).
        kernel: spatial kernel side (7 in CBAM).

    Example:
        >>> att = DualPathAttention(32)
        >>> att(torch.randn(2, 32, 6, 6)).shape
        torch.Size([2, 32, 6, 6])
    """

    def __init__(self, channels: int, reduction: int = 8, kernel: int = 7) -> None:
        super().__init__()
        hidden = max(4, channels // reduction)
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)
        self.spatial = nn.Conv2d(2, 1, kernel, padding=kernel // 2)
        self.last_maps: tuple[Tensor, Tensor] | None = None

    def forward(self, x: Tensor, keep_maps: bool = False) -> Tensor:
        """x: (B, C, H, W) → (B, C, H, W); ``keep_maps`` stores (channel, spatial) weights."""
        y, ch, sp = dual_path_attention(
            x, self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias, self.spatial.weight, self.spatial.bias
        )
        self.last_maps = (ch.detach(), sp.detach()) if keep_maps else None
        return y
