"""Synthetic faces made to look like scans, for training (issue #26, item 2).

A synthetic training face is a clean mask that ends at the chin and the hairline. A scan
of a head goes on: a neck below the chin, a skull or hair above the forehead; it has
holes (eyes, nostrils, under the chin), measurement noise, and it sits at some angle in
the scanner. After :func:`facecli.geometry.facefind.face_region` cuts the face box out of
it, a network trained on masks alone sees an input it has never met and misplaces the
landmarks (on a real head scan: 6 mm lower on average, 22 mm with a shallower box).

:func:`scan_like` turns a training face into such a scan: it adds a neck and, at random,
a skull cap, turns the head a little, scales it, pokes holes and adds noise, and cuts
the face box out with random extents, so the network learns where the face is from the
face, not from where the input ends. The landmarks move with the vertices they sit on;
the added parts come after the face's own vertices, so landmark indices stay valid.

Example:
    >>> import numpy as np
    >>> import trimesh
    >>> face = trimesh.creation.icosphere(subdivisions=3, radius=80.0)
    >>> v, f = face.vertices * [1.0, 1.2, 0.8], face.faces
    >>> lm = np.array([[0.0, 0.0, 64.0]])
    >>> out = scan_like(v, f, lm, np.random.default_rng(0))
    >>> out.vertices.shape[1], out.faces.shape[1], out.landmarks.shape
    (3, 3, (1, 3))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.geometry.facefind import FACE_BOX_MM, face_region, nose_tip

__all__ = ["ScanLike", "scan_like", "elliptic_tube", "random_box", "single_view", "remeshed"]


@dataclass
class ScanLike:
    """A training face made scan-like and cut to its face box.

    Attributes:
        vertices: (V, 3) float64, mm.
        faces: (F, 3) int64.
        landmarks: (L, 3) float64, mm, moved with the face.
        parts: what was done (``neck``, ``cap``, ``holes``, ``noise``...).
    """

    vertices: np.ndarray
    faces: np.ndarray
    landmarks: np.ndarray
    parts: tuple[str, ...]


def elliptic_tube(
    center: np.ndarray,
    radii: tuple[float, float],
    y_range: tuple[float, float],
    *,
    n_around: int = 48,
    n_along: int = 24,
) -> tuple[np.ndarray, np.ndarray]:
    """A vertical open tube with an elliptic section (a neck), mm.

    Args:
        center: (3,) a point on its axis (x, z used).
        radii: half widths along x and z.
        y_range: bottom and top y.

    Returns:
        ``(vertices (n_around * n_along, 3), faces (2 * n_around * (n_along - 1), 3))``.
    """
    t = np.linspace(0.0, 2 * np.pi, n_around, endpoint=False)
    y = np.linspace(y_range[0], y_range[1], n_along)
    tt, yy = np.meshgrid(t, y)
    v = np.stack([center[0] + radii[0] * np.sin(tt), yy, center[2] + radii[1] * np.cos(tt)], axis=-1).reshape(-1, 3)
    i = np.arange(n_along - 1)[:, None] * n_around
    j = np.arange(n_around)[None, :]
    a, b = i + j, i + (j + 1) % n_around
    c, d = a + n_around, b + n_around
    f = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([b, d, c], -1).reshape(-1, 3)])
    return v, f.astype(np.int64)


def _cap(center: np.ndarray, radii: np.ndarray, y_min: float) -> tuple[np.ndarray, np.ndarray]:
    """The part of an ellipsoid above ``y_min`` (a skull, or hair on it), mm."""
    import trimesh

    s = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    v = s.vertices * radii + center
    keep = (v[s.faces][:, :, 1] >= y_min).all(axis=1)
    f = s.faces[keep]
    used = np.unique(f)
    remap = np.full(len(v), -1)
    remap[used] = np.arange(len(used))
    return v[used], remap[f].astype(np.int64)


def _rotation(rng: np.random.Generator, max_deg: tuple[float, float, float]) -> np.ndarray:
    """A rotation of at most the given pitch (x), yaw (y), roll (z) angles, degrees."""
    ax, ay, az = np.deg2rad([rng.uniform(-m, m) for m in max_deg])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def random_box(rng: np.random.Generator) -> tuple[float, float, float, float]:
    """A face box (half width, below, above, behind; mm) about the default one: scans are
    cut at other extents, and the network should not care where."""
    half, below, above, behind = FACE_BOX_MM
    return (
        half * rng.uniform(0.85, 1.1),
        below * rng.uniform(0.75, 1.2),
        above * rng.uniform(0.75, 1.1),
        behind * rng.uniform(0.6, 1.05),
    )


def scan_like(
    vertices: np.ndarray,
    faces: np.ndarray,
    landmarks: np.ndarray,
    rng: np.random.Generator,
    *,
    views: float = 0.0,
    remesh: float = 0.0,
    extra_rng: np.random.Generator | None = None,
) -> ScanLike:
    """A training face made to look like a cut-out head scan.

    Args:
        vertices: (V, 3) float, mm, FaceScape frame (+Y up, +Z to the viewer).
        faces: (F, 3) int.
        landmarks: (L, 3) float, mm, on the face.
        rng: the random stream (derive it from the seed and the mesh id).
        views: share of the scans seen from one side only (:func:`single_view`: the triangles
            a depth camera at yaw ±60°, pitch ±20° sees; what one-shot scanners give).
        remesh: share of the scans remeshed at another resolution (:func:`remeshed`: quadric
            decimation to 10-60 % of the triangles).
        extra_rng: the stream of ``views`` and ``remesh`` (kept apart so that ``rng``'s draws,
            and so the other parts, do not change when they are switched on).

    Returns:
        The scan-like face region and its landmarks.
    """
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    lm = np.asarray(landmarks, np.float64)
    tip = nose_tip(v)
    parts = ["neck"]
    bottom = float(v[:, 1].min())
    # a neck from under the chin downwards, its front behind the chin
    rx, rz = rng.uniform(48.0, 62.0), rng.uniform(42.0, 55.0)
    chin_z = float(v[v[:, 1] < bottom + 15.0, 2].max())
    centre = np.array([rng.normal(0.0, 3.0), 0.0, chin_z - rng.uniform(20.0, 40.0) - rz])
    nv, nf = elliptic_tube(centre, (rx, rz), (tip[1] - 260.0, bottom + rng.uniform(5.0, 25.0)))
    pieces_v, pieces_f = [v, nv], [f, nf + len(v)]
    n = len(v) + len(nv)
    if rng.random() < 0.6:  # a skull (or hair) above the forehead and behind it
        top = float(v[:, 1].max())
        radii = np.array([rng.uniform(72.0, 85.0), rng.uniform(85.0, 105.0), rng.uniform(95.0, 110.0)])
        c = np.array([0.0, top - radii[1] * rng.uniform(0.55, 0.8), tip[2] - 95.0 - rng.uniform(0.0, 20.0)])
        cv, cf = _cap(c, radii, top - rng.uniform(10.0, 30.0))
        pieces_v.append(cv)
        pieces_f.append(cf + n)
        n += len(cv)
        parts.append("cap")
    v = np.concatenate(pieces_v)
    f = np.concatenate(pieces_f)
    # the head in the scanner: turned a little and of another size, about the nose tip
    r = _rotation(rng, (10.0, 12.0, 6.0)) * rng.uniform(0.92, 1.08)
    v = (v - tip) @ r.T + tip
    lm = (lm - tip) @ r.T + tip
    xr = extra_rng if extra_rng is not None else np.random.default_rng(0)
    if remesh > 0 and xr.random() < remesh:
        v, f = remeshed(v, f, xr.uniform(0.1, 0.6))
        parts.append("remeshed")
    if views > 0 and xr.random() < views:
        f = single_view(v, f, xr.uniform(-60.0, 60.0), xr.uniform(-20.0, 20.0))
        parts.append("one view")
    if rng.random() < 0.5:  # measurement noise along the normals
        import trimesh

        normals = trimesh.Trimesh(v, f, process=False).vertex_normals
        v = v + normals * rng.normal(0.0, rng.uniform(0.1, 0.4), size=(len(v), 1))
        parts.append("noise")
    if rng.random() < 0.5:  # holes: where the scanner saw nothing
        centres = v[rng.integers(0, len(v), size=rng.integers(1, 4))]
        radius = rng.uniform(4.0, 12.0, size=len(centres))
        d = np.linalg.norm(v[:, None, :] - centres[None], axis=2)
        gone = (d < radius).any(axis=1)
        f = f[~gone[f].any(axis=1)]
        parts.append("holes")
    reg = face_region(v, f, box=random_box(rng))
    return ScanLike(reg.vertices, reg.faces, lm, tuple(parts))


def single_view(vertices: np.ndarray, faces: np.ndarray, yaw_deg: float, pitch_deg: float = 0.0) -> np.ndarray:
    """The triangles seen from one direction (a depth camera far away, looking at the face from
    yaw ``yaw_deg`` about +Y and pitch ``pitch_deg`` about +X, from +Z): those whose centroid is
    the first hit of a ray cast back from that direction.

    Args:
        vertices: (V, 3) float, mm. faces: (F, 3) int.

    Returns:
        (F', 3) int64, the seen triangles.
    """
    import open3d as o3d

    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(v.astype(np.float32)), o3d.core.Tensor(f.astype(np.uint32)))
    a, b = np.radians(yaw_deg), np.radians(pitch_deg)
    d = np.array([np.sin(a) * np.cos(b), np.sin(b), np.cos(a) * np.cos(b)])
    centres = v[f].mean(axis=1)
    far = 2.0 * float(np.ptp(v, axis=0).max())
    rays = np.concatenate([centres + d * far, np.tile(-d, (len(centres), 1))], axis=1).astype(np.float32)
    hit = scene.cast_rays(o3d.core.Tensor(rays))["primitive_ids"].numpy().astype(np.int64)
    seen = np.zeros(len(f), bool)
    seen[hit[hit != scene.INVALID_ID]] = True
    return f[seen]


def remeshed(vertices: np.ndarray, faces: np.ndarray, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The mesh at another resolution and topology: quadric decimation (Open3D) to ``fraction``
    of its triangles.

    Args:
        vertices: (V, 3) float, mm. faces: (F, 3) int. fraction: in (0, 1].

    Returns:
        ``(vertices (V', 3) float64, faces (F', 3) int64)``.
    """
    import open3d as o3d

    m = o3d.geometry.TriangleMesh(
        o3d.utility.Vector3dVector(np.asarray(vertices, np.float64)), o3d.utility.Vector3iVector(np.asarray(faces))
    )
    d = m.simplify_quadric_decimation(max(4, int(len(faces) * fraction)))
    return np.asarray(d.vertices, np.float64), np.asarray(d.triangles, np.int64)
