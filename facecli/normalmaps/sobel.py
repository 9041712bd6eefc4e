"""The source system's image-to-normal method, as a baseline: grey levels treated as a
height field, Sobel gradients as slopes.

The published MNI-GAIR code returns ``(-gx, -gy, 1)`` without normalising it (its
normals are not unit length); here the result is normalised, and the image y axis
(down) is turned into the view frame's +y (up).
"""

from __future__ import annotations

import numpy as np

from facecli.validation import check_array

__all__ = ["sobel_normals"]


def sobel_normals(image: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Unit normals of the height field ``h = strength * grey``.

    Args:
        image: (H, W, 3) uint8 RGB or (H, W) uint8 grey.
        strength: height scale (slopes are ``strength`` x the Sobel response of grey in [0, 1]).

    Returns:
        (H, W, 3) float32 unit normals, view frame (+x right, +y up, +z to the camera).
    """
    import cv2

    img = check_array(image, "(H, W, 3)" if np.ndim(image) == 3 else "(H, W)", name="image", dtype_kind="u")
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
    g = grey.astype(np.float32) / 255.0
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    n = np.stack([-strength * gx, strength * gy, np.ones_like(g)], axis=-1)
    return (n / np.linalg.norm(n, axis=-1, keepdims=True)).astype(np.float32)
