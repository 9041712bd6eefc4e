"""CAP: an encoder-decoder with a cascaded atrous pyramid that predicts unit surface
normals (and a face mask) from a face image at several scales (MNI-GAIR's image path).

Architecture (``width`` = w channels, input S x S):

* encoder: one 3x3 conv at S (w), then blocks of two 3x3 convs at S/2 (2w), S/4 (4w)
  and S/8 (4w), with batch norm and ReLU, downsampling by stride 2 (full resolution
  is kept light: it dominates the cost on a CPU);
* cascaded atrous pyramid at S/8: 3x3 convs with dilations ``(1, 2, 4, 8)`` applied
  in *cascade* (each takes the previous one's output, so the receptive field grows
  1 -> 3 -> 7 -> 15 -> 31 cells), all outputs concatenated and fused by a 1x1 conv,
  with a residual connection;
* decoder: bilinear upsampling with skip connections back to S/4, S/2 (two-conv
  blocks) and S (one conv); a head at
  each of these scales gives 3 normal channels (normalised to unit length) and one
  mask logit.

The ablation "without atrous cascade" is the same network with ``dilations=(1, 1, 1, 1)``:
the same parameters, a receptive field of 9 cells instead of 31.

Example:
    >>> import torch
    >>> net = CAPNet(width=8)
    >>> outs = net(torch.rand(2, 3, 64, 64))
    >>> [tuple(o.normals.shape) for o in outs]
    [(2, 3, 64, 64), (2, 3, 32, 32), (2, 3, 16, 16)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from facecli.configs import CAPConfig

__all__ = ["CAPConfig", "CAPNet", "CAPOutput", "CascadedAtrousPyramid", "angular_loss"]


class CAPOutput(NamedTuple):
    """One scale of the prediction.

    Attributes:
        normals: (B, 3, H, W) float unit normals (view frame: +x right, +y up, +z to camera).
        mask_logits: (B, 1, H, W) float, face-mask logits.
    """

    normals: torch.Tensor
    mask_logits: torch.Tensor


def _block(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class CascadedAtrousPyramid(nn.Module):
    """Dilated 3x3 convs in cascade, concatenated and fused (1x1), plus the input.

    Args:
        channels: C, kept from input to output.
        dilations: one conv per entry, applied one after the other.

    Shapes:
        (B, C, H, W) -> (B, C, H, W).
    """

    def __init__(self, channels: int, dilations: Sequence[int] = (1, 2, 4, 8)) -> None:
        super().__init__()
        self.stages = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(channels, channels, 3, padding=d, dilation=d, bias=False),
                nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True),
            )
            for d in dilations
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(channels * len(self.stages), channels, 1, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        y = x
        for stage in self.stages:
            y = stage(y)
            outs.append(y)
        return x + self.fuse(torch.cat(outs, dim=1))


class CAPNet(nn.Module):
    """Image -> unit normals + mask at full, 1/2 and 1/4 resolution.

    Args:
        width: channels of the first level (w).
        dilations: of the cascaded atrous pyramid.
        in_channels: 3 for RGB.

    Shapes:
        input (B, C, S, S) float in [0, 1] with S divisible by 8; output a list of three
        :class:`CAPOutput`, finest first (S, S/2, S/4).
    """

    def __init__(
        self,
        width: int = CAPConfig.width,
        dilations: Sequence[int] = CAPConfig.dilations,
        in_channels: int = CAPConfig.in_channels,
    ) -> None:
        super().__init__()
        self.config = CAPConfig(width=width, dilations=tuple(int(d) for d in dilations), in_channels=in_channels)
        w = width
        self.enc1 = _conv(in_channels, w)
        self.enc2 = _block(w, 2 * w, stride=2)
        self.enc3 = _block(2 * w, 4 * w, stride=2)
        self.enc4 = _block(4 * w, 4 * w, stride=2)
        self.cap = CascadedAtrousPyramid(4 * w, dilations)
        self.dec3 = _block(8 * w, 4 * w)
        self.dec2 = _block(6 * w, 2 * w)
        self.dec1 = _conv(3 * w, w)
        self.heads = nn.ModuleList([nn.Conv2d(c, 4, 1) for c in (w, 2 * w, 4 * w)])

    @staticmethod
    def _standardise(x: torch.Tensor) -> torch.Tensor:
        # per-image standardisation: invariance to global brightness and contrast
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        std = x.std(dim=(1, 2, 3), keepdim=True).clamp_min(1e-3)
        return (x - mean) / std

    @staticmethod
    def _up(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=ref.shape[-2:], mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor) -> list[CAPOutput]:
        if x.ndim != 4 or x.shape[1] != self.config.in_channels:
            raise ValueError(f"expected (B, {self.config.in_channels}, S, S) images, got {tuple(x.shape)}")
        if x.shape[-1] % 8 or x.shape[-2] % 8:
            raise ValueError(f"expected image sides divisible by 8, got {tuple(x.shape[-2:])}")
        e1 = self.enc1(self._standardise(x))
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        e4 = self.cap(self.enc4(e3))
        d3 = self.dec3(torch.cat([self._up(e4, e3), e3], 1))
        d2 = self.dec2(torch.cat([self._up(d3, e2), e2], 1))
        d1 = self.dec1(torch.cat([self._up(d2, e1), e1], 1))
        outs = []
        for feat, head in zip((d1, d2, d3), self.heads):
            y = head(feat)
            outs.append(CAPOutput(F.normalize(y[:, :3], dim=1, eps=1e-6), y[:, 3:4]))
        return outs


def angular_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean angle (radians) between unit normals inside the mask.

    Args:
        pred, target: (B, 3, H, W) unit normals.
        mask: (B, 1, H, W) or (B, H, W) bool/float weights.

    Returns:
        Scalar tensor; 0 if the mask is empty.
    """
    m = mask.reshape(pred.shape[0], 1, *pred.shape[-2:]).to(pred.dtype)
    cos = (pred * target).sum(dim=1, keepdim=True).clamp(-1 + 1e-6, 1 - 1e-6)
    return (torch.acos(cos) * m).sum() / m.sum().clamp_min(1.0)
