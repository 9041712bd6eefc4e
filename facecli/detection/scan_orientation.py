"""Which way the face on a 3D scan looks, found by detecting the face in renders of it.

Everything that reads face meshes assumes FaceScape's frame: +Y up, +Z towards the
viewer. Scanners do not all write it: some put +Z up, some turn the head in the scanner,
some write the face looking along an arbitrary axis. A model trained in the canonical frame
then places landmarks 60-200 mm off (measured on the real FLAME head scan turned 45° in
yaw, 30° in pitch, or stood on +Z).

:func:`find_face_orientation` renders the mesh (shaded, orthographic) and runs the face
detector (:class:`facecli.detection.predictor.FaceDetector`, MTCNN) on the render:

1. the view as given first: a face found upright there, whose five points say it is
   turned less than ``keep_deg`` from the canonical pose, leaves the mesh as it is (the
   common case costs one render and one detection);
2. otherwise views from ``directions`` directions spread over the sphere (from +Z on), each
   image also turned in 45° steps, are searched for a face whose five points have a face's
   shape and look towards that view, until one is seen nearly head-on;
3. the detector's five points (eye centres, nose tip, mouth corners) are lifted onto the
   surface with the render's depth, and the rotation that best maps
   :data:`TEMPLATE_FIVE_MM` onto them (Kabsch, with scale) is the face's orientation;
   the face is then looked at once more head-on and upright, where the detector places
   its points best, and the rotation is fitted again to those.

The rotation's accuracy is that of five points placed on a grey render (a few degrees),
which is inside the turns the 3D models are trained with (±10-12°).

Example:
    >>> import numpy as np
    >>> r = rotation_between(TEMPLATE_FIVE_MM, TEMPLATE_FIVE_MM)
    >>> bool(np.allclose(r, np.eye(3)))
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facecli.validation import check_array

__all__ = ["TEMPLATE_FIVE_MM", "ScanOrientation", "find_face_orientation", "rotation_between", "sphere_directions"]

#: The five points of the mean synthetic training face (FaceScape frame, mm, relative to the
#: nose tip): the eye centres (image left, image right), the nose tip, the mouth corners
#: (image left, image right): the detector's keypoint order.
TEMPLATE_FIVE_MM = np.array(
    [
        [-30.6, 31.3, -30.1],
        [30.3, 31.5, -30.2],
        [0.0, 0.1, 0.5],
        [-26.2, -33.6, -23.6],
        [26.3, -33.5, -23.6],
    ]
)


@dataclass
class ScanOrientation:
    """The face's orientation on a mesh.

    Attributes:
        rotation: (3, 3) float64 from the mesh's frame to the canonical one
            (``canonical = (v - pivot) @ rotation.T + pivot``); the identity when ``turned``
            is False.
        pivot: (3,) float64 mm, the point the rotation turns about (the nose tip found).
        angle: degrees between the face's pose as given and the canonical pose (NaN when no
            face was found).
        score: the detector's face score in the view that was used (0: no face found).
        keypoints: (5, 3) float64 mm, the five points on the surface in the mesh's frame
            (NaN when no face was found).
        turned: whether the mesh has to be turned (``angle`` above ``keep_deg``).
        views: how many images were searched.
    """

    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    pivot: np.ndarray = field(default_factory=lambda: np.zeros(3))
    angle: float = float("nan")
    score: float = 0.0
    keypoints: np.ndarray = field(default_factory=lambda: np.full((5, 3), np.nan))
    turned: bool = False
    views: int = 0

    @property
    def found(self) -> bool:
        """Whether a face was found in any render."""
        return self.score > 0

    def to_canonical(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) mm points of the mesh's frame in the canonical frame."""
        return (np.asarray(points, np.float64) - self.pivot) @ self.rotation.T + self.pivot

    def from_canonical(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) mm canonical points back in the mesh's frame."""
        return (np.asarray(points, np.float64) - self.pivot) @ self.rotation + self.pivot


def rotation_between(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation R that best maps ``source`` onto ``target`` after centring and scaling
    (Kabsch / Umeyama, no reflection): ``target ≈ s · (source - ms) @ R.T + mt``.

    Args:
        source: (N, 3) float. target: (N, 3) float, N >= 3, not collinear.

    Returns:
        (3, 3) float64 proper rotation.
    """
    a = np.asarray(source, np.float64)
    b = np.asarray(target, np.float64)
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    return u @ np.diag([1.0, 1.0, d]) @ vt


def sphere_directions(n: int) -> np.ndarray:
    """(n, 3) unit vectors spread evenly over the sphere (a Fibonacci lattice), +Z first."""
    i = np.arange(n, dtype=np.float64) + 0.5
    z = 1.0 - 2.0 * i / n
    phi = np.pi * (3.0 - np.sqrt(5.0)) * i
    r = np.sqrt(np.clip(1.0 - z * z, 0.0, None))
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def _look_along(d: np.ndarray) -> np.ndarray:
    """A rotation taking unit vector ``d`` to +Z (the camera looks along -Z)."""
    d = d / np.linalg.norm(d)
    helper = np.array([0.0, 1.0, 0.0]) if abs(d[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = np.cross(helper, d)
    x /= np.linalg.norm(x)
    y = np.cross(d, x)
    return np.stack([x, y, d])


def _angle_deg(r: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1.0) / 2.0, -1.0, 1.0))))


class _Renderer:
    """Shaded orthographic renders of one mesh from any direction (lit from the camera)."""

    def __init__(self, vertices: np.ndarray, size: int, caster: Any) -> None:
        self.v = vertices
        self.size = size
        self.caster = caster

    def render(self, turn: np.ndarray):
        """The mesh turned by ``turn`` ((3, 3), mesh frame -> camera frame): (S, S, 3) uint8
        grey image, its :class:`~facecli.geometry.raycast.NormalMap`, its view."""
        from facecli.geometry.view import fit_view

        view = fit_view(self.v @ turn.T, margin=0.2)
        nm = _cast_turned(self.caster, view, self.size, turn)
        shade = np.clip(nm.normals[..., 2], 0.0, 1.0) * 0.8 + 0.15
        grey = np.where(nm.mask, shade * 230.0, 255.0).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2), nm, view


def _cast_turned(caster, view, size: int, turn: np.ndarray):
    """:meth:`MeshCaster.render` of the mesh turned by ``turn``, without rebuilding its BVH:
    the rays are turned back into the mesh's frame instead."""
    import open3d as o3d

    from facecli.geometry.raycast import NormalMap

    xy = view.pixel_centres(size)
    origins = np.zeros((len(xy), 3))
    origins[:, :2] = xy
    origins[:, 2] = view.z_camera
    rays = np.zeros((len(xy), 6), np.float32)
    rays[:, :3] = origins @ turn  # turned frame -> mesh frame (turn is orthonormal)
    rays[:, 3:] = np.array([0.0, 0.0, -1.0]) @ turn
    ans = caster._scene.cast_rays(o3d.core.Tensor(rays))
    t = ans["t_hit"].numpy()
    hit = np.isfinite(t)
    normals = np.zeros((len(xy), 3), np.float32)
    if hit.any():
        geo = ans["primitive_normals"].numpy()[hit].astype(np.float64) @ turn.T
        geo *= np.where(geo[:, 2] < 0, -1.0, 1.0)[:, None]
        normals[hit] = geo
    depth = np.where(hit, t, 0.0).astype(np.float32)
    return NormalMap(normals.reshape(size, size, 3), depth.reshape(size, size), hit.reshape(size, size))


def _lift(points_px: np.ndarray, nm, view, size: int) -> np.ndarray:
    """(5, 2) pixel keypoints onto the rendered surface: (5, 3) mm in the turned frame."""
    step = view.width / size
    out = np.zeros((len(points_px), 3))
    rows, cols = np.nonzero(nm.mask)
    for i, (cx, cy) in enumerate(points_px):
        c = int(np.clip(round(cx), 0, size - 1))
        r = int(np.clip(round(cy), 0, size - 1))
        if not nm.mask[r, c] and len(rows):  # the nearest pixel that sees the surface
            j = int(np.argmin((rows - r) ** 2 + (cols - c) ** 2))
            r, c = int(rows[j]), int(cols[j])
        out[i] = (
            view.centre_x - view.width / 2 + (cx + 0.5) * step,
            view.centre_y + view.width / 2 - (cy + 0.5) * step,
            view.z_camera - float(nm.depth[r, c]),
        )
    return out


def _fit(pts: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The template fitted to five lifted points: rotation (canonical -> mesh), scale, RMS mm."""
    r = rotation_between(TEMPLATE_FIVE_MM, pts)
    a = (TEMPLATE_FIVE_MM - TEMPLATE_FIVE_MM.mean(axis=0)) @ r.T
    b = pts - pts.mean(axis=0)
    scale = float(np.sum(a * b) / np.sum(a * a))
    rms = float(np.sqrt(np.mean(np.sum((scale * a - b) ** 2, axis=1))))
    return r, scale, rms


@dataclass
class _Candidate:
    score: float
    points: np.ndarray
    rotation: np.ndarray
    rms: float
    facing: float


def find_face_orientation(
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    keep_deg: float = 15.0,
    min_score: float = 0.8,
    max_rms: float = 10.0,
    directions: int = 48,
    size: int = 160,
    source: str = "",
) -> ScanOrientation:
    """Find which way the face on a mesh looks (see the module's description).

    A detection counts only if its five points, lifted onto the surface, have the shape of a
    face: the mean face's five points fit them within ``max_rms`` mm (after rotation and
    scale; a face fits within 3-8 mm, a "face" found in the hair or on the back of the
    head 24 mm or more, its points all on one curved surface), at a plausible scale
    (0.6-1.6), looking towards the view (within 55°). The detections that agree (within 20°)
    with the best-fitting one are pooled: their points' median gives the rotation.

    Args:
        vertices: (V, 3) float, mm.
        faces: (F, 3) int.
        keep_deg: a face posed within this angle of the canonical pose is left as it is.
        min_score: the detector's score a face needs.
        max_rms: the fit a face needs, mm.
        directions: view directions searched when the view as given shows no upright face.
        size: render size, pixels.
        source: file name for error messages.

    Returns:
        The :class:`ScanOrientation` (``found`` False when no render shows a face: the caller
        keeps the mesh as given).
    """
    import cv2

    from facecli.detection.predictor import DetectorConfig, FaceDetector

    v = check_array(vertices, "(N, 3)", name="vertices", source=source or None, min_len=3).astype(np.float64)
    f = np.asarray(faces, np.int64)
    # renders are easier than photos and a false face is caught by its shape: a lenient cascade
    found: list[_Candidate] = []
    views = 0

    def search(turn: np.ndarray, rolls: tuple[float, ...], size: int) -> None:
        nonlocal views
        det = FaceDetector(DetectorConfig(min_face=max(12.0, size / 8), thresholds=(0.4, 0.5, 0.7)))
        centre = (size - 1) / 2.0
        img, nm, view = _Renderer(v, size, caster).render(turn)
        for roll in rolls:
            views += 1
            m = cv2.getRotationMatrix2D((centre, centre), roll, 1.0)
            im = img if roll == 0 else cv2.warpAffine(img, m, (size, size), borderValue=(255, 255, 255))
            hits = det.detect(im)
            for score, kp in zip(hits.scores, hits.keypoints):
                if score < min_score:
                    continue
                kp = kp.astype(np.float64)
                if roll != 0:  # back to the unrolled render's pixels
                    kp = (kp - m[:, 2]) @ np.linalg.inv(m[:, :2]).T
                pts = _lift(kp, nm, view, size) @ turn  # camera frame -> mesh frame
                r, scale, rms = _fit(pts)
                facing = float((r @ np.array([0.0, 0.0, 1.0])) @ turn[2])
                if rms <= max_rms and 0.6 <= scale <= 1.6 and facing >= np.cos(np.radians(55.0)):
                    found.append(_Candidate(float(score), pts, r, rms, facing))

    from facecli.geometry.raycast import MeshCaster

    caster = MeshCaster(v, f, manifold_check=False)
    # the view as given, at three sizes (the cascade's pyramid misses a face at one size and
    # finds it at the next, more so on clean synthetic masks)
    sizes = (size, round(size * 0.8), round(size * 1.2))
    for s in sizes:
        search(np.eye(3), (0.0,), s)
        if found:
            break
    if found:
        best = min(found, key=lambda c: c.rms)
        if _angle_deg(best.rotation) <= keep_deg:
            return ScanOrientation(
                pivot=best.points[2].copy(),
                angle=_angle_deg(best.rotation),
                score=best.score,
                keypoints=best.points,
                views=views,
            )
    for d in sphere_directions(directions):
        search(_look_along(d), (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0), size)
        # a clear face seen nearly head-on ends the search (the directions start at +Z, the
        # pose as given)
        if any(c.rms <= 0.7 * max_rms and c.facing >= np.cos(np.radians(25.0)) for c in found):
            break
    if not found:
        return ScanOrientation(views=views)
    best = min(found, key=lambda c: c.rms)
    pool = [c for c in found if _angle_deg(c.rotation.T @ best.rotation) <= 20.0]
    pts = np.median(np.stack([c.points for c in pool]), axis=0)
    r = rotation_between(TEMPLATE_FIVE_MM, pts)
    # once more, looking at the face head-on and upright: the five points are placed best there
    seen = len(found)
    for s in sizes:
        search(r.T, (0.0,), s)
        if len(found) > seen:
            pts = min(found[seen:], key=lambda c: c.rms).points
            r = rotation_between(TEMPLATE_FIVE_MM, pts)
            break
    angle = _angle_deg(r)
    turned = angle > keep_deg
    return ScanOrientation(
        rotation=r.T if turned else np.eye(3),
        pivot=pts[2].copy(),
        angle=angle,
        score=max(c.score for c in pool),
        keypoints=pts,
        turned=turned,
        views=views,
    )
