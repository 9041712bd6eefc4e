"""Normal maps of geometry inputs: meshes, point clouds and depth maps, in one view
shared by all scales."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from facecli.errors import InputError
from facecli.geometry.raycast import MeshCaster, NormalMap
from facecli.geometry.view import OrthoView, fit_view
from facecli.io.image import IMAGE_SUFFIXES
from facecli.io.mesh import MESH_SUFFIXES
from facecli.typing import PathLike

__all__ = ["INPUT_KINDS", "GeometryOptions", "input_kind", "geometry_normal_maps", "apply_pose", "load_poses"]

INPUT_KINDS = ("mesh", "points", "depth", "image")


@dataclass
class GeometryOptions:
    """How geometry becomes normal maps.

    Attributes:
        scales: image sizes in pixels, e.g. (256, 128, 64).
        shading: ``smooth`` or ``flat`` (meshes and depth maps).
        radius: PCA normal radius in mm for point clouds (None: 3x the median spacing).
        splat: splat radius in mm for point clouds (None: 1.5x the median spacing, at
            least half a pixel of the largest scale).
        width: field width in mm (None: fit each input's bounding box).
        centre: (x, y) image centre in mm (None: the bounding-box centre).
        margin: border around a fitted box, fraction of its side.
        intrinsics: (3, 3) K for depth maps.
        depth_scale: mm per stored depth unit.
        max_jump: depth discontinuity (mm) that splits the depth-map surface.
        manifold_check: reject non-manifold meshes (otherwise they are cast as they are and
            their non-manifold edges counted).
        units: units of meshes and point clouds: ``auto`` (from the size:
            :func:`facecli.geometry.facefind.detect_units`), ``mm``, ``cm`` or ``m``; scaled to mm.
        frame: ``face`` (frame the face region about the nose tip:
            :func:`facecli.geometry.facefind.face_region`) or ``all`` (the whole input).
        orient: meshes without a ``pose``: ``auto`` turns a mesh whose face is posed more than
            15° from +Y up, +Z forward upright and frontal first
            (:func:`facecli.detection.scan_orientation.find_face_orientation`); ``given``
            renders the mesh as it is.
    """

    scales: Sequence[int] = (256, 128, 64)
    shading: str = "smooth"
    radius: float | None = None
    splat: float | None = None
    width: float | None = None
    centre: Sequence[float] | None = None
    margin: float = 0.05
    intrinsics: np.ndarray | None = field(default=None, repr=False)
    depth_scale: float = 1.0
    max_jump: float = 10.0
    manifold_check: bool = False
    units: str = "auto"
    frame: str = "face"
    orient: str = "auto"

    def as_dict(self) -> dict:
        d = asdict(self)
        d["scales"] = [int(s) for s in self.scales]
        d["intrinsics"] = None if self.intrinsics is None else np.asarray(self.intrinsics).tolist()
        return d


def input_kind(path: PathLike, forced: str = "auto") -> str:
    """What an input file is: ``mesh``, ``points``, ``depth`` or ``image``.

    ``auto`` decides by suffix (``.npy`` depth; mesh suffixes: a mesh, or points if the
    file has no faces - resolved when read; a 16-bit single-channel PNG: depth; other
    images: image).
    """
    if forced != "auto":
        if forced not in INPUT_KINDS:
            raise InputError(f"expected --kind auto|{'|'.join(INPUT_KINDS)}, got {forced!r}")
        return forced
    p = Path(path)
    suf = p.suffix.lower()
    if suf == ".npy":
        return "depth"
    if suf in MESH_SUFFIXES:
        return "mesh"
    if suf == ".png":
        import cv2

        img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        if img is not None and img.dtype == np.uint16 and img.ndim == 2:
            return "depth"
        return "image"
    if suf in IMAGE_SUFFIXES:
        return "image"
    raise InputError(
        f"{p}: expected a mesh ({', '.join(MESH_SUFFIXES)}), depth map (.png 16-bit, .npy) or image, got suffix {suf!r}"
    )


def apply_pose(points: np.ndarray, pose: np.ndarray | None) -> np.ndarray:
    """Apply a 4x4 rigid transform to (N, 3) points (identity if None)."""
    if pose is None:
        return points
    return points @ pose[:3, :3].T + pose[:3, 3]


def _pack(maps: dict[int, NormalMap], view: OrthoView) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for s, m in maps.items():
        out[f"normals_{s}"] = m.normals
        out[f"mask_{s}"] = m.mask
        out[f"depth_{s}"] = m.depth
    out["view"] = view.as_array()
    return out


def geometry_normal_maps(
    path: PathLike, kind: str, opts: GeometryOptions, *, pose: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Normal, mask and depth maps of one geometry file at every scale.

    Args:
        path: the mesh / point cloud / depth map.
        kind: ``mesh``, ``points`` or ``depth`` (``mesh`` falls back to ``points`` for a
            file without faces).
        opts: the options.
        pose: optional (4, 4) transform applied first (e.g. a registration onto a
            frontal template).

    Returns:
        ``normals_<s>`` (s, s, 3) float32, ``mask_<s>`` (s, s) bool, ``depth_<s>``
        (s, s) float32 mm, ``view`` (4,) float32.

    Raises:
        FaceCLIError subclasses naming the file: unreadable, empty, non-manifold,
        wrong depth dtype, nothing visible.
    """
    from facecli.errors import ValidationError
    from facecli.geometry.normals import median_spacing, pca_normals, splat_points
    from facecli.io.mesh import read_mesh
    from facecli.validation import check_face_millimetres

    src = str(path)
    notes: dict[str, np.ndarray] = {}
    if kind in ("mesh", "points"):
        from facecli.geometry.facefind import UNIT_FACTORS, detect_units, face_region, in_face_box, nose_tip
        from facecli.geometry.mesh_ops import clean_faces, non_manifold_edges

        mesh = read_mesh(path, allow_points=True)
        units = detect_units(mesh.vertices) if opts.units == "auto" else opts.units
        verts = apply_pose(mesh.vertices * UNIT_FACTORS[units], pose)
        check_face_millimetres(verts, src if units == "mm" else f"{src} (read as {units})")
        notes["input_units"] = np.str_(units)
        if mesh.is_point_cloud or kind == "points":
            if opts.frame == "face":
                verts = verts[in_face_box(verts, nose_tip(verts))]
            if len(verts) < 3:
                raise ValidationError(f"expected at least 3 points, got {len(verts)} in {src}")
            spacing = median_spacing(verts)
            view = fit_view(verts, margin=opts.margin, width=opts.width, centre=opts.centre, source=src)
            radius = opts.radius or 3.0 * spacing
            normals = pca_normals(verts, radius, source=src)
            splat = opts.splat or max(1.5 * spacing, 0.5 * view.width / max(opts.scales))
            maps = {int(s): splat_points(verts, normals, view, int(s), radius=splat) for s in opts.scales}
            notes.update(non_manifold_edges=np.int64(0), dropped_faces=np.int64(0))
            notes.update(turn=np.eye(3, dtype=np.float32), turn_pivot=np.zeros(3, np.float32))
            return {**_check_visible(_pack(maps, view), src), **notes}
        faces, degenerate, duplicate = clean_faces(verts, mesh.faces)
        turn, pivot, near = np.eye(3), np.zeros(3), None
        if opts.orient == "auto" and pose is None:
            from facecli.detection.scan_orientation import find_face_orientation

            o = find_face_orientation(verts, faces, source=src)
            if o.turned:
                verts, turn, pivot = o.to_canonical(verts), o.rotation, o.pivot
            if o.found:  # the face box is cut about the nose the detector saw
                near = o.to_canonical(o.keypoints[2:3])[0] if o.turned else o.keypoints[2]
        notes.update(turn=turn.astype(np.float32), turn_pivot=pivot.astype(np.float32))
        if opts.frame == "face":
            reg = face_region(verts, faces, source=src, near=near)
            verts, faces = reg.vertices, reg.faces
        notes["non_manifold_edges"] = np.int64(non_manifold_edges(faces))
        notes["dropped_faces"] = np.int64(degenerate + duplicate)
        caster = MeshCaster(verts, faces, shading=opts.shading, source=src, manifold_check=opts.manifold_check)
    elif kind == "depth":
        from facecli.geometry.depthmap import depth_to_mesh, read_depth

        if opts.intrinsics is None:
            raise InputError(f"{src} is a depth map: give the camera as --intrinsics fx,fy,cx,cy (pixels)")
        depth = read_depth(path, scale=opts.depth_scale)
        verts, faces = depth_to_mesh(depth, np.asarray(opts.intrinsics, dtype=np.float64), max_jump=opts.max_jump)
        check_face_millimetres(verts, f"{src} (with --depth-scale {opts.depth_scale:g})")
        verts = apply_pose(verts, pose)
        caster = MeshCaster(verts, faces, shading=opts.shading, source=src, manifold_check=False)
        notes.update(input_units=np.str_("mm"), non_manifold_edges=np.int64(0), dropped_faces=np.int64(0))
    else:
        raise InputError(f"{src}: {kind} inputs are not geometry")
    used = caster.vertices[np.bincount(caster.faces.ravel(), minlength=len(caster.vertices)) > 0]
    view = fit_view(used, margin=opts.margin, width=opts.width, centre=opts.centre, source=src)
    return {**_check_visible(_pack(caster.render_scales(view, opts.scales), view), src), **notes}


def _check_visible(arrays: dict[str, np.ndarray], src: str) -> dict[str, np.ndarray]:
    from facecli.errors import ValidationError

    masks = [v for k, v in arrays.items() if k.startswith("mask_")]
    if not any(m.any() for m in masks):
        raise ValidationError(
            f"expected a surface in view, got no pixel on it in {src} (check --width/--centre/--pose)"
        )
    return arrays


def load_poses(path: PathLike) -> dict[str, np.ndarray]:
    """Poses for ``--pose``: a 4x4 matrix for every input (``.npy`` / text file; key
    ``*``), or a registration result (facecli container of kind ``registration``: each
    sample id's ``transform``, which maps the scan onto the frontal template).
    """
    from facecli.errors import FormatError
    from facecli.io.container import ContainerReader, is_container

    p = Path(path)
    if not p.exists():
        raise InputError(f"no such pose file: {p}")
    if is_container(p):
        reader = ContainerReader(p, kind="registration")
        try:
            if len(reader) == 0:
                raise FormatError(f"{p}: a registration file with no finished sample; expected one transform per input")
            poses = {sid: np.asarray(t, dtype=np.float64) for sid, t in zip(reader.ids, reader.read("transform"))}
        finally:
            reader.close()
        return poses
    if p.stat().st_size == 0:
        raise FormatError(f"{p}: expected a 4x4 matrix (.npy or text) or a registration .h5, got an empty file")
    try:
        import warnings

        with warnings.catch_warnings():  # numpy warns about empty or odd text before failing: the error says it
            warnings.simplefilter("ignore")
            m = (
                np.load(p)
                if p.suffix.lower() == ".npy"
                else np.loadtxt(p, delimiter="," if p.suffix == ".csv" else None)
            )
    except Exception as exc:
        raise FormatError(f"{p}: expected a 4x4 matrix (.npy or text) or a registration .h5 ({exc})") from exc
    m = np.asarray(m, dtype=np.float64)
    if m.shape != (4, 4):
        raise FormatError(f"{p}: expected a 4x4 pose matrix, got shape {m.shape}")
    r = m[:3, :3]
    if not np.allclose(r @ r.T, np.eye(3), atol=1e-3) or np.linalg.det(r) < 0:
        raise FormatError(f"{p}: expected a rigid transform (rotation + translation), got a non-orthonormal 3x3 block")
    return {"*": m}
