"""The aligned face and the points that the high-dimensional descriptors are laid about.

After Chen et al., "Blessing of dimensionality" (CVPR 2013): the face is aligned by its five
points to a ``HD_SIZE`` px crop. 26 of the aligner's 98 points (a left-right symmetric set:
brows, eye corners and pupils, nose, mouth, jaw) are the centres of the descriptors'
cells, at several scales of the crop. Each descriptor (:mod:`~facecli.recognition.hdlbp`,
:mod:`~facecli.recognition.hdsift`, :mod:`~facecli.recognition.hdgabor`) is also computed on
the mirror image about the mirrored points and added, so that a face and its mirror image
have the same descriptor.

Example:
    >>> import numpy as np
    >>> img = np.zeros((250, 250, 3), np.uint8)
    >>> five = np.array([[100, 110], [150, 110], [125, 140], [105, 165], [145, 165]], float)
    >>> lm = np.tile(five.mean(axis=0), (98, 1))
    >>> face = aligned_face(img, five, lm)
    >>> face.grey.shape, face.points.shape
    ((160, 160), (26, 2))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HD_CELL", "HD_GRID", "HD_POINTS", "HD_SCALES", "HD_SIZE", "AlignedFace", "aligned_face"]

#: The 26 points (WFLW-98 indices): brows, eye corners and pupils, nose, mouth corners and lips, jaw.
HD_POINTS = (33, 35, 37, 42, 44, 46, 60, 64, 68, 72, 96, 97, 51, 54, 55, 57, 59, 76, 79, 82, 85, 4, 8, 16, 24, 28)
#: Crop side (px), the scales of the crop, cell side (px) and cells per side about each point.
HD_SIZE, HD_SCALES, HD_CELL, HD_GRID = 160, (1.0, 0.75, 0.5625, 0.42), 8, 4


@dataclass
class AlignedFace:
    """One face aligned for the high-dimensional descriptors.

    Attributes:
        grey: (HD_SIZE, HD_SIZE) uint8, the aligned face.
        points: (P, 2) float64, x y of the ``HD_POINTS`` in ``grey``.
        mirror_points: (P, 2) float64, the mirror face's own points in the mirror image.
    """

    grey: np.ndarray
    points: np.ndarray
    mirror_points: np.ndarray

    @property
    def mirror(self) -> np.ndarray:
        """(HD_SIZE, HD_SIZE) uint8, the mirror image of ``grey``."""
        return np.ascontiguousarray(self.grey[:, ::-1])


def aligned_face(image: np.ndarray, five: np.ndarray, landmarks: np.ndarray) -> AlignedFace:
    """Warp a photo's face to the crop, with its descriptor points.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W) uint8 grey photo.
        five: (5, 2) float, the face's five points (eye centres, nose tip, mouth corners) in ``image``.
        landmarks: (98, 2) float, its WFLW-98 points in ``image``.
    """
    import cv2

    from facecli.detection.alignment import alignment_transform
    from facecli.schemes import WFLW98_MIRROR

    sel = np.array(HD_POINTS)
    m = alignment_transform(np.asarray(five, np.float64), HD_SIZE)
    warped = cv2.warpAffine(image, m, (HD_SIZE, HD_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    grey = warped if warped.ndim == 2 else cv2.cvtColor(warped, cv2.COLOR_RGB2GRAY)
    pts = np.asarray(landmarks, np.float64) @ m[:, :2].T + m[:, 2]
    flipped = pts[WFLW98_MIRROR] * [-1, 1] + [HD_SIZE - 1, 0]  # the mirror face's own points
    return AlignedFace(grey, pts[sel], flipped[sel])
