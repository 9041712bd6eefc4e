"""Depth maps: reading (16-bit PNG or NPY), intrinsics, and the organised
triangulation that turns a depth map into a mesh in the canonical frame."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError, ValidationError
from facecli.geometry.mesh_ops import grid_faces
from facecli.typing import PathLike

__all__ = ["read_depth", "parse_intrinsics", "depth_to_mesh"]


def parse_intrinsics(text: str | Sequence[float] | PathLike) -> np.ndarray:
    """Camera intrinsics from ``fx,fy,cx,cy`` or a file (3x3 K as text or ``.npy``).

    Returns:
        (3, 3) float64 K (pixel-centre convention: the centre of pixel column j is x = j).
    """
    if isinstance(text, (list, tuple, np.ndarray)):
        vals = [float(v) for v in text]
    else:
        s = str(text)
        p = Path(s)
        if p.suffix.lower() in (".npy", ".txt", ".csv") or p.exists():
            if not p.exists():
                raise InputError(f"no such intrinsics file: {p}")
            arr = (
                np.load(p)
                if p.suffix.lower() == ".npy"
                else np.loadtxt(p, delimiter="," if p.suffix == ".csv" else None)
            )
            arr = np.asarray(arr, dtype=np.float64)
            if arr.shape == (3, 3):
                return arr
            vals = arr.ravel().tolist()
            if len(vals) != 4:
                raise FormatError(f"{p}: expected a 3x3 K or fx fy cx cy, got shape {arr.shape}")
        else:
            try:
                vals = [float(v) for v in s.split(",")]
            except ValueError as exc:
                raise InputError(f"expected --intrinsics fx,fy,cx,cy (pixels) or a file, got {s!r}") from exc
    if len(vals) != 4:
        raise InputError(f"expected 4 intrinsics fx,fy,cx,cy, got {len(vals)}")
    fx, fy, cx, cy = vals
    if fx <= 0 or fy <= 0:
        raise InputError(f"expected positive focal lengths, got fx={fx}, fy={fy}")
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.0]])


def read_depth(path: PathLike, *, scale: float = 1.0) -> np.ndarray:
    """Read a depth map in mm.

    Args:
        path: a 16-bit single-channel PNG (``uint16``, units of ``scale`` mm; 0 = no
            data) or an ``.npy`` array (H, W) float/uint16 (0 or NaN = no data).
        scale: mm per stored unit.

    Returns:
        (H, W) float64 depth in mm, 0 where there is no data.

    Raises:
        ValidationError: not 16-bit / not 2-D / negative values, naming the file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    if p.suffix.lower() == ".npy":
        try:
            d = np.load(p, allow_pickle=False)
        except Exception as exc:
            raise FormatError(f"{p}: not a readable .npy file ({exc})") from exc
        if d.dtype.kind not in "fu" or (d.dtype.kind == "u" and d.dtype != np.uint16):
            raise ValidationError(f"expected depth of dtype float or uint16, got {d.dtype} in {p}")
    elif p.suffix.lower() == ".png":
        import cv2

        d = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
        if d is None:
            raise FormatError(f"{p}: not a readable PNG")
        if d.dtype != np.uint16 or d.ndim != 2:
            ch = 1 if d.ndim == 2 else d.shape[2]
            raise ValidationError(
                f"expected a 16-bit single-channel depth PNG, got {d.dtype} with {ch} channel(s) in {p}"
            )
    else:
        raise InputError(f"{p}: expected a depth map as .png (16-bit) or .npy, got {p.suffix!r}")
    if d.ndim != 2:
        raise ValidationError(f"expected (H, W) depth, got shape {d.shape} in {p}")
    d = d.astype(np.float64) * float(scale)
    d[~np.isfinite(d)] = 0.0
    if (d < 0).any():
        raise ValidationError(f"expected depth >= 0, got {int((d < 0).sum())} negative values in {p}")
    if not (d > 0).any():
        raise ValidationError(f"expected some valid depth, got none (all zero) in {p}")
    return d


def depth_to_mesh(depth: np.ndarray, K: np.ndarray, *, max_jump: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Back-project a depth map and triangulate its pixel grid.

    The camera frame (OpenCV: x right, y down, z forward) is turned into the canonical
    face frame (+X right, +Y up, +Z towards the camera): ``(X, -Y, -Z)``. Triangles
    touching a pixel without depth, or spanning a depth jump above ``max_jump`` mm,
    are dropped.

    Args:
        depth: (H, W) float mm, 0 = no data.
        K: (3, 3) intrinsics.
        max_jump: the largest depth difference inside one triangle, mm.

    Returns:
        vertices (V, 3) float64 mm (pixels used by a triangle, row-major), faces (F, 3) int64.
    """
    h, w = depth.shape
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    jj, ii = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    z = depth
    x = (jj - cx) * z / fx
    y = (ii - cy) * z / fy
    verts = np.stack([x, -y, -z], axis=-1).reshape(-1, 3)
    faces = grid_faces(h, w)
    zf = z.reshape(-1)[faces]
    keep = (zf > 0).all(axis=1) & (zf.max(axis=1) - zf.min(axis=1) <= max_jump)
    faces = faces[keep]
    if len(faces) == 0:
        raise ValidationError("expected a depth map with a connected surface, got no valid triangles")
    used = np.unique(faces)
    remap = np.full(len(verts), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return verts[used], remap[faces]
