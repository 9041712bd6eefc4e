"""The high-dimensional descriptors by part name, as the projection model file lists them.

``lbp1`` / ``lbp2``: :func:`~facecli.recognition.hdlbp.hd_lbp` of radius 1 / 2; ``sift``:
:func:`~facecli.recognition.hdsift.hd_sift`; ``gabor``: :func:`~facecli.recognition.hdgabor.hd_gabor`.
The face is aligned once for all parts.

Example:
    >>> import numpy as np
    >>> img = np.zeros((250, 250, 3), np.uint8)
    >>> five = np.array([[100, 110], [150, 110], [125, 140], [105, 165], [145, 165]], float)
    >>> lm = np.tile(five.mean(axis=0), (98, 1))
    >>> [d.shape for d in describe(img, five, lm, ("lbp1", "sift"))]
    [(98176,), (13312,)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from facecli.recognition.hdface import AlignedFace, aligned_face
from facecli.recognition.hdgabor import GABOR_BLOCK, hd_gabor_face
from facecli.recognition.hdlbp import HD_BLOCK, hd_lbp_face
from facecli.recognition.hdsift import SIFT_BLOCK, hd_sift_face

__all__ = ["HD_PARTS", "describe"]

#: part name → (descriptor of an aligned face, values per (point, scale) block, divisor before the square root)
HD_PARTS: dict[str, tuple[Callable[[AlignedFace], np.ndarray], int, float]] = {
    "lbp1": (lambda f: hd_lbp_face(f, 1), HD_BLOCK, 128.0),
    "lbp2": (lambda f: hd_lbp_face(f, 2), HD_BLOCK, 128.0),
    "sift": (hd_sift_face, SIFT_BLOCK, 1.0),
    "gabor": (hd_gabor_face, GABOR_BLOCK, 1.0),
}


def describe(image: np.ndarray, five: np.ndarray, landmarks: np.ndarray, parts: Sequence[str]) -> list[np.ndarray]:
    """One face's descriptors, one per part.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W) uint8 grey photo.
        five: (5, 2) float, the face's five points in ``image``.
        landmarks: (98, 2) float, its WFLW-98 points in ``image``.
        parts: names among ``HD_PARTS``.

    Returns:
        one 1-D array per part (its own length and dtype).
    """
    unknown = [p for p in parts if p not in HD_PARTS]
    if unknown:
        raise ValueError(f"expected parts among {sorted(HD_PARTS)}, got {unknown[0]!r}")
    face = aligned_face(image, five, landmarks)
    return [HD_PARTS[p][0](face) for p in parts]
