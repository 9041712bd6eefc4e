"""Head yaw from five face points (for splitting pairs by pose).

A perspective-n-point fit of a rigid 3D face to the five points (eye centres, nose tip,
mouth corners). The 3D face is the synthetic mean face's five points
(:data:`FIVE_POINTS_3D`, checked against :mod:`facecli.synth` by a test). Five points fix
the yaw well enough to tell a profile (|yaw| > 45°) from a frontal view; they are no
head-pose estimator.

Example:
    >>> import numpy as np
    >>> from facecli.geometry.transforms import euler_to_matrix
    >>> pts = project_five(euler_to_matrix(30.0, 0.0, 0.0), focal=500.0, distance=600.0)
    >>> round(yaw_from_five(pts, focal=500.0), 1)
    30.0
"""

from __future__ import annotations

import numpy as np

from facecli.validation import check_array

__all__ = ["FIVE_POINTS_3D", "project_five", "yaw_from_five"]

#: (5, 3) mm, the synthetic mean face's eye centres, nose tip and mouth corners (MTFL
#: order; x to the image's right, y up, z towards the camera).
FIVE_POINTS_3D = np.array(
    [[-30.54, 1.14, 84.35], [30.54, 1.14, 84.35], [0.0, -31.25, 115.5], [-25.84, -64.0, 91.64], [25.84, -64.0, 91.64]]
)


def project_five(rotation: np.ndarray, *, focal: float, distance: float) -> np.ndarray:
    """The five points of the 3D face turned by ``rotation`` and seen from ``distance`` mm.

    Args:
        rotation: (3, 3) head rotation (``euler_to_matrix``: yaw about the vertical axis).
        focal: focal length, px. distance: camera to the face's centre, mm.

    Returns:
        (5, 2) float64 pixels, principal point at the origin, y down.
    """
    r = check_array(rotation, "(3, 3)", name="rotation").astype(np.float64)
    centre = FIVE_POINTS_3D.mean(axis=0)
    p = (FIVE_POINTS_3D - centre) @ r.T
    z = distance - p[:, 2]
    return np.stack([focal * p[:, 0] / z, -focal * p[:, 1] / z], axis=1)


def yaw_from_five(points: np.ndarray, *, focal: float | None = None) -> float:
    """The yaw, in degrees, that best explains five face points.

    Args:
        points: (5, 2) x, y pixels, MTFL order.
        focal: focal length in pixels (None: 4 × the points' spread, a long lens; the
            yaw barely depends on it).

    Returns:
        Yaw in degrees (the sign as in :func:`facecli.geometry.transforms.euler_to_matrix`).
    """
    import cv2

    p = check_array(points, "(5, 2)", name="five points").astype(np.float64)
    centre = p.mean(axis=0)
    f = float(focal) if focal is not None else 4.0 * max(float(np.ptp(p, axis=0).max()), 1.0)
    k = np.array([[f, 0.0, 0.0], [0.0, f, 0.0], [0.0, 0.0, 1.0]])
    obj = (FIVE_POINTS_3D - FIVE_POINTS_3D.mean(axis=0)) * np.array([1.0, -1.0, -1.0])  # to OpenCV's camera frame
    ok, rvec, _ = cv2.solvePnP(obj, (p - centre).reshape(-1, 1, 2), k, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        return float("nan")
    r_cv, _ = cv2.Rodrigues(rvec)
    flip = np.diag([1.0, -1.0, -1.0])
    r = flip @ r_cv @ flip  # back to x right, y up, z towards the camera
    return float(np.degrees(np.arctan2(r[0, 2], r[2, 2])))
