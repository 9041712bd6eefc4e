"""High-dimensional LBP about facecli's own landmarks.

After Chen et al., "Blessing of dimensionality: high-dimensional feature and its efficient
compression for face verification" (CVPR 2013), with facecli's landmarks: the face is aligned
by its five points to a 160 px crop. About 26 of the 98 aligner points (a left-right
symmetric set: brows, eye corners and pupils, nose, mouth, jaw), at four scales of that crop,
a 4 x 4 grid of 8 px cells is laid. Each cell gets a 59-bin histogram of uniform LBP codes
(8 neighbours at ``radius`` px). The mirror image's histograms, about the mirrored points,
are added: 26 x 4 x 944 = 98,176 counts per face and radius.

Its projection (:mod:`facecli.recognition.hdprojection`) is fitted on identity-labelled
faces. On LFW View 2 (radii 1 and 2, each fitted per fold on the other folds' people), this
gives 91.17 ± 0.95 % (``benchmarks/lfw/RESULTS.md``); radius 1 fused with
:mod:`~facecli.recognition.hdsift` and :mod:`~facecli.recognition.hdgabor`, 92.27 ± 1.05 %.

Example:
    >>> import numpy as np
    >>> grey = np.random.default_rng(0).integers(0, 255, (160, 160)).astype(np.uint8)
    >>> pts = np.tile([[80.0, 80.0]], (len(HD_POINTS), 1))
    >>> hd_lbp_codes(grey, pts).shape
    (98176,)
"""

from __future__ import annotations

import numpy as np

from facecli.recognition.hdface import HD_CELL, HD_GRID, HD_POINTS, HD_SCALES, HD_SIZE, AlignedFace, aligned_face

__all__ = [
    "HD_BLOCK",
    "HD_CELL",
    "HD_GRID",
    "HD_POINTS",
    "HD_SCALES",
    "HD_SIZE",
    "hd_lbp",
    "hd_lbp_codes",
    "hd_lbp_face",
]

HD_BLOCK = HD_GRID * HD_GRID * 59  # one point at one scale


def hd_lbp_codes(grey: np.ndarray, pts: np.ndarray, radius: int = 1) -> np.ndarray:
    """Counts of the 59 uniform LBP codes in the cells about each point, per scale.

    Args:
        grey: (HD_SIZE, HD_SIZE) uint8, the aligned face.
        pts: (P, 2) float, x y of the points in ``grey``.
        radius: LBP radius in pixels.

    Returns:
        (P x S x 944,) int64, point-major: blocks of ``HD_BLOCK`` per (point, scale).
    """
    import cv2
    from skimage.feature import local_binary_pattern

    half = HD_GRID * HD_CELL // 2
    off = np.arange(-half, half)
    cell = (off + half) // HD_CELL
    cell_id = (cell[:, None] * HD_GRID + cell[None, :]) * 60  # (2h, 2h)
    out = []
    for s in HD_SCALES:
        side = int(round(HD_SIZE * s))
        g = grey if side == HD_SIZE else cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA)
        codes = local_binary_pattern(g, 8, radius, method="nri_uniform").astype(np.int64)
        codes = np.pad(codes, half, constant_values=59)  # outside the crop: a bin that is dropped
        c = np.clip(np.round(pts * s).astype(np.int64), 0, side) + half  # the patch stays in the padded map
        patch = codes[(c[:, 1, None] + off)[:, :, None], (c[:, 0, None] + off)[:, None, :]]  # (P, 2h, 2h)
        key = np.arange(len(pts))[:, None, None] * (HD_GRID * HD_GRID * 60) + cell_id[None] + patch
        h = np.bincount(key.ravel(), minlength=len(pts) * HD_GRID * HD_GRID * 60)
        out.append(h.reshape(len(pts), HD_GRID * HD_GRID, 60)[:, :, :59].reshape(len(pts), -1))
    return np.stack(out, axis=1).reshape(-1)


def hd_lbp(image: np.ndarray, five: np.ndarray, landmarks: np.ndarray, radius: int = 1) -> np.ndarray:
    """The high-dimensional LBP of one face, its mirror image's added.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W) uint8 grey photo.
        five: (5, 2) float, the face's five points (eye centres, nose tip, mouth corners) in ``image``.
        landmarks: (98, 2) float, its WFLW-98 points in ``image``.
        radius: LBP radius in pixels.

    Returns:
        (98,176,) uint8 counts (clipped at 255).
    """
    return hd_lbp_face(aligned_face(image, five, landmarks), radius)


def hd_lbp_face(face: AlignedFace, radius: int = 1) -> np.ndarray:
    """:func:`hd_lbp` of a face already aligned (:func:`~facecli.recognition.hdface.aligned_face`)."""
    both = hd_lbp_codes(face.grey, face.points, radius) + hd_lbp_codes(face.mirror, face.mirror_points, radius)
    return np.minimum(both, 255).astype(np.uint8)
