"""Gradient-driven dynamic grid partition (DGPA-Net).

Cell boundaries follow the image-gradient energy of the input: along rows and along
columns separately, the boundaries split the cumulative energy profile into equal
parts, so detailed regions (eyes, nose, mouth, the face outline) get narrow cells and
flat regions wide ones. A share ``uniform`` of the profile is spread evenly, which keeps
every cell at least ``uniform / G`` of the image wide; ``uniform = 1`` is the fixed
uniform grid. Each cell is then resampled to a fixed ``P × P`` patch of features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["gradient_energy", "grid_boundaries", "sample_cells"]


def gradient_energy(x: Tensor) -> Tensor:
    """Per-pixel gradient magnitude summed over channels.

    Args:
        x: (B, C, H, W) input image (normal map, RGB, ...).

    Returns:
        (B, H, W) non-negative energy |∂x| + |∂y| (central differences, replicated
        at the border).
    """
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    gx = (p[:, :, 1:-1, 2:] - p[:, :, 1:-1, :-2]).abs()
    gy = (p[:, :, 2:, 1:-1] - p[:, :, :-2, 1:-1]).abs()
    return (gx + gy).sum(dim=1) * 0.5


def _split_profile(profile: Tensor, cells: int, uniform: float) -> Tensor:
    """(B, L) energy per row (or column) → (B, cells + 1) boundaries in [-1, 1]."""
    b, n = profile.shape
    p = profile.clamp_min(0)
    total = p.sum(dim=1, keepdim=True)
    p = torch.where(total > 0, p / total.clamp_min(1e-12), torch.full_like(p, 1.0 / n))
    p = (1.0 - uniform) * p + uniform / n
    cdf = torch.cat([p.new_zeros(b, 1), p.cumsum(dim=1)], dim=1)  # (B, L+1), at pixel edges
    cdf = cdf / cdf[:, -1:]
    edges = torch.linspace(-1.0, 1.0, n + 1, device=p.device, dtype=p.dtype).expand(b, -1).contiguous()
    q = torch.linspace(0.0, 1.0, cells + 1, device=p.device, dtype=p.dtype).expand(b, -1).contiguous()
    hi = torch.searchsorted(cdf, q).clamp(1, n)
    lo = hi - 1
    c0, c1 = cdf.gather(1, lo), cdf.gather(1, hi)
    t = ((q - c0) / (c1 - c0).clamp_min(1e-12)).clamp(0, 1)
    out = edges.gather(1, lo) + t * (edges.gather(1, hi) - edges.gather(1, lo))
    out[:, 0], out[:, -1] = -1.0, 1.0
    return out


@torch.no_grad()
def grid_boundaries(x: Tensor, cells: int, uniform: float = 0.3, smooth: int = 5) -> tuple[Tensor, Tensor]:
    """Row and column boundaries of a ``cells × cells`` grid for each image.

    Args:
        x: (B, C, H, W) input image.
        cells: G, cells per side.
        uniform: share of the profile spread evenly (1 = uniform grid).
        smooth: box-filter length applied to the energy profiles (odd, 1 = none).

    Returns:
        (rows, cols): each (B, G + 1), strictly increasing from -1 to 1 in
        ``grid_sample`` coordinates (align_corners=False: -1 is the top/left edge of the
        image, 1 the bottom/right edge).
    """
    if not 0.0 <= uniform <= 1.0:
        raise ValueError(f"expected uniform in [0, 1], got {uniform}")
    b = x.shape[0]
    if uniform >= 1.0:
        lin = torch.linspace(-1.0, 1.0, cells + 1, device=x.device, dtype=x.dtype)
        return lin.expand(b, -1).clone(), lin.expand(b, -1).clone()
    e = gradient_energy(x.float())
    rows, cols = e.sum(dim=2), e.sum(dim=1)  # (B, H), (B, W)
    if smooth > 1:
        k = torch.ones(1, 1, smooth, device=x.device) / smooth
        rows = F.conv1d(F.pad(rows[:, None], (smooth // 2, smooth // 2), mode="replicate"), k)[:, 0]
        cols = F.conv1d(F.pad(cols[:, None], (smooth // 2, smooth // 2), mode="replicate"), k)[:, 0]
    return _split_profile(rows, cells, uniform).to(x.dtype), _split_profile(cols, cells, uniform).to(x.dtype)


def _bilinear_rows(coords: Tensor, size: int) -> Tensor:
    """Linear-interpolation weights along one axis.

    Args:
        coords: (B, N) positions in ``grid_sample`` coordinates (align_corners=False).
        size: the axis' length in pixels.

    Returns:
        (B, N, size): row n holds the weights of the two pixels either side of position n
        (positions outside the image clamp to the border pixel, as ``padding_mode="border"``).
    """
    pos = (((coords + 1.0) * size - 1.0) / 2.0).clamp(0.0, size - 1.0)
    lo = pos.floor()
    frac = (pos - lo)[..., None]
    i0 = lo.long()
    i1 = (i0 + 1).clamp(max=size - 1)
    return F.one_hot(i0, size).to(coords.dtype) * (1.0 - frac) + F.one_hot(i1, size).to(coords.dtype) * frac


def sample_cells(features: Tensor, rows: Tensor, cols: Tensor, patch: int) -> Tensor:
    """Resample every grid cell of ``features`` to ``patch × patch`` (bilinear).

    Args:
        features: (B, C, H, W) feature map covering the same area as the input image.
        rows, cols: (B, G + 1) boundaries from :func:`grid_boundaries`.
        patch: P, samples per cell side (at the cell's pixel centres).

    Returns:
        (B, G * G, C, P, P), cells in row-major order.
    """
    b, c, _, _ = features.shape
    g = rows.shape[1] - 1
    frac = (torch.arange(patch, device=features.device, dtype=features.dtype) + 0.5) / patch  # (P,)

    def coords(bounds: Tensor) -> Tensor:  # (B, G+1) -> (B, G*P)
        lo, hi = bounds[:, :-1, None], bounds[:, 1:, None]
        return (lo + (hi - lo) * frac).reshape(b, g * patch)

    # The sample grid is separable (every cell row shares its y, every column its x), so the
    # bilinear resampling is two small matrix products: Ry @ F @ Rx^T. The same numbers as
    # grid_sample(mode="bilinear", padding_mode="border", align_corners=False), but a backward
    # pass of plain matrix products: repeatable on a GPU, where grid_sample's backward sums
    # with atomics (and so differs from run to run).
    ry = _bilinear_rows(coords(rows), features.shape[2])  # (B, GP, H)
    rx = _bilinear_rows(coords(cols), features.shape[3])  # (B, GP, W)
    out = torch.matmul(torch.matmul(ry[:, None], features), rx[:, None].transpose(-1, -2))  # (B, C, GP, GP)
    out = out.reshape(b, c, g, patch, g, patch).permute(0, 2, 4, 1, 3, 5)
    return out.reshape(b, g * g, c, patch, patch)
