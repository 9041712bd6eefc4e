"""High-dimensional SIFT about facecli's own landmarks.

The SIFT counterpart of :mod:`~facecli.recognition.hdlbp` (Chen et al., CVPR 2013, fuse both):
at each of the 26 ``HD_POINTS`` and each of the four ``HD_SCALES`` of the aligned 160 px face,
one upright SIFT descriptor (OpenCV's: 4 x 4 cells of 8 orientation bins) whose window spans
``SIFT_WINDOW`` px of that scale, i.e. the same 32 px as the LBP's 4 x 4 cells of 8 px. The
mirror image's descriptors about the mirrored points are added: 4 x 26 x 128 = 13,312 values.

Example:
    >>> import numpy as np
    >>> grey = np.random.default_rng(0).integers(0, 255, (160, 160)).astype(np.uint8)
    >>> pts = np.tile([[80.0, 80.0]], (26, 1))
    >>> hd_sift_codes(grey, pts).shape
    (13312,)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facecli.recognition.hdface import HD_SCALES, HD_SIZE, AlignedFace, aligned_face

__all__ = ["SIFT_BLOCK", "SIFT_WINDOW", "hd_sift", "hd_sift_codes", "hd_sift_face"]

#: Side (px) of the square each descriptor covers, at every scale.
SIFT_WINDOW = 32.0
#: Values per block (one point at one scale): 4 x 4 cells x 8 orientations.
SIFT_BLOCK = 128

_SIFT: list[Any] = []


def _sift() -> Any:
    import cv2

    if not _SIFT:
        _SIFT.append(cv2.SIFT_create())
    return _SIFT[0]


def hd_sift_codes(grey: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """SIFT descriptors about each point, at each scale.

    Args:
        grey: (HD_SIZE, HD_SIZE) uint8, the aligned face.
        pts: (P, 2) float, x y of the points in ``grey``.

    Returns:
        (S x P x 128,) float32 (values 0–255), scale-major: one block of ``SIFT_BLOCK`` per
        (scale, point).
    """
    import cv2

    out = []
    for s in HD_SCALES:
        side = int(round(HD_SIZE * s))
        g = grey if side == HD_SIZE else cv2.resize(grey, (side, side), interpolation=cv2.INTER_AREA)
        # OpenCV's descriptor window is 6 x the keypoint size; angle 0: upright
        kps = [cv2.KeyPoint(float(x * s), float(y * s), SIFT_WINDOW / 6.0, 0) for x, y in pts]
        _, d = _sift().compute(g, kps)
        if d is None or d.shape[0] != len(kps):  # OpenCV drops none of given keypoints; guard anyway
            raise RuntimeError(f"SIFT returned {0 if d is None else d.shape[0]} descriptors for {len(kps)} points")
        out.append(d)
    return np.concatenate(out).reshape(-1)


def hd_sift_face(face: AlignedFace) -> np.ndarray:
    """:func:`hd_sift` of a face already aligned (:func:`~facecli.recognition.hdface.aligned_face`)."""
    both = hd_sift_codes(face.grey, face.points) + hd_sift_codes(face.mirror, face.mirror_points)
    return both.astype(np.uint16)


def hd_sift(image: np.ndarray, five: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The high-dimensional SIFT of one face, its mirror image's added.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W) uint8 grey photo.
        five: (5, 2) float, the face's five points in ``image``.
        landmarks: (98, 2) float, its WFLW-98 points in ``image``.

    Returns:
        (13,312,) uint16.
    """
    return hd_sift_face(aligned_face(image, five, landmarks))
