"""DGPA-Net: face-recognition embeddings from normal maps (MNI-GAIR), with a
gradient-driven dynamic grid partition and dual-path (CBAM) attention per cell.

Architecture (input (B, C, S, S): normal map, optionally with RGB / texture channels):

* backbone: 3×3 stride-2 stem, a residual block, a 3×3 stride-2 conv and a second
  residual block → features at S/4 with ``width * 2`` channels;
* dynamic grid (:mod:`facecli.models.grid`): G × G cells whose row/column boundaries
  split the input's gradient energy evenly (``grid="uniform"`` is the fixed-grid
  ablation); each cell is resampled to a P × P feature patch;
* dual-path attention per cell (:mod:`facecli.models.attention`, shared weights; the
  ``attention=False`` ablation skips it);
* per-cell 3×3 conv → average + max pooling → one vector per cell; the concatenated
  cell vectors go through a linear layer and batch norm to a ``dim``-d embedding,
  L2-normalised.

Example:
    >>> net = DGPANet(DGPAConfig(in_channels=3, width=8, cells=3, patch=4, dim=32))
    >>> net(torch.randn(2, 3, 48, 48)).shape
    torch.Size([2, 32])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facecli.configs import DGPAConfig
from facecli.models.attention import DualPathAttention
from facecli.models.grid import grid_boundaries, sample_cells

__all__ = ["DGPAConfig", "DGPANet"]


def _conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class _Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.a = _conv_bn(c, c)
        self.b = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x + self.b(self.a(x)))


class DGPANet(nn.Module):
    """The embedder (see the module docstring)."""

    def __init__(self, config: DGPAConfig | None = None) -> None:
        super().__init__()
        cfg = config or DGPAConfig()
        if cfg.cell_dim % 2:
            raise ValueError(f"expected an even cell_dim (mean + max halves), got {cfg.cell_dim}")
        if cfg.grid not in ("dynamic", "uniform"):
            raise ValueError(f"expected grid 'dynamic' or 'uniform', got {cfg.grid!r}")
        self.config = cfg
        w = cfg.width
        self.backbone = nn.Sequential(
            _conv_bn(cfg.in_channels, w, 2), _Residual(w), _conv_bn(w, 2 * w, 2), _Residual(2 * w)
        )
        self.attention = DualPathAttention(2 * w) if cfg.attention else None
        self.cell_conv = _conv_bn(2 * w, cfg.cell_dim // 2)
        self.fc = nn.Linear(cfg.cells * cfg.cells * cfg.cell_dim, cfg.dim)
        self.bn = nn.BatchNorm1d(cfg.dim)

    def boundaries(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(rows, cols) cell boundaries for the input x: (B, C, S, S)."""
        share = 1.0 if self.config.grid == "uniform" else self.config.uniform_share
        return grid_boundaries(x, self.config.cells, share)

    def forward(self, x: Tensor, keep_maps: bool = False) -> Tensor:
        """x: (B, C, S, S) float → (B, dim) L2-normalised embeddings."""
        b = x.shape[0]
        g, p = self.config.cells, self.config.patch
        rows, cols = self.boundaries(x)
        feats = self.backbone(x)
        cells = sample_cells(feats, rows, cols, p)  # (B, G*G, C, P, P)
        cells = cells.reshape(b * g * g, *cells.shape[2:])
        if self.attention is not None:
            cells = self.attention(cells, keep_maps=keep_maps)
        h = self.cell_conv(cells)
        v = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)  # (B*G*G, cell_dim)
        v = v.reshape(b, g * g * self.config.cell_dim)
        return F.normalize(self.bn(self.fc(v)), dim=1)
