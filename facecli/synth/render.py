"""Ray-cast rendering of a synthetic face with Open3D's ``RaycastingScene``.

The camera sits on the +Z axis of the world (the canonical face frame after the head
pose is applied) and looks toward -Z: image x to the right, image y down. Normal maps
are returned in the *view frame* (+x right, +y up, +z toward the camera), depth as
the distance along the optical axis in mm. Pixel (i, j) has its centre at continuous
image coordinates (j, i): landmarks are projected with the same convention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facecli.geometry.mesh_ops import vertex_normals
from facecli.validation import check_array

__all__ = ["Camera", "Light", "Occluder", "RenderResult", "render_face", "project_points"]


@dataclass
class Camera:
    """A pinhole camera on the +Z axis looking at the origin.

    Attributes:
        width, height: image size in pixels.
        focal: focal length in pixels.
        distance: camera centre's Z in mm (the head centre is near the origin).
        cx, cy: principal point (continuous coordinates; default: image centre).
    """

    width: int
    height: int
    focal: float
    distance: float = 600.0
    cx: float | None = None
    cy: float | None = None

    @property
    def principal(self) -> tuple[float, float]:
        return (self.width / 2.0 if self.cx is None else self.cx, self.height / 2.0 if self.cy is None else self.cy)

    def intrinsics(self) -> np.ndarray:
        """(3, 3) K in the pixel-centre convention (centre of pixel j at x = j)."""
        cx, cy = self.principal
        return np.array([[self.focal, 0, cx - 0.5], [0, self.focal, cy - 0.5], [0, 0, 1.0]])


@dataclass
class Light:
    """Lambertian + ambient + Blinn-Phong specular light in the view frame."""

    direction: Sequence[float] = (0.3, 0.4, 1.0)
    color: Sequence[float] = (1.0, 1.0, 1.0)
    ambient: float = 0.35
    diffuse: float = 0.75
    specular: float = 0.15
    shininess: float = 24.0


@dataclass
class Occluder:
    """An extra object in front of the face (glasses bar, hand, block).

    Attributes:
        vertices: (V, 3) float, mm, already in world (posed) coordinates.
        faces: (F, 3) int.
        color: linear RGB albedo.
        kind: a name for the record.
    """

    vertices: np.ndarray
    faces: np.ndarray
    color: Sequence[float] = (0.2, 0.2, 0.2)
    kind: str = "block"


@dataclass
class RenderResult:
    """What one render produced.

    Attributes:
        image: (H, W, 3) uint8 sRGB.
        depth: (H, W) float32 mm along the optical axis; 0 off the face.
        normals: (H, W, 3) float32 unit normals of the face in the view frame; 0 off it.
        mask: (H, W) bool, pixels showing the face (not background, not occluder).
        landmarks: (K, 2) float32 image coordinates (x, y) of the requested vertices.
        visible: (K,) bool, landmark seen by the camera (not self-occluded, not behind
            an occluder, inside the image).
        occluded: (K,) bool, landmark hidden by an occluder.
    """

    image: np.ndarray
    depth: np.ndarray
    normals: np.ndarray
    mask: np.ndarray
    landmarks: np.ndarray
    visible: np.ndarray
    occluded: np.ndarray
    extras: dict[str, Any] = field(default_factory=dict)


def project_points(points: np.ndarray, camera: Camera) -> np.ndarray:
    """Project world points (N, 3) mm to image coordinates (N, 2) px (x right, y down)."""
    p = check_array(points, "(N, 3)", name="points")
    cx, cy = camera.principal
    zc = camera.distance - p[:, 2]
    u = cx + camera.focal * p[:, 0] / zc - 0.5
    v = cy - camera.focal * p[:, 1] / zc - 0.5
    return np.stack([u, v], axis=1)


def _o3d():
    import open3d as o3d

    return o3d


def _tmesh(vertices: np.ndarray, faces: np.ndarray):
    o3d = _o3d()
    m = o3d.t.geometry.TriangleMesh()
    m.vertex.positions = o3d.core.Tensor(np.ascontiguousarray(vertices, dtype=np.float32))
    m.triangle.indices = o3d.core.Tensor(np.ascontiguousarray(faces, dtype=np.int32))
    return m


def _camera_rays(camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """One ray through every pixel centre, row by row.

    Returns:
        dirs: (H * W, 3) float64 unit directions. origin: (3,) the camera centre in mm.
    """
    h, w = camera.height, camera.width
    cx, cy = camera.principal
    jj, ii = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    dirs = np.stack([(jj - cx) / camera.focal, -(ii - cy) / camera.focal, -np.ones_like(jj)], axis=-1).reshape(-1, 3)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    return dirs, np.array([0.0, 0.0, camera.distance])


def _shade(normals: np.ndarray, colour: np.ndarray, dirs: np.ndarray, light: Light) -> np.ndarray:
    """Blinn-Phong shading of every pixel.

    Args:
        normals: (N, 3) float unit normals (zero where nothing was hit).
        colour: (N, 3) float linear albedo. dirs: (N, 3) float unit view rays.

    Returns:
        (N, 3) float linear RGB.
    """
    ldir = np.asarray(light.direction, dtype=np.float64)
    ldir = ldir / np.linalg.norm(ldir)
    lam = np.clip(normals @ ldir, 0.0, None)
    half = ldir[None, :] - dirs
    half /= np.maximum(np.linalg.norm(half, axis=1, keepdims=True), 1e-12)
    spec = np.clip(np.sum(normals * half, axis=1), 0.0, None) ** light.shininess * (lam > 0)
    lc = np.asarray(light.color, dtype=np.float64)[None, :]
    return colour * (light.ambient + light.diffuse * lam[:, None]) * lc + light.specular * spec[:, None] * lc


def _project_landmarks(
    scene: Any, face_id: int, points: np.ndarray, camera: Camera, origin: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Project 3D landmarks and test them against the scene.

    Args:
        scene: the Open3D raycasting scene. face_id: the face mesh's geometry id in it.
        points: (K, 3) float landmark positions in mm. origin: (3,) the camera centre.

    Returns:
        (K, 2) float pixel positions; (K,) bool visible (in the image, nothing in front);
        (K,) bool occluded (something other than the face in front).
    """
    h, w = camera.height, camera.width
    if not len(points):
        return np.zeros((0, 2)), np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    o3d = _o3d()
    lm2 = project_points(points, camera)
    d = points - origin
    dist = np.linalg.norm(d, axis=1)
    lrays = np.concatenate([np.broadcast_to(origin, d.shape), d / dist[:, None]], axis=1).astype(np.float32)
    la = scene.cast_rays(o3d.core.Tensor(lrays))
    lt = la["t_hit"].numpy()
    lg = la["geometry_ids"].numpy().astype(np.int64)
    blocked = np.isfinite(lt) & (lt < dist - 1.5)
    occluded = blocked & (lg != face_id)
    inside = (lm2[:, 0] >= 0) & (lm2[:, 0] <= w - 1) & (lm2[:, 1] >= 0) & (lm2[:, 1] <= h - 1)
    return lm2, ~blocked & inside, occluded


def _surface(
    hits: Mapping[str, Any],
    dirs: np.ndarray,
    v: np.ndarray,
    f: np.ndarray,
    uvt: np.ndarray,
    albedo: Mapping[str, Any],
    face_id: int,
    occluders: Mapping[int, Occluder],
) -> tuple[np.ndarray, np.ndarray]:
    """Normal and albedo of the surface every ray hit.

    Args:
        hits: Open3D's ``cast_rays`` answer for N rays. dirs: (N, 3) float unit rays.
        v: (V, 3) float face vertices, mm. f: (F, 3) int triangles. uvt: (V, 2) float
        template coordinates. face_id: the face's geometry id; occluders: the others'.

    Returns:
        (N, 3) float unit normals (smooth on the face, flat and facing the camera on
        occluders) and (N, 3) float linear albedo; zero where nothing was hit.
    """
    from facecli.synth.albedo import evaluate_albedo

    hit = np.isfinite(hits["t_hit"].numpy())
    gid = hits["geometry_ids"].numpy().astype(np.int64)
    normals = np.zeros((len(dirs), 3))
    colour = np.zeros((len(dirs), 3))
    on_face = hit & (gid == face_id)
    if on_face.any():
        tri = f[hits["primitive_ids"].numpy().astype(np.int64)[on_face]]
        bary = hits["primitive_uvs"].numpy().astype(np.float64)
        b1, b2 = bary[on_face, 0], bary[on_face, 1]
        b0 = 1.0 - b1 - b2
        vn = vertex_normals(v, f)
        n = b0[:, None] * vn[tri[:, 0]] + b1[:, None] * vn[tri[:, 1]] + b2[:, None] * vn[tri[:, 2]]
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        normals[on_face] = n
        xy = b0[:, None] * uvt[tri[:, 0]] + b1[:, None] * uvt[tri[:, 1]] + b2[:, None] * uvt[tri[:, 2]]
        colour[on_face] = evaluate_albedo(albedo, xy[:, 0], xy[:, 1])
    pnorm = hits["primitive_normals"].numpy().astype(np.float64)
    for oid, occ in occluders.items():
        sel = hit & (gid == oid)
        pn = pnorm[sel]
        pn = np.where((np.sum(pn * dirs[sel], axis=1) > 0)[:, None], -pn, pn)
        normals[sel] = pn
        colour[sel] = np.asarray(occ.color, dtype=np.float64)
    return normals, colour


def render_face(
    vertices: np.ndarray,
    faces: np.ndarray,
    template_xy: np.ndarray,
    albedo: Mapping[str, Any],
    camera: Camera,
    *,
    light: Light | None = None,
    occluders: Sequence[Occluder] = (),
    background: np.ndarray | None = None,
    landmark_index: np.ndarray | None = None,
    outline: np.ndarray | None = None,
) -> RenderResult:
    """Render a posed face mesh.

    Args:
        vertices: (V, 3) float world coordinates in mm (pose already applied).
        faces: (F, 3) int triangles.
        template_xy: (V, 2) float template coordinates, interpolated per pixel for the
            albedo (:func:`facecli.synth.albedo.evaluate_albedo`).
        albedo: the person's colour parameters.
        camera: the camera.
        light: the light (default: frontal-ish white light).
        occluders: extra geometry in front of the face.
        background: (H, W, 3) float linear RGB in [0, 1]; grey if ``None``.
        landmark_index: (K,) vertex indices to project and test for visibility.
        outline: (K,) bool, landmarks on the face outline as seen (marched to the
            silhouette): visible unless outside the image or behind an occluder, since a
            ray that grazes the silhouette meets the surface about it.

    Returns:
        The :class:`RenderResult`.
    """
    o3d = _o3d()
    v = check_array(vertices, "(V, 3)", name="vertices").astype(np.float64)
    f = check_array(faces, "(F, 3)", name="faces", dtype_kind="iu")
    uvt = check_array(template_xy, "(V, 2)", name="template coordinates")
    light = light or Light()
    h, w = camera.height, camera.width
    scene = o3d.t.geometry.RaycastingScene()
    face_id = scene.add_triangles(_tmesh(v, f))
    occ_ids: dict[int, Occluder] = {}
    for occ in occluders:
        occ_ids[scene.add_triangles(_tmesh(occ.vertices, occ.faces))] = occ
    dirs, origin = _camera_rays(camera)
    rays = np.concatenate([np.broadcast_to(origin, dirs.shape), dirs], axis=1).astype(np.float32)
    hits = scene.cast_rays(o3d.core.Tensor(rays))
    t_hit = hits["t_hit"].numpy()
    hit = np.isfinite(t_hit)
    on_face = hit & (hits["geometry_ids"].numpy().astype(np.int64) == face_id)
    normals, colour = _surface(hits, dirs, v, f, uvt, albedo, face_id, occ_ids)
    n_pix = h * w
    shaded = _shade(normals, colour, dirs, light)
    if background is None:
        bg = np.full((n_pix, 3), 0.5)
    else:
        bg = check_array(background, f"({h}, {w}, 3)", name="background").reshape(-1, 3)
    linear = np.where(hit[:, None], shaded, bg)
    image = (np.clip(linear, 0.0, 1.0) ** (1.0 / 2.2) * 255.0 + 0.5).astype(np.uint8).reshape(h, w, 3)
    depth = np.where(on_face, t_hit * (-dirs[:, 2]), 0.0).astype(np.float32).reshape(h, w)
    normal_map = np.where(on_face[:, None], normals, 0.0).astype(np.float32).reshape(h, w, 3)

    if landmark_index is None:
        landmark_index = np.zeros(0, dtype=np.int64)
    lm2, visible, occluded = _project_landmarks(scene, face_id, v[landmark_index], camera, origin)
    if outline is not None and len(lm2):
        h, w = camera.height, camera.width
        inside = (lm2[:, 0] >= 0) & (lm2[:, 0] <= w - 1) & (lm2[:, 1] >= 0) & (lm2[:, 1] <= h - 1)
        visible = np.where(np.asarray(outline, bool), inside & ~occluded, visible)
    return RenderResult(
        image=image,
        depth=depth,
        normals=normal_map,
        mask=on_face.reshape(h, w),
        landmarks=lm2.astype(np.float32),
        visible=visible,
        occluded=occluded,
    )
