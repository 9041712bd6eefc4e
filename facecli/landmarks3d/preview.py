"""Preview PNGs: the shaded mesh, front and profile, with its landmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["render_landmarks_preview", "save_landmarks_preview"]

_LIGHT = np.array([0.35, 0.45, 0.82]) / np.linalg.norm([0.35, 0.45, 0.82])


def _rot_y(deg: float) -> np.ndarray:
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def render_landmarks_preview(
    vertices: np.ndarray, faces: np.ndarray, landmarks: np.ndarray, *, size: int = 384, extra: np.ndarray | None = None
) -> np.ndarray:
    """Front and profile (yaw 90°) renders side by side, landmarks drawn on top.

    Args:
        vertices: (V, 3) float, mm, FaceScape frame (+Y up, +Z to the viewer).
        faces: (F, 3) int.
        landmarks: (L, 3) float, mm: green dots, hollow where hidden by the surface.
        size: pixels per view.
        extra: optional (L, 3) second set (e.g. ground truth or stage one): small red dots.

    Returns:
        (size, 2·size + 4, 3) uint8 RGB.
    """
    import cv2

    from facecli.geometry.raycast import MeshCaster
    from facecli.geometry.view import fit_view

    tiles = []
    for yaw in (0.0, 90.0):
        r = _rot_y(yaw)
        v = vertices @ r.T
        caster = MeshCaster(v, faces, manifold_check=False)
        view = fit_view(v, margin=0.04)
        nm = caster.render(view, size)
        shade = np.clip(nm.normals @ _LIGHT, 0.0, 1.0) * 0.8 + 0.15
        img = np.where(nm.mask[..., None], (shade[..., None] * np.array([235, 225, 215])), 255).astype(np.uint8)
        img = np.ascontiguousarray(img)
        for pts, colour, radius in ((extra, (220, 40, 40), 2), (landmarks, (20, 170, 60), 3)):
            if pts is None:
                continue
            p = np.asarray(pts, dtype=np.float64) @ r.T
            px = view.to_pixels(p, size)
            for (cx, cy), z in zip(px, p[:, 2]):
                col, row = int(round(cx)), int(round(cy))
                hidden = False
                if 0 <= row < size and 0 <= col < size and nm.mask[row, col]:
                    hidden = (view.z_camera - z) > nm.depth[row, col] + 2.0
                cv2.circle(img, (col, row), radius, colour, 1 if hidden else -1, lineType=cv2.LINE_AA)
        tiles.append(img)
    gap = np.full((size, 4, 3), 255, np.uint8)
    return np.concatenate([tiles[0], gap, tiles[1]], axis=1)


def save_landmarks_preview(
    path: Path, vertices: np.ndarray, faces: np.ndarray, landmarks: np.ndarray, **kw: object
) -> Path:
    """Write :func:`render_landmarks_preview` as a PNG."""
    from facecli.io.image import write_image

    return write_image(path, render_landmarks_preview(vertices, faces, landmarks, **kw))  # type: ignore[arg-type]
