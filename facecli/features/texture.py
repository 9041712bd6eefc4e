"""Texture descriptors of normal maps (MNI-GAIR's GLCM-LBP enhancement), with scikit-image.

Both descriptors work on an 8-bit grey image. For geometry it is the luminance of the
normal map shown as RGB (``(n + 1) / 2``), i.e. the picture the paper's descriptors
are computed on; for photographs it is the photograph.

Channels, in order (:data:`TEXTURE_CHANNELS`):

* ``lbp``: rotation-invariant uniform LBP code (``method="uniform"``, values 0..P+1)
  divided by P+1, per pixel;
* ``contrast``, ``homogeneity``, ``energy``, ``correlation``: GLCM statistics
  (``graycoprops``) of the cell the pixel lies in: non-overlapping square cells, grey
  levels quantised to ``levels``, distance 1, angles 0/45/90/135 degrees averaged,
  symmetric, normalised. Raw scikit-image values (contrast is in grey-level units²).
"""

from __future__ import annotations

import numpy as np

from facecli.errors import ValidationError
from facecli.validation import check_array

__all__ = [
    "TEXTURE_CHANNELS",
    "GLCM_PROPS",
    "normals_to_rgb",
    "normals_to_grey",
    "uniform_lbp",
    "glcm_maps",
    "texture_channels",
]

GLCM_PROPS = ("contrast", "homogeneity", "energy", "correlation")
TEXTURE_CHANNELS = ("lbp", *GLCM_PROPS)
_ANGLES = (0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4)


def normals_to_rgb(normals: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Normals shown as colours: ``(n + 1) / 2`` scaled to 0..255, black outside ``mask``.

    Args:
        normals: (H, W, 3) float unit normals.
        mask: (H, W) bool or None.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    n = check_array(normals, "(H, W, 3)", name="normals", finite=False).astype(np.float32)
    rgb = np.clip((np.nan_to_num(n) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    if mask is not None:
        rgb[~np.asarray(mask, dtype=bool)] = 0
    return rgb


def normals_to_grey(normals: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """(H, W) uint8 luminance (ITU-R BT.601, as OpenCV) of :func:`normals_to_rgb`."""
    import cv2

    return cv2.cvtColor(normals_to_rgb(normals, mask), cv2.COLOR_RGB2GRAY)


def uniform_lbp(grey: np.ndarray, points: int = 8, radius: float = 1.0) -> np.ndarray:
    """Uniform LBP codes scaled to [0, 1].

    Args:
        grey: (H, W) uint8.
        points: P, sampling points on the circle.
        radius: R in pixels.

    Returns:
        (H, W) float32 ``local_binary_pattern(grey, P, R, "uniform") / (P + 1)``.
    """
    from skimage.feature import local_binary_pattern

    g = check_array(grey, "(H, W)", name="grey image", dtype_kind="u")
    if points < 1 or radius <= 0:
        raise ValidationError(f"expected LBP points >= 1 and radius > 0, got P={points}, R={radius}")
    return (local_binary_pattern(g, int(points), float(radius), method="uniform") / (points + 1)).astype(np.float32)


def glcm_maps(grey: np.ndarray, cell: int, *, levels: int = 16) -> np.ndarray:
    """GLCM statistics per non-overlapping ``cell`` x ``cell`` block, broadcast to its pixels.

    Cells at the right/bottom border are smaller when the size is not a multiple of ``cell``.

    Args:
        grey: (H, W) uint8.
        cell: cell side in pixels (>= 2).
        levels: grey levels after quantisation (``grey * levels // 256``).

    Returns:
        (H, W, 4) float32: contrast, homogeneity, energy, correlation.
    """
    from skimage.feature import graycomatrix, graycoprops

    g = check_array(grey, "(H, W)", name="grey image", dtype_kind="u")
    if cell < 2:
        raise ValidationError(f"expected a GLCM cell of at least 2 pixels, got {cell}")
    if not 2 <= levels <= 256:
        raise ValidationError(f"expected 2..256 GLCM levels, got {levels}")
    q = (g.astype(np.int32) * levels // 256).astype(np.uint8)
    h, w = q.shape
    out = np.zeros((h, w, len(GLCM_PROPS)), dtype=np.float32)
    for r in range(0, h, cell):
        for c in range(0, w, cell):
            block = q[r : r + cell, c : c + cell]
            if min(block.shape) < 2:
                # a one-pixel sliver has no pairs; it takes its neighbour's values below
                continue
            m = graycomatrix(block, distances=[1], angles=list(_ANGLES), levels=levels, symmetric=True, normed=True)
            out[r : r + cell, c : c + cell] = [float(graycoprops(m, prop).mean()) for prop in GLCM_PROPS]
    if h % cell == 1 and h > 1:
        out[-1] = out[-2]
    if w % cell == 1 and w > 1:
        out[:, -1] = out[:, -2]
    return out


def texture_channels(
    grey: np.ndarray, *, points: int = 8, radius: float = 1.0, cell: int = 8, levels: int = 16
) -> np.ndarray:
    """LBP + GLCM channels of one scale.

    Args:
        grey: (H, W) uint8.
        points, radius: LBP parameters.
        cell, levels: GLCM parameters.

    Returns:
        (H, W, 5) float32 in the order of :data:`TEXTURE_CHANNELS`.
    """
    return np.concatenate([uniform_lbp(grey, points, radius)[..., None], glcm_maps(grey, cell, levels=levels)], axis=-1)
