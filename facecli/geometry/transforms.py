"""Rigid transforms: rotations from Euler angles, random rotations, 4×4 matrices."""

from __future__ import annotations

import numpy as np

from facecli.validation import check_array

__all__ = ["euler_to_matrix", "random_rotation", "rigid_transform", "apply_transform", "rotation_angle_deg"]


def euler_to_matrix(yaw: float, pitch: float, roll: float, *, degrees: bool = True) -> np.ndarray:
    """Head-pose rotation in the canonical face frame (+X right, +Y up, +Z to viewer).

    Yaw turns about +Y (positive: the nose moves toward +X, the viewer's right),
    pitch about +X, roll about +Z
    (positive: counter-clockwise as seen by the viewer). Applied as R = Rz · Rx · Ry.
    With +Z toward the viewer, a positive pitch by this right-handed convention
    moves the nose tip (on +Z) toward -Y, i.e. the head looks down.

    Returns:
        (3, 3) float64 rotation matrix.
    """
    if degrees:
        yaw, pitch, roll = np.deg2rad([yaw, pitch, roll])
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A rotation drawn uniformly from SO(3) (unit quaternion from 4 normals).

    Returns:
        (3, 3) float64.
    """
    q = rng.standard_normal(4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def rigid_transform(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """Compose a (4, 4) transform from (3, 3) rotation and (3,) translation."""
    r = check_array(rotation, "(3, 3)", name="rotation")
    t = check_array(translation, "(3,)", name="translation")
    out = np.eye(4)
    out[:3, :3] = r
    out[:3, 3] = t
    return out


def apply_transform(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a (4, 4) rigid transform to (N, 3) points; returns (N, 3) float64."""
    t = check_array(transform, "(4, 4)", name="transform")
    p = check_array(points, "(N, 3)", name="points")
    return p @ t[:3, :3].T + t[:3, 3]


def rotation_angle_deg(r_est: np.ndarray, r_true: np.ndarray) -> float:
    """Angle of R̂ᵀR in degrees: arccos((tr(R̂ᵀR) − 1) / 2), clipped to [0, 180]."""
    a = check_array(r_est, "(3, 3)", name="rotation")
    b = check_array(r_true, "(3, 3)", name="rotation")
    c = (np.trace(a.T @ b) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))
