"""Face crops: the similarity transform from an image's face box to a C × C crop.

The crop is centred on the box, its side is (1 + margin) × the box's larger side,
optionally rotated, rescaled, shifted (augmentation) and mirrored. Landmarks move with
the same transform; :func:`to_normalised` / :func:`from_normalised` convert crop pixels
to the [-1, 1] coordinates the network uses (pixel centres, ``align_corners=False``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from facecli.errors import InputError

__all__ = [
    "box_from_five",
    "crop_transform",
    "from_normalised",
    "invert_affine",
    "to_normalised",
    "transform_points",
    "warp_crop",
]


def crop_transform(
    box: np.ndarray,
    crop: int,
    margin: float,
    *,
    rotation_deg: float = 0.0,
    scale: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
    flip: bool = False,
    source: str = "",
) -> np.ndarray:
    """(2, 3) float64 affine map from image pixels to crop pixels.

    Args:
        box: (4,) ``x0, y0, x1, y1`` px.
        crop: C.
        margin: the crop covers (1 + margin) × the box's larger side.
        rotation_deg: rotate the face by this angle in the crop (augmentation).
        scale: > 1 zooms in.
        shift: (dx, dy) of the box centre, in units of the box side.
        flip: mirror horizontally (landmark order must then be mirrored too).
        source: a name for error messages.
    """
    x0, y0, x1, y1 = (float(v) for v in np.asarray(box, dtype=np.float64).reshape(4))
    side = max(x1 - x0, y1 - y0)
    if not np.isfinite(side) or side <= 1:
        raise InputError(
            f"expected a face box with positive size, got {x0:.1f},{y0:.1f},{x1:.1f},{y1:.1f}"
            + (f" in {source}" if source else "")
        )
    cx = (x0 + x1) / 2 + shift[0] * side
    cy = (y0 + y1) / 2 + shift[1] * side
    s = scale * crop / (side * (1 + margin))
    a = np.deg2rad(rotation_deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * s
    if flip:
        r = np.array([[-1.0, 0.0], [0.0, 1.0]]) @ r
    c = (crop - 1) / 2.0
    t = np.array([c, c]) - r @ np.array([cx, cy])
    return np.concatenate([r, t[:, None]], axis=1)


def invert_affine(m: np.ndarray) -> np.ndarray:
    """(2, 3) inverse of a (2, 3) affine map."""
    a = np.linalg.inv(m[:, :2])
    return np.concatenate([a, (-a @ m[:, 2])[:, None]], axis=1)


def transform_points(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine map to (..., 2) points."""
    p = np.asarray(points, dtype=np.float64)
    return p @ m[:, :2].T + m[:, 2]


def warp_crop(
    image: np.ndarray, m: np.ndarray, crop: int, degrade: Callable[[np.ndarray], np.ndarray] | None = None
) -> np.ndarray:
    """(C, C) float32 grey crop, normalised to zero mean and unit std.

    Args:
        image: (H, W) or (H, W, 3) uint8.
        m: (2, 3) image → crop map.
        crop: C.
        degrade: applied to the (C, C) float32 0–255 crop before the normalisation (training's
            photo augmentation, :func:`facecli.landmarks2d.photometric.degrade`).
    """
    import cv2

    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    out = cv2.warpAffine(
        grey, m.astype(np.float64), (crop, crop), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    ).astype(np.float32)
    if degrade is not None:
        out = degrade(out)
    return (out - out.mean()) / (out.std() + 1e-3)


def to_normalised(points: np.ndarray, crop: int) -> np.ndarray:
    """Crop pixels → [-1, 1] (pixel centres at (2i + 1) / C − 1)."""
    return (np.asarray(points, dtype=np.float64) + 0.5) * (2.0 / crop) - 1.0


def from_normalised(points: np.ndarray, crop: int) -> np.ndarray:
    """[-1, 1] → crop pixels."""
    return (np.asarray(points, dtype=np.float64) + 1.0) * (crop / 2.0) - 0.5


def box_from_five(points: np.ndarray, mean_shape: np.ndarray) -> np.ndarray:
    """The landmark box a model expects, from five face points.

    The model's mean shape is placed on the five points (eye centres, nose tip, mouth
    corners) by a similarity transform; the box bounds the placed shape.

    Args:
        points: (5, 2) x, y pixels, MTFL order (:func:`facecli.schemes.to_five`).
        mean_shape: (L, 2) the model's mean shape, any frame (L = 98 or 68).

    Returns:
        (4,) float64 ``x0, y0, x1, y1``.

    Raises:
        ValidationError: points that fix no similarity (all equal).
    """
    from skimage.transform import SimilarityTransform

    from facecli.errors import ValidationError
    from facecli.schemes import to_five
    from facecli.validation import check_array

    p = check_array(points, "(5, 2)", name="five points").astype(np.float64)
    mean = np.asarray(mean_shape, dtype=np.float64)
    tf = SimilarityTransform.from_estimate(to_five(mean), p)
    if not tf or np.ptp(p, axis=0).max() < 1e-6:
        raise ValidationError(f"expected five distinct face points, got {p.round(1).tolist()}")
    placed = tf(mean)
    return np.concatenate([placed.min(axis=0), placed.max(axis=0)])
