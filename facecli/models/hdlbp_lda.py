"""The high-dimensional LBP projection as a model file: descriptors in, embeddings out.

The projection (:class:`facecli.recognition.hdlbp.HDLBPProjection`, fitted by
:func:`facecli.recognition.hdlbp.fit_hdlbp_projection`) is linear after a square root. This
module holds one projection per LBP radius as buffers, so that it loads through
:func:`facecli.models.registry.load` like every other model.

Example:
    >>> import torch
    >>> net = HDLBPLDA(HDLBPConfig(radii=(1,), blocks=2, per_block=3, dim=4))
    >>> net(torch.zeros(5, 1, 2 * 944, dtype=torch.uint8)).shape
    torch.Size([5, 4])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from facecli.configs import HDLBPConfig

__all__ = ["HDLBPConfig", "HDLBPLDA"]

_BLOCK = 944  # 4 x 4 cells x 59 uniform codes (facecli.recognition.hdlbp.HD_BLOCK)
_NORM = 128.0  # counts are square-rooted after division by 2 x 8 x 8 (two images, 8 x 8 px cells)


class HDLBPLDA(nn.Module):
    """High-dimensional LBP descriptors → one embedding.

    Each radius's part is L2-normalised and divided by √R, so the cosine of two embeddings
    is the mean of the per-radius cosines (the benchmark's score fusion).

    Args:
        config: sizes.
    """

    def __init__(self, config: HDLBPConfig) -> None:
        super().__init__()
        self.config = config
        b, d, k = config.blocks, config.per_block, config.dim
        for r in config.radii:
            self.register_buffer(f"means_{r}", torch.zeros(b, _BLOCK))
            self.register_buffer(f"bases_{r}", torch.zeros(b, _BLOCK, d))
            self.register_buffer(f"matrix_{r}", torch.zeros(b * d, k))
            self.register_buffer(f"offset_{r}", torch.zeros(k))

    def set_projection(self, radius: int, means: Any, bases: Any, matrix: Any, offset: Any) -> None:
        """Copy a fitted :class:`~facecli.recognition.hdlbp.HDLBPProjection`'s arrays in."""
        for name, value in (("means", means), ("bases", bases), ("matrix", matrix), ("offset", offset)):
            buf = getattr(self, f"{name}_{radius}")
            buf.copy_(torch.as_tensor(value, dtype=buf.dtype).reshape(buf.shape))

    def forward(self, descriptors: torch.Tensor) -> torch.Tensor:
        """Embed descriptors.

        Args:
            descriptors: (N, R, B x 944) uint8 (or float) counts, one row per radius in
                ``config.radii`` order.

        Returns:
            (N, R x dim) float32 embedding, unit length.
        """
        radii: Sequence[int] = self.config.radii
        if descriptors.ndim != 3 or descriptors.shape[1] != len(radii):
            raise ValueError(f"expected (N, {len(radii)}, D) descriptors, got {tuple(descriptors.shape)}")
        n, b = descriptors.shape[0], self.config.blocks
        parts = []
        for j, r in enumerate(radii):
            x = torch.sqrt(descriptors[:, j].float() / _NORM).reshape(n, b, _BLOCK)
            z = torch.einsum("nbi,bid->nbd", x - getattr(self, f"means_{r}"), getattr(self, f"bases_{r}"))
            e = z.reshape(n, -1) @ getattr(self, f"matrix_{r}") - getattr(self, f"offset_{r}")
            parts.append(nn.functional.normalize(e, dim=1))
        return torch.cat(parts, dim=1) / len(radii) ** 0.5
