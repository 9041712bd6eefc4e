"""Head motion in face crops: the cell grid's mean flow and the smooth field a moving head
leaves in it.

Shared by every apex method and the recognition inputs: :func:`cell_means` (mean of a
per-pixel field over each cell), :func:`fit_head_motion` (a quadratic field in the
image coordinates, fitted robustly so the few cells an expression moves do not pull
it), :func:`remove_head_motion` and :func:`flow_cell_motion` (a frame pair's residual
flow per cell).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "HeadMotion",
    "cell_centres",
    "cell_means",
    "dis_flow",
    "fit_head_motion",
    "flow_cell_motion",
    "poly_basis",
    "remove_head_motion",
    "robust_poly_fit",
]


def dis_flow(preset: str = "ultrafast") -> object:
    """The one optical-flow method of the micro-expression code: a new OpenCV DIS object
    (``ultrafast`` for spotting, ``medium`` for the recognition inputs). One per thread:
    ``calc`` keeps state."""
    import cv2

    presets = {
        "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
        "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
        "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    }
    return cv2.DISOpticalFlow_create(presets[preset])


def poly_basis(points: np.ndarray, lo: np.ndarray, hi: np.ndarray, order: int) -> np.ndarray:
    """(M, P) polynomial basis at (M, 2) points ``x, y`` normalised to [-1, 1] over
    ``lo``..``hi``: 1, x, y (P = 3), then x², xy, y² (P = 6) for ``order`` 2."""
    u = (points - (lo + hi) / 2.0) / np.maximum((hi - lo) / 2.0, 1e-9)
    cols = [np.ones(len(u)), u[:, 0], u[:, 1]]
    if order >= 2:
        cols += [u[:, 0] ** 2, u[:, 0] * u[:, 1], u[:, 1] ** 2]
    return np.stack(cols, axis=1)


@dataclass
class HeadMotion:
    """A fitted head-motion field: a polynomial in the image coordinates.

    Attributes:
        coef: (P, 2) coefficients (P = 3 affine, 6 quadratic).
        lo, hi: (2,) the coordinate range the basis is normalised by, px.
        order: 1 or 2.
    """

    coef: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    order: int

    def at(self, points: np.ndarray) -> np.ndarray:
        """(M, 2) motion at (M, 2) points ``x, y`` (px)."""
        return poly_basis(points, self.lo, self.hi, self.order) @ self.coef

    def field(self, height: int, width: int) -> np.ndarray:
        """(H, W, 2) float32 motion at every pixel centre."""
        yy, xx = np.mgrid[0:height, 0:width]
        pts = np.stack([xx.ravel() + 0.5, yy.ravel() + 0.5], axis=1).astype(np.float64)
        return self.at(pts).reshape(height, width, 2).astype(np.float32)


def fit_head_motion(means: np.ndarray, centres: np.ndarray, iterations: int = 4, order: int = 2) -> HeadMotion:
    """Fit the head's motion field to cell flows, robustly (Cauchy-reweighted least
    squares) so the few cells an expression moves do not pull the fit.

    Args:
        means: (C, 2) mean flow per cell, px.
        centres: (C, 2) cell centres, px.
        iterations: reweighted least-squares passes.
        order: 1 (affine) or 2 (quadratic, the default; it also absorbs most of the
            parallax a small head rotation causes between the nose and the cheeks).

    Returns:
        The field. With too few cells for the model (C <= P) it is the median flow.
    """
    lo, hi = centres.min(axis=0), centres.max(axis=0)
    return HeadMotion(robust_poly_fit(poly_basis(centres, lo, hi, order), means, iterations), lo, hi, order)


def robust_poly_fit(a: np.ndarray, means: np.ndarray, iterations: int = 4) -> np.ndarray:
    """The Cauchy-reweighted least-squares fit of :func:`fit_head_motion` on a
    precomputed basis (for callers fitting many frames on the same cells).

    Args:
        a: (C, P) basis at the cell centres (``poly_basis``).
        means: (C, 2) mean flow per cell, px.
        iterations: reweighted least-squares passes.

    Returns:
        (P, 2) coefficients; with C <= P the median flow only.
    """
    coef = np.zeros((a.shape[1], 2))
    coef[0] = np.median(means, axis=0)
    if len(a) <= a.shape[1]:  # too few cells to tell head from expression: the mean motion only
        return coef
    w = np.ones(len(a))
    for _ in range(iterations):
        aw = a.T * w  # weighted normal equations: the basis is normalised to [-1, 1], well conditioned
        try:
            coef = np.linalg.solve(aw @ a, aw @ means)
        except np.linalg.LinAlgError:  # cells on a line: fall back to the minimum-norm solution
            sw = np.sqrt(w)[:, None]
            coef = np.linalg.lstsq(a * sw, means * sw, rcond=None)[0]
        r = np.sqrt(((means - a @ coef) ** 2).sum(axis=1))
        scale = 1.4826 * np.median(r) + 1e-6
        w = 1.0 / (1.0 + (r / (2.0 * scale)) ** 2)
    return coef


def remove_head_motion(means: np.ndarray, centres: np.ndarray, iterations: int = 4, order: int = 2) -> np.ndarray:
    """Cell flows minus the head's motion field (:func:`fit_head_motion`).

    Args:
        means: (C, 2) mean flow per cell, px.
        centres: (C, 2) cell centres, px.
        iterations: reweighted least-squares passes (Cauchy weights).
        order: 1 (affine) or 2 (quadratic).

    Returns:
        (C, 2) residual flow, px.
    """
    return means - fit_head_motion(means, centres, iterations, order).at(centres)


def cell_means(field: np.ndarray, rois: np.ndarray) -> np.ndarray:
    """Mean of a per-pixel field over each cell of a contiguous grid.

    Args:
        field: (H, W, K) per-pixel values.
        rois: (C, 4) cells ``x0, y0, x1, y1`` of a row-major grid covering ``field``
            from (0, 0) (as :func:`grid_rois` makes).

    Returns:
        (C, K) float64 cell means.
    """
    x0, y0, x1, y1 = (rois[:, i] for i in range(4))
    area = ((x1 - x0) * (y1 - y0)).astype(np.float64)[:, None]
    if field.shape[-1] <= 4:  # OpenCV's summed-area table (float64 sums), one pass in C
        import cv2

        sat = cv2.integral(np.ascontiguousarray(field, dtype=np.float64), sdepth=cv2.CV_64F)
        sat = sat.reshape(sat.shape[0], sat.shape[1], -1)
    else:
        sat = np.zeros((field.shape[0] + 1, field.shape[1] + 1, field.shape[2]))
        sat[1:, 1:] = field.astype(np.float64).cumsum(axis=0).cumsum(axis=1)
    sums = sat[y1, x1] - sat[y0, x1] - sat[y1, x0] + sat[y0, x0]
    return sums / area


def cell_centres(rois: np.ndarray) -> np.ndarray:
    """(C, 2) centres ``x, y`` of (C, 4) cells ``x0, y0, x1, y1``."""
    return np.stack([(rois[:, 0] + rois[:, 2]) / 2.0, (rois[:, 1] + rois[:, 3]) / 2.0], axis=1)


def flow_cell_motion(a: np.ndarray, b: np.ndarray, rois: np.ndarray, dis: object) -> np.ndarray:
    """Per-cell mean flow from ``a`` to ``b`` with the head's motion removed
    (:func:`remove_head_motion`).

    Args:
        a, b: (H, W) uint8 grey crops of the face box.
        rois: (C, 4) cells ``x0, y0, x1, y1`` in crop pixels (a grid from (0, 0)).
        dis: an OpenCV DIS optical-flow object.

    Returns:
        (C, 2) float32 residual flow vectors, pixels.
    """
    flow = dis.calc(a, b, None)  # type: ignore[attr-defined]
    return remove_head_motion(cell_means(flow, rois), cell_centres(rois)).astype(np.float32)
