"""Faces aligned to a fixed five-point template before they are embedded.

Every modern recognition pipeline does this: detect the face, find its five points (eye
centres, nose tip, mouth corners), and map them by a similarity transform (rotation,
uniform scale, translation: no shear, so the face keeps its proportions) onto one fixed
template, so that every crop shows the face at the same place, size and roll.

The template (:data:`FIVE_POINT_TEMPLATE`) was measured, not copied: it is the generalised
Procrustes mean of the 4,151 human-labelled LFW faces of MTFL's training list, made
left-right symmetric, then placed in the unit square with the eyes' midpoint at
(0.5, 0.40) and the eye-to-mouth distance 0.33 of the side. The crop then reaches from
the forehead to the chin.

Example:
    >>> import numpy as np
    >>> pts = template_points(112) * 2 + 10  # a face twice the template's size
    >>> m = alignment_transform(pts, 112)
    >>> np.allclose(m[:, :2], np.eye(2) / 2) and np.allclose(m[:, 2], -5)
    True
"""

from __future__ import annotations

import numpy as np

from facecli.errors import ValidationError
from facecli.validation import check_array

__all__ = ["FIVE_POINT_TEMPLATE", "align_face", "alignment_transform", "template_points"]

#: (5, 2) x, y in the unit square (MTFL order: left eye, right eye, nose, left and right
#: mouth corner; "left" as seen in the image). See the module docstring for how it was made.
FIVE_POINT_TEMPLATE = np.array(
    [[0.3486, 0.4000], [0.6514, 0.4000], [0.5000, 0.5761], [0.3690, 0.7300], [0.6310, 0.7300]], dtype=np.float64
)


def template_points(size: int) -> np.ndarray:
    """The template in a ``size`` x ``size`` crop.

    Returns:
        (5, 2) float64 pixel coordinates (pixel centres at integers).
    """
    return FIVE_POINT_TEMPLATE * size - 0.5


def alignment_transform(points: np.ndarray, size: int) -> np.ndarray:
    """The similarity that maps a face's five points onto the template (least squares).

    Args:
        points: (5, 2) x, y pixels in the image, MTFL order.
        size: side of the crop in pixels.

    Returns:
        (2, 3) float64 image → crop map (for ``cv2.warpAffine``).

    Raises:
        ValidationError: points that fix no similarity (all equal, or not finite).
    """
    from skimage.transform import SimilarityTransform

    p = check_array(points, "(5, 2)", name="five points").astype(np.float64)
    if not np.isfinite(p).all() or np.ptp(p, axis=0).max() < 1e-6:
        raise ValidationError(f"expected five distinct, finite face points, got {p.round(1).tolist()}")
    tf = SimilarityTransform.from_estimate(p, template_points(size))
    if not tf:
        raise ValidationError(f"expected five face points that fix a similarity, got {p.round(1).tolist()}")
    return np.asarray(tf.params[:2], dtype=np.float64)


def align_face(image: np.ndarray, points: np.ndarray, size: int = 112) -> np.ndarray:
    """The face cut out and aligned to the template.

    Args:
        image: (H, W) or (H, W, 3) uint8.
        points: (5, 2) x, y pixels of the face's five points, MTFL order.
        size: side of the crop in pixels.

    Returns:
        (size, size) or (size, size, 3) uint8, the border replicated where the crop leaves
        the image.
    """
    import cv2

    img = check_array(image, "(H, W)" if np.ndim(image) == 2 else "(H, W, 3)", name="image", dtype_kind="u")
    m = alignment_transform(points, size)
    return cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
