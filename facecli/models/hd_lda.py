"""The high-dimensional descriptors' projection as a model file: descriptors in, embeddings out.

Each part is one descriptor (``lbp1``, ``lbp2``: LBP of radius 1 or 2; ``sift``; ``gabor``;
:mod:`facecli.recognition.hdparts`) with its projection
(:class:`facecli.recognition.hdprojection.HDProjection`, fitted by
:func:`facecli.recognition.hdprojection.fit_hd_projection`): linear after a square root. This
module holds the parts' projections as buffers, so that they load through
:func:`facecli.models.registry.load` like every other model.

Example:
    >>> import torch
    >>> net = HDDescriptorLDA(HDDescriptorConfig(parts=("lbp1", "sift"), blocks=(2, 3), per_block=3, dim=4))
    >>> net([torch.zeros(5, 2 * 944, dtype=torch.uint8), torch.zeros(5, 3 * 128)]).shape
    torch.Size([5, 8])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from facecli.configs import HDDescriptorConfig

__all__ = ["PART_BLOCK", "PART_NORM", "HDDescriptorConfig", "HDDescriptorLDA"]

#: values per (point, scale) block of each part (facecli.recognition's HD_BLOCK, SIFT_BLOCK, GABOR_BLOCK)
PART_BLOCK = {"lbp1": 944, "lbp2": 944, "sift": 128, "gabor": 640}
#: each part's values are divided by this before the square root (LBP: two images' 8 x 8 px cells)
PART_NORM = {"lbp1": 128.0, "lbp2": 128.0, "sift": 1.0, "gabor": 1.0}


class HDDescriptorLDA(nn.Module):
    """High-dimensional descriptors → one embedding.

    Each part's embedding is L2-normalised and divided by √R (R parts), so the cosine of two
    embeddings is the mean of the per-part cosines (the LFW benchmark's score fusion).

    Args:
        config: the parts and sizes.
    """

    def __init__(self, config: HDDescriptorConfig) -> None:
        super().__init__()
        self.config = config
        d, k = config.per_block, config.dim
        for part, b in zip(config.parts, config.blocks):
            if part not in PART_BLOCK:
                raise ValueError(f"expected parts among {sorted(PART_BLOCK)}, got {part!r}")
            size = PART_BLOCK[part]
            self.register_buffer(f"means_{part}", torch.zeros(b, size))
            self.register_buffer(f"bases_{part}", torch.zeros(b, size, d))
            self.register_buffer(f"matrix_{part}", torch.zeros(b * d, k))
            self.register_buffer(f"offset_{part}", torch.zeros(k))

    def set_projection(self, part: str, means: Any, bases: Any, matrix: Any, offset: Any) -> None:
        """Copy a fitted :class:`~facecli.recognition.hdprojection.HDProjection`'s arrays in."""
        for name, value in (("means", means), ("bases", bases), ("matrix", matrix), ("offset", offset)):
            buf = getattr(self, f"{name}_{part}")
            buf.copy_(torch.as_tensor(value, dtype=buf.dtype).reshape(buf.shape))

    def forward(self, descriptors: Sequence[torch.Tensor]) -> torch.Tensor:
        """Embed descriptors.

        Args:
            descriptors: one (N, B_part x block_part) tensor (any dtype) per part, in
                ``config.parts`` order.

        Returns:
            (N, R x dim) float32 embedding, unit length.
        """
        parts: Sequence[str] = self.config.parts
        if len(descriptors) != len(parts):
            raise ValueError(f"expected {len(parts)} descriptors ({', '.join(parts)}), got {len(descriptors)}")
        out = []
        for x, part, b in zip(descriptors, parts, self.config.blocks):
            size = PART_BLOCK[part]
            if x.ndim != 2 or x.shape[1] != b * size:
                raise ValueError(f"expected (N, {b * size}) {part} descriptors, got {tuple(x.shape)}")
            z = torch.sqrt(x.float() / PART_NORM[part]).reshape(len(x), b, size)
            z = torch.einsum("nbi,bid->nbd", z - getattr(self, f"means_{part}"), getattr(self, f"bases_{part}"))
            e = z.reshape(len(x), -1) @ getattr(self, f"matrix_{part}") - getattr(self, f"offset_{part}")
            out.append(nn.functional.normalize(e, dim=1))
        return torch.cat(out, dim=1) / len(parts) ** 0.5
