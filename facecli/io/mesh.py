"""Order-preserving mesh and point-cloud I/O (OBJ, PLY).

Vertex order is never changed (trimesh with ``process=False``): landmark indices such
as FaceScape's ``landmark_indices.npz`` refer to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.io.atomic import atomic_write, write_bytes, write_text
from facecli.typing import PathLike
from facecli.validation import check_array

__all__ = ["Mesh", "read_mesh", "write_mesh", "read_points", "write_points", "MESH_SUFFIXES", "CLOUD_SUFFIXES"]

MESH_SUFFIXES = (".obj", ".ply", ".off", ".stl")

#: Largest coordinate magnitude accepted (1e8: 100 km in mm); larger values are corrupt
#: data, and their squares overflow float32 arithmetic (NaN normals).
MAX_ABS_COORDINATE = 1e8


@dataclass
class Mesh:
    """A triangle mesh or a point cloud (``faces`` empty).

    Attributes:
        vertices: (V, 3) float64, millimetres.
        faces: (F, 3) int64 vertex indices; (0, 3) for a point cloud.
        normals: (V, 3) float64 unit vertex normals, or ``None``.
        colors: (V, 3) uint8 RGB, or ``None``.
        source: where it was read from (for error messages).
    """

    vertices: np.ndarray
    faces: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int64))
    normals: np.ndarray | None = None
    colors: np.ndarray | None = None
    source: str = ""

    @property
    def is_point_cloud(self) -> bool:
        return self.faces.shape[0] == 0

    def vertex_normals(self) -> np.ndarray:
        """(V, 3) area-weighted unit vertex normals (stored ones if present)."""
        if self.normals is not None:
            return self.normals
        if self.is_point_cloud:
            raise FormatError(f"{self.source or 'point cloud'} has no faces and no normals")
        from facecli.geometry.mesh_ops import vertex_normals

        return vertex_normals(self.vertices, self.faces)


def _trimesh():
    import trimesh

    return trimesh


def read_mesh(path: PathLike, *, allow_points: bool = True) -> Mesh:
    """Read an OBJ/PLY/OFF/STL mesh (or PLY point cloud) keeping vertex order.

    Args:
        path: the file.
        allow_points: accept a file with vertices but no faces.

    Returns:
        The mesh; vertices as float64 millimetres (no unit conversion is made).

    Raises:
        InputError: missing file or unknown suffix.
        FormatError: unreadable, empty, or non-finite coordinates.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    if p.suffix.lower() not in MESH_SUFFIXES:
        raise InputError(f"{p}: expected a mesh file ({', '.join(MESH_SUFFIXES)}), got suffix {p.suffix!r}")
    if p.suffix.lower() == ".obj":
        _check_obj_ending(p)
        fast = _read_plain_obj(p)
        if fast is not None:
            verts, faces = fast
            check_array(verts, "(V, 3)", name="vertices", source=str(p))
            _check_coordinates(verts, p)
            if faces.size and (faces.min() < 0 or faces.max() >= len(verts)):
                raise FormatError(f"{p}: face indices out of range for {len(verts)} vertices")
            if faces.shape[0] == 0 and not allow_points:
                raise FormatError(f"{p}: expected a triangle mesh, got a point cloud (no faces)")
            return Mesh(vertices=verts, faces=faces, source=str(p))
    trimesh = _trimesh()
    try:
        loaded = trimesh.load(p, process=False, maintain_order=True, force=None)
    except Exception as exc:  # trimesh raises many types for broken files
        raise FormatError(f"{p}: cannot read mesh ({exc.__class__.__name__}: {exc})") from exc
    if isinstance(loaded, trimesh.Scene):
        geoms = list(loaded.geometry.values())
        if len(geoms) != 1:
            raise FormatError(f"{p}: expected one mesh, got a scene of {len(geoms)} geometries")
        loaded = geoms[0]
    verts = np.asarray(getattr(loaded, "vertices", np.zeros((0, 3))), dtype=np.float64)
    if verts.shape[0] == 0:
        raise FormatError(f"{p}: expected vertices, got an empty file")
    check_array(verts, "(V, 3)", name="vertices", source=str(p))
    _check_coordinates(verts, p)
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64).reshape(-1, 3)
    _check_counts(p, len(verts), len(faces))
    if faces.shape[0] == 0 and not allow_points:
        raise FormatError(f"{p}: expected a triangle mesh, got a point cloud (no faces)")
    normals = None
    colors = None
    if faces.shape[0] == 0:
        # point clouds: normals / colours from PLY vertex properties when present
        meta = getattr(loaded, "metadata", {}) or {}
        props = meta.get("_ply_raw", {}).get("vertex", {}).get("data") if isinstance(meta, dict) else None
        # binary PLY: a structured array; ASCII PLY: a dict of columns
        names = (
            set(props.dtype.names or ())
            if hasattr(props, "dtype")
            else set(props)
            if isinstance(props, dict)
            else set()
        )
        if {"nx", "ny", "nz"} <= names:
            normals = np.stack([np.asarray(props[k], dtype=np.float64).reshape(-1) for k in ("nx", "ny", "nz")], axis=1)
            if normals.shape != verts.shape:
                normals = None
        vc = getattr(loaded, "colors", None)
        if vc is not None and len(vc) == len(verts):
            colors = np.asarray(vc)[:, :3].astype(np.uint8)
    if faces.size and (faces.min() < 0 or faces.max() >= len(verts)):
        raise FormatError(f"{p}: face indices out of range for {len(verts)} vertices")
    return Mesh(vertices=verts, faces=faces, normals=normals, colors=colors, source=str(p))


def _check_coordinates(verts: np.ndarray, path: Path) -> None:
    big = float(np.abs(verts).max()) if verts.size else 0.0
    if big > MAX_ABS_COORDINATE:
        raise FormatError(
            f"{path}: expected coordinates in millimetres (or metres), got values up to {big:.3g}; "
            f"the file is corrupt or in unknown units"
        )


def _check_obj_ending(path: Path) -> None:
    """A file cut off part-way (a copy or download that stopped) ends in an incomplete
    ``v`` or ``f`` line: refuse it rather than read a partial mesh."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 512))
        tail = fh.read()
    if not tail or tail.endswith(b"\n"):
        return
    last = tail.rsplit(b"\n", 1)[-1].strip().split()
    if not last:
        return
    need = {b"v": 3, b"vn": 3, b"f": 3, b"vt": 1}.get(last[0])
    if need is None:
        return
    bad = len(last) - 1 < need
    if not bad and last[0] != b"f":
        try:
            [float(t) for t in last[1:]]
        except ValueError:
            bad = True
    text = b" ".join(last).decode("ascii", "replace")
    if bad:
        raise FormatError(f"{path}: the file ends in an incomplete line ({text!r}): it looks truncated")
    if last[0] == b"v" and size < 64 << 20 and b"\nf " not in path.read_bytes():
        raise FormatError(
            f"{path}: vertex lines without faces and no newline at the end ({text!r}): it looks "
            f"truncated (a complete point cloud: end the file with a newline)"
        )


def _check_counts(path: Path, n_verts: int, n_faces: int) -> None:
    """Compare what was read with what the file declares (PLY header) or holds (OBJ
    lines): a reader that skipped lines it could not parse must not pass silently."""
    suffix = path.suffix.lower()
    if suffix == ".ply":
        with open(path, "rb") as fh:
            head = fh.read(4096)
        end = head.find(b"end_header")
        if end < 0:
            return
        declared: dict[str, int] = {}
        for line in head[:end].decode("ascii", "replace").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "element" and parts[2].isdigit():
                declared[parts[1]] = int(parts[2])
        if declared.get("vertex", n_verts) > n_verts or (n_faces and declared.get("face", n_faces) > n_faces):
            raise FormatError(
                f"{path}: the header declares {declared.get('vertex')} vertices and "
                f"{declared.get('face', 0)} faces, the file holds {n_verts} and {n_faces}: it looks "
                f"truncated"
            )
        if declared.get("face", 0) and not n_faces:
            raise FormatError(
                f"{path}: the header declares {declared['face']} faces, none could be read: it looks truncated"
            )
    elif suffix == ".obj":
        data = path.read_bytes()
        v_lines = data.count(b"\nv ") + data.startswith(b"v ")
        f_lines = data.count(b"\nf ") + data.startswith(b"f ")
        if n_verts < v_lines or n_faces < f_lines:
            raise FormatError(
                f"{path}: {v_lines} vertex and {f_lines} face lines, but only {n_verts} vertices and "
                f"{n_faces} triangles could be read: the file is truncated or malformed"
            )


def _read_plain_obj(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """Fast path for the common OBJ: comment lines, then ``v x y z`` lines, then
    triangular ``f a b c`` lines (``a/t/n`` forms allowed), vertex order kept.

    Returns None for anything else (normals, texture coordinates, colours, polygons,
    negative indices, interleaved blocks...), which then goes through trimesh; the
    result equals trimesh's ``process=False`` load. Parsing is done by NumPy's C
    number reader on whole blocks, about 3x faster than trimesh on a 30k-vertex face.
    """
    import re
    import warnings

    data = path.read_bytes()
    while data.startswith(b"#"):  # a header comment (the usual place) is cut off cheaply
        data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""
    if b"\n#" in data:
        data = re.sub(rb"(?m)^#[^\n]*\n?", b"", data)
    data = data.replace(b"\r\n", b"\n").strip(b"\n") + b"\n"
    if not data.startswith(b"v "):
        return None
    n_lines = data.count(b"\n")
    n_v = data.count(b"\nv ") + 1
    n_f = data.count(b"\nf ")
    if n_v + n_f != n_lines:
        return None  # other line types (vn, vt, o, g, blank lines...)
    cut = data.find(b"\nf ")
    vpart, fpart = (data, b"") if cut < 0 else (data[: cut + 1], data[cut + 1 :])
    if b"\nv " in fpart or vpart.count(b"\n") != n_v:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a malformed number must not pass silently
        try:
            verts = np.fromstring(vpart.replace(b"v ", b" ").decode("ascii"), dtype=np.float64, sep=" ")
            if b"/" in fpart:
                fpart = re.sub(rb"/[^\s]*", b"", fpart)
            faces = np.fromstring(fpart.replace(b"f ", b" ").decode("ascii"), dtype=np.int64, sep=" ")
        except (ValueError, DeprecationWarning, UnicodeDecodeError):
            return None
    if verts.size != 3 * n_v or faces.size != 3 * n_f or (faces <= 0).any():
        return None  # colours or w components, polygons, relative indices: trimesh handles them
    return verts.reshape(-1, 3), faces.reshape(-1, 3) - 1


def write_mesh(path: PathLike, vertices: np.ndarray, faces: np.ndarray, *, colors: np.ndarray | None = None) -> Path:
    """Write a triangle mesh as OBJ or PLY, keeping vertex order.

    Args:
        path: ``.obj`` or ``.ply``.
        vertices: (V, 3) float, millimetres.
        faces: (F, 3) int vertex indices.
        colors: optional (V, 3) uint8 RGB vertex colours.
    """
    p = Path(path)
    vertices = check_array(vertices, "(V, 3)", name="vertices", source=str(p))
    faces = check_array(faces, "(F, 3)", name="faces", source=str(p), dtype_kind="iu")
    if p.suffix.lower() not in (".obj", ".ply"):
        raise InputError(f"{p}: expected .obj or .ply output, got {p.suffix!r}")
    trimesh = _trimesh()
    mesh = trimesh.Trimesh(vertices=vertices, faces=faces, vertex_colors=colors, process=False)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() == ".obj":
        text = trimesh.exchange.obj.export_obj(
            mesh, include_normals=False, include_color=colors is not None, include_texture=False, digits=5
        )
        write_text(p, text, lock=False)
    else:
        write_bytes(p, trimesh.exchange.ply.export_ply(mesh, encoding="binary", vertex_normal=False), lock=False)
    return p


def read_points(path: PathLike) -> Mesh:
    """Read a point cloud, or the vertices (and normals) of a mesh, as points.

    Formats (:data:`CLOUD_SUFFIXES`, case-insensitive):

    - ``.ply`` ASCII or binary, cloud or mesh (plyfile: x, y, z and nx, ny, nz when present);
    - ``.pcd`` (Open3D: ASCII, binary or compressed);
    - ``.xyz``, ``.xyzn``, ``.pts``, ``.txt``: text rows whose first three numbers are x y z
      (``.xyzn``: then nx ny nz); a first line with one number (the point count of
      ``.pts`` files) is skipped;
    - ``.npy``: an (N, 3) or (N, 6) array (points, then normals);
    - ``.obj``, ``.off``, ``.stl``: the vertices of a mesh (:func:`read_mesh`).

    Args:
        path: the file.

    Returns:
        A :class:`Mesh` with no faces (``vertices`` and, when stored, ``normals``).

    Raises:
        InputError: missing file or unknown suffix.
        FormatError: unreadable, truncated, empty, or a wrong shape; the message names the file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    suffix = p.suffix.lower()
    if suffix not in CLOUD_SUFFIXES:
        raise InputError(f"{p}: expected a point cloud or mesh ({', '.join(CLOUD_SUFFIXES)}), got suffix {p.suffix!r}")
    if suffix in (".obj", ".off", ".stl"):
        m = read_mesh(p, allow_points=True)
        return Mesh(vertices=m.vertices, normals=m.normals, source=str(p))
    if suffix == ".ply":
        verts, normals = _read_ply_vertices(p)
    elif suffix == ".pcd":
        verts, normals = _read_pcd(p)
    elif suffix == ".npy":
        verts, normals = _read_npy(p)
    else:
        verts, normals = _read_xyz(p, with_normals=suffix == ".xyzn")
    if verts.shape[0] == 0:
        raise FormatError(f"{p}: expected points, got an empty file")
    check_array(verts, "(N, 3)", name="points", source=str(p))
    _check_coordinates(verts, p)
    if normals is not None and (normals.shape != verts.shape or not np.isfinite(normals).all()):
        normals = None
    return Mesh(vertices=verts, normals=normals, source=str(p))


#: Suffixes :func:`read_points` reads.
CLOUD_SUFFIXES = (".ply", ".obj", ".off", ".stl", ".pcd", ".xyz", ".xyzn", ".pts", ".txt", ".npy")


def _read_ply_vertices(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """x, y, z (and nx, ny, nz) of a PLY's vertex element, through plyfile (a light reader
    of every PLY encoding; trimesh's import alone costs half a second)."""
    from plyfile import PlyData

    try:
        with open(path, "rb") as fh:
            ply = PlyData.read(fh)
        vertex = ply["vertex"]
        names = set(vertex.data.dtype.names or ())
        if not {"x", "y", "z"} <= names:
            raise FormatError(f"{path}: expected vertex properties x, y, z, got {', '.join(sorted(names)) or 'none'}")
        verts = np.stack([np.asarray(vertex[k], np.float64) for k in ("x", "y", "z")], 1)
        normals = None
        if {"nx", "ny", "nz"} <= names:
            normals = np.stack([np.asarray(vertex[k], np.float64) for k in ("nx", "ny", "nz")], 1)
    except FormatError:
        raise
    except KeyError as exc:
        raise FormatError(f"{path}: expected a PLY vertex element, got none ({exc})") from exc
    except Exception as exc:  # plyfile raises PlyParseError, ValueError, EOFError... on broken files
        msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise FormatError(f"{path}: cannot read PLY ({msg}); the file is truncated or malformed") from exc
    return verts, normals


def _read_pcd(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """A PCL ``.pcd`` file through Open3D (ASCII, binary and binary_compressed)."""
    import open3d as o3d

    with open(path, "rb") as fh:
        head = fh.read(2048)
    if b"DATA" not in head:
        raise FormatError(f"{path}: expected a PCD header (VERSION, FIELDS ..., DATA), got none")
    pc = o3d.io.read_point_cloud(str(path), format="pcd")
    verts = np.asarray(pc.points, np.float64)
    declared = next(
        (ln.split()[1] for ln in head.decode("ascii", "replace").splitlines() if ln.startswith("POINTS")), None
    )
    if declared is not None and declared.isdigit() and int(declared) > len(verts):
        raise FormatError(
            f"{path}: the header declares {declared} points, {len(verts)} could be read: it looks truncated"
        )
    normals = np.asarray(pc.normals, np.float64) if pc.has_normals() else None
    return verts, normals


def _read_xyz(path: Path, *, with_normals: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Text rows of numbers: x y z first (then nx ny nz for ``.xyzn``)."""
    from facecli.io.text import read_text

    rows = [ln.replace(",", " ").split() for ln in read_text(path, "a text point cloud").splitlines()]
    rows = [r for r in rows if r and not r[0].startswith(("#", "//"))]
    if rows and len(rows[0]) == 1 and len(rows) > 1:  # .pts: the point count first
        rows = rows[1:]
    need = 6 if with_normals else 3
    try:
        short = next((k for k, r in enumerate(rows) if len(r) < need), None)
        if short is not None:
            raise FormatError(
                f"{path}: expected at least {need} numbers per line, line {short + 1} has {len(rows[short])}"
            )
        data = np.array([[float(t) for t in r[:need]] for r in rows], np.float64).reshape(-1, need)
    except ValueError as exc:
        raise FormatError(f"{path}: expected numbers x y z per line ({exc})") from exc
    return data[:, :3], (data[:, 3:6] if with_normals else None)


def _read_npy(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """An (N, 3) or (N, 6) numpy array: points, then normals."""
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception as exc:  # ValueError / EOFError / UnpicklingError on broken files
        raise FormatError(f"{path}: cannot read .npy ({exc.__class__.__name__}: {exc})") from exc
    if arr.ndim != 2 or arr.shape[1] not in (3, 6) or not np.issubdtype(arr.dtype, np.number):
        raise FormatError(f"{path}: expected an (N, 3) or (N, 6) numeric array, got {arr.dtype} {arr.shape}")
    arr = arr.astype(np.float64)
    return arr[:, :3], (arr[:, 3:6] if arr.shape[1] == 6 else None)


def write_points(path: PathLike, points: np.ndarray, *, normals: np.ndarray | None = None) -> Path:
    """Write a point cloud as binary PLY (with normals if given).

    Args:
        path: ``.ply``.
        points: (N, 3) float, millimetres.
        normals: optional (N, 3) unit normals.
    """
    p = Path(path)
    points = check_array(points, "(N, 3)", name="points", source=str(p))
    if p.suffix.lower() != ".ply":
        raise InputError(f"{p}: point clouds are written as .ply, got {p.suffix!r}")
    n = points.shape[0]
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if normals is not None:
        normals = check_array(normals, "(N, 3)", name="normals", source=str(p))
        fields += [("nx", "<f4"), ("ny", "<f4"), ("nz", "<f4")]
    rec = np.empty(n, dtype=fields)
    rec["x"], rec["y"], rec["z"] = points.T
    if normals is not None:
        rec["nx"], rec["ny"], rec["nz"] = normals.T
    header = ["ply", "format binary_little_endian 1.0", f"element vertex {n}"]
    header += [f"property float {name}" for name, _ in fields]
    header += ["end_header", ""]
    p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(p, "wb", lock=False) as fh:
        fh.write("\n".join(header).encode("ascii"))
        fh.write(rec.tobytes())
    return p
