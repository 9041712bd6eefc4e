"""A frontal orthographic view of the canonical face frame (+X right, +Y up, +Z to the viewer).

The camera looks along -Z from the plane ``z = z_camera``. Square images of ``size``
pixels cover ``width`` mm; pixel (i, j) has its centre at
``x = centre_x - width/2 + (j + 0.5) width/size`` and
``y = centre_y + width/2 - (i + 0.5) width/size`` (image rows run down, +Y up).
All scales of one sample share the view, so pixel (i, j) of scale ``s/2`` covers
pixels ``2i..2i+1, 2j..2j+1`` of scale ``s``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facecli.errors import ValidationError
from facecli.validation import check_array

__all__ = ["OrthoView", "fit_view"]


@dataclass(frozen=True)
class OrthoView:
    """Where a frontal orthographic camera looks.

    Attributes:
        centre_x, centre_y: image centre in mm (canonical frame).
        width: mm covered by the image width (and height: images are square).
        z_camera: the camera plane's Z in mm; depth is measured from it along -Z.
    """

    centre_x: float
    centre_y: float
    width: float
    z_camera: float

    def pixel_centres(self, size: int) -> np.ndarray:
        """(size*size, 2) float64 (x, y) mm of the pixel centres, row-major."""
        step = self.width / size
        xs = self.centre_x - self.width / 2 + (np.arange(size) + 0.5) * step
        ys = self.centre_y + self.width / 2 - (np.arange(size) + 0.5) * step
        gx, gy = np.meshgrid(xs, ys)
        return np.stack([gx.ravel(), gy.ravel()], axis=1)

    def to_pixels(self, points: np.ndarray, size: int) -> np.ndarray:
        """Continuous pixel coordinates (col, row) of points (N, 3) mm; pixel centres are integers."""
        step = self.width / size
        col = (points[:, 0] - (self.centre_x - self.width / 2)) / step - 0.5
        row = ((self.centre_y + self.width / 2) - points[:, 1]) / step - 0.5
        return np.stack([col, row], axis=1)

    def as_array(self) -> np.ndarray:
        """(4,) float32 ``[centre_x, centre_y, width, z_camera]`` (stored per sample as ``view``)."""
        return np.array([self.centre_x, self.centre_y, self.width, self.z_camera], dtype=np.float32)


def fit_view(
    points: np.ndarray,
    *,
    margin: float = 0.05,
    width: float | None = None,
    centre: Sequence[float] | None = None,
    source: str = "",
) -> OrthoView:
    """The view that frames ``points``: centred on their X/Y bounding box, square.

    Args:
        points: (N, 3) float, mm, canonical frame.
        margin: extra border, as a fraction of the larger bounding-box side.
        width: fixed field width in mm (same framing for every sample) instead of the fit.
        centre: fixed (x, y) image centre in mm instead of the box centre.
        source: file name for error messages.

    Returns:
        The :class:`OrthoView`; the camera plane sits 10 mm in front of the nearest point.
    """
    p = check_array(points, "(N, 3)", name="points", source=source or None, min_len=1)
    lo, hi = p.min(axis=0), p.max(axis=0)
    if centre is None:
        cx, cy = (lo[:2] + hi[:2]) / 2
    else:
        cx, cy = float(centre[0]), float(centre[1])
    if width is None:
        # the box must fit around the chosen centre
        half = max(abs(hi[0] - cx), abs(cx - lo[0]), abs(hi[1] - cy), abs(cy - lo[1]))
        width = 2 * half * (1 + 2 * margin)
    if not width > 0:
        where = f" in {source}" if source else ""
        raise ValidationError(f"expected a surface with extent in X and Y, got a degenerate one{where}")
    return OrthoView(float(cx), float(cy), float(width), float(hi[2] + 10.0))
