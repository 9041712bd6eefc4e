"""From a face mesh to the network's input, and FaceScape-layout training data.

Preparation of one mesh: crop to the face (FaceScape frame: drop triangles with a
vertex behind ``crop_z``), sample points uniformly by area with interpolated vertex
normals, and normalise, in one of two frames (the model file says which):

- ``extent`` (the source system's, PyG's ``NormalizeScale``): centre on the sample's
  centroid and scale so the largest centred coordinate is 1. What else lies in the input
  (a neck, hair, how far the crop reaches) moves and shrinks the face in this frame.
- ``nose``: centre on the nose tip (:func:`facecli.geometry.facefind.nose_tip`) and scale
  by a fixed :data:`NOSE_FRAME_MM` (a face in millimetres keeps its size), so the face
  sits at the same place whatever surrounds it.

The heatmap σ is in these units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.io.facescape import FaceScapeScan, read_facescape, read_landmark_indices
from facecli.io.mesh import Mesh, read_mesh
from facecli.seeding import rng_for
from facecli.validation import check_face_millimetres

__all__ = [
    "DEFAULT_CROP_Z",
    "FRAMES",
    "NOSE_FRAME_MM",
    "LandmarkSet",
    "PreparedMesh",
    "crop_faces",
    "load_landmark_set",
    "prepare_many",
    "prepare_mesh",
]

#: FaceScape TU models include the back of the head; the source system keeps z >= -75 mm.
DEFAULT_CROP_Z = -75.0
#: Input frames: ``extent`` (centroid, largest coordinate = 1) or ``nose`` (nose tip, fixed scale).
FRAMES = ("extent", "nose")
#: Millimetres per normalised unit in the ``nose`` frame (about a face's half height).
NOSE_FRAME_MM = 100.0


@dataclass
class PreparedMesh:
    """One mesh ready for the network.

    Attributes:
        points: (N, 3) float32 normalised sample points.
        normals: (N, 3) float32 unit normals at them.
        center: (3,) float64 centroid subtracted (mm).
        scale: float, normalised units per mm (multiply mm offsets by it).
        neighbours: (N, k) int64 local kNN graph, or None before it is built.
    """

    points: np.ndarray
    normals: np.ndarray
    center: np.ndarray
    scale: float
    neighbours: np.ndarray | None = None

    def features(self) -> np.ndarray:
        """(N, 6) float32 xyz + normal."""
        return np.concatenate([self.points, self.normals], axis=1).astype(np.float32)

    def to_mm(self, normalised: np.ndarray) -> np.ndarray:
        """Normalised (…, 3) coordinates back to millimetres."""
        return np.asarray(normalised, dtype=np.float64) / self.scale + self.center

    def to_normalised(self, mm: np.ndarray) -> np.ndarray:
        """(…, 3) millimetres to normalised coordinates."""
        return (np.asarray(mm, dtype=np.float64) - self.center) * self.scale


def crop_faces(mesh: Mesh, crop_z: float | None) -> np.ndarray:
    """(F', 3) the triangles with all three vertices at z >= ``crop_z`` (all if None)."""
    if crop_z is None:
        return mesh.faces
    keep = (mesh.vertices[:, 2] >= crop_z)[mesh.faces].all(axis=1)
    if not keep.any():
        raise FormatError(
            f"{mesh.source or 'mesh'}: no triangle left in front of z = {crop_z} mm "
            f"(z spans {mesh.vertices[:, 2].min():.1f}..{mesh.vertices[:, 2].max():.1f}); "
            "is it in millimetres, +Z towards the viewer? (--crop-z none disables the crop)"
        )
    return mesh.faces[keep]


def prepare_mesh(
    mesh: Mesh,
    n_points: int,
    rng: np.random.Generator,
    *,
    k: int | None = 32,
    crop_z: float | None = DEFAULT_CROP_Z,
    frame: str = "extent",
    near: np.ndarray | None = None,
) -> PreparedMesh:
    """Sample, normalise and (if ``k``) build the kNN graph of one mesh.

    Args:
        mesh: a triangle mesh in millimetres, FaceScape's frame (+Y up, +Z to the viewer).
        n_points: points to sample.
        rng: the random stream (derive it from the seed and the mesh id).
        k: neighbours of the local graph (None: leave ``neighbours`` unset).
        crop_z: drop triangles behind this z (mm); None keeps all.
        frame: ``extent`` or ``nose`` (see the module's text).
        near: (3,) mm, a rough nose position for the nose frame's origin
            (:func:`facecli.geometry.facefind.nose_tip`).

    Returns:
        The prepared mesh.
    """
    from facecli.geometry.sampling import sample_surface
    from facecli.landmarks3d.graph import knn_neighbours

    if mesh.is_point_cloud:
        raise FormatError(f"{mesh.source or 'input'}: expected a triangle mesh, got a point cloud (no faces)")
    check_face_millimetres(mesh.vertices, mesh.source or "mesh")
    faces = crop_faces(mesh, crop_z)
    s = sample_surface(mesh.vertices, faces, n_points, rng, vertex_normals=mesh.vertex_normals())
    if frame not in FRAMES:
        raise ValueError(f"expected a frame in {FRAMES}, got {frame!r}")
    if frame == "nose":
        from facecli.geometry.facefind import nose_tip

        center, scale = nose_tip(mesh.vertices[np.unique(faces)], near=near), 1.0 / NOSE_FRAME_MM
    else:
        center = s.points.mean(axis=0)
        extent = float(np.abs(s.points - center).max())
        if not extent > 0:
            raise FormatError(f"{mesh.source or 'mesh'}: all sampled points coincide")
        scale = 1.0 / extent
    pts = ((s.points - center) * scale).astype(np.float32)
    prep = PreparedMesh(points=pts, normals=s.normals.astype(np.float32), center=center, scale=scale)
    if k is not None:
        prep.neighbours = knn_neighbours(pts, k)
    return prep


@dataclass
class LandmarkSet:
    """FaceScape-layout meshes with their ground-truth landmarks.

    Attributes:
        scans: the models found under the root (sorted).
        indices: (68,) int64 landmark vertex indices (``landmark_indices.npz`` key v10).
        root: the dataset root.
    """

    scans: list[FaceScapeScan]
    indices: np.ndarray
    root: Path

    @property
    def subjects(self) -> list[str]:
        return [s.subject for s in self.scans]

    def landmarks(self, mesh: Mesh) -> np.ndarray:
        """(68, 3) float64 ground-truth landmarks of one of its meshes, mm."""
        if self.indices.max() >= len(mesh.vertices):
            raise FormatError(
                f"{mesh.source}: landmark index {int(self.indices.max())} out of range for "
                f"{len(mesh.vertices)} vertices (all FaceScape models share one topology)"
            )
        return mesh.vertices[self.indices]


def load_landmark_set(root: Path, *, limit: int | None = None) -> LandmarkSet:
    """List a FaceScape-layout root (``<id>/<k>_<expr>.obj`` + ``landmark_indices.npz``)."""
    root = Path(root)
    scans = read_facescape(root)
    lm = root / "landmark_indices.npz"
    if not lm.exists():
        raise InputError(f"{root}: no landmark_indices.npz (FaceScape keeps the 68 landmark vertex indices there)")
    if limit is not None:
        scans = scans[:limit]
    return LandmarkSet(scans=scans, indices=read_landmark_indices(lm), root=root)


def prepare_many(
    items: Sequence[FaceScapeScan],
    landmark_set: LandmarkSet,
    n_points: int,
    k: int,
    seed: int,
    crop_z: float | None,
    progress: Callable[..., Iterable] = lambda x, **kw: x,
    *,
    frame: str = "extent",
    face_crop: bool = False,
    scan_like: float = 0.0,
    origin_jitter: float = 0.0,
    scan_views: float = 0.0,
    scan_remesh: float = 0.0,
) -> tuple[list[PreparedMesh], np.ndarray]:
    """Prepare meshes and their normalised landmarks ((M, 68, 3) float32).

    Args:
        frame: the input frame (``extent`` or ``nose``).
        face_crop: cut each mesh to its face box first, as ``landmarks3d predict`` does.
        scan_like: share of the meshes made scan-like first
            (:func:`facecli.landmarks3d.augment.scan_like`: neck, cap, holes, noise, a turn,
            a random face box); the draw and the changes are seeded by the mesh id.
        scan_views, scan_remesh: of the scan-like meshes, the shares also seen from one side
            only or remeshed (:func:`facecli.landmarks3d.augment.scan_like`'s ``views`` and
            ``remesh``; their own stream, seeded by the mesh id).
        origin_jitter: σ in mm of a random shift of each mesh's frame origin (per axis, clipped
            at 2σ; seeded by the mesh id). In the nose frame the origin is the nose tip that
            :func:`~facecli.geometry.facefind.nose_tip` finds, which on a real scan can sit
            several mm from where it sits on a synthetic face (4.4 mm below the annotated tip
            on the FLAME scan, 0.4 mm above it on synthetic faces); the jitter teaches the
            network not to lean on it.
    """
    from facecli.geometry.facefind import face_region
    from facecli.landmarks3d.augment import scan_like as make_scan_like

    preps: list[PreparedMesh] = []
    lms: list[np.ndarray] = []
    for scan in progress(items, desc="preparing meshes"):
        mesh = read_mesh(scan.path, allow_points=False)
        lm = landmark_set.landmarks(mesh)
        rng = rng_for(seed, "landmarks3d-scan-like", scan.id)
        if scan_like > 0 and rng.random() < scan_like:
            s = make_scan_like(
                mesh.vertices,
                mesh.faces,
                lm,
                rng,
                views=scan_views,
                remesh=scan_remesh,
                extra_rng=rng_for(seed, "landmarks3d-scan-extra", scan.id),
            )
            mesh, lm = Mesh(vertices=s.vertices, faces=s.faces, source=mesh.source), s.landmarks
        elif face_crop:
            reg = face_region(mesh.vertices, mesh.faces, source=mesh.source)
            mesh = Mesh(vertices=reg.vertices, faces=reg.faces, source=mesh.source)
        prep = prepare_mesh(
            mesh, n_points, rng_for(seed, "landmarks3d-sample", scan.id), k=k, crop_z=crop_z, frame=frame
        )
        if origin_jitter > 0:  # the kNN graph does not change under a shift
            jr = rng_for(seed, "landmarks3d-origin", scan.id)
            shift = np.clip(jr.normal(0.0, origin_jitter, 3), -2 * origin_jitter, 2 * origin_jitter)
            prep.center = np.asarray(prep.center, np.float64) + shift
            prep.points = (prep.points - (shift * prep.scale)).astype(np.float32)
        preps.append(prep)
        lms.append(prep.to_normalised(lm).astype(np.float32))
    return preps, np.stack(lms) if lms else np.zeros((0, 68, 3), np.float32)
