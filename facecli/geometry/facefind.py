"""The face on a scan as scanners make it: its units, its nose tip, and the face region.

Real head scans come in metres, centimetres or millimetres, with hair, neck and
shoulders around the face. Models trained on face meshes (FaceScape's frame: +Y up,
+Z towards the viewer, millimetres) need the face alone, in millimetres:

- :func:`detect_units` reads the units from the size (a face or head is 0.15-0.8 m
  across): a box diagonal under 5 is metres, under 100 centimetres, else millimetres;
- :func:`nose_tip` is the most forward point (+Z) that lies on the surface (stray vertices
  and spikes in front of the face are passed over), averaged over its neighbourhood;
- :func:`face_region` keeps the triangles inside a box about the nose tip:
  :data:`FACE_BOX_MM` is the region that the synthetic training faces occupy (measured
  on 40 of them: x within ±85 mm of the tip, y from 103 mm below (110 with the mouth wide open) to 117 mm above, down to
  149 mm behind), with a few millimetres to spare, so a training-like face is kept whole
  and a head scan loses its neck, shoulders and the back of its head.

Example:
    >>> import numpy as np
    >>> detect_units(np.array([[0.0, 0, 0], [0.18, 0.24, 0.12]]))
    'm'
    >>> detect_units(np.array([[0.0, 0, 0], [180, 240, 120]]))
    'mm'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError

__all__ = [
    "UNIT_FACTORS",
    "FACE_BOX_MM",
    "FaceRegion",
    "box_diagonal",
    "detect_units",
    "nose_tip",
    "in_face_box",
    "face_region",
]

#: Millimetres per unit.
UNIT_FACTORS = {"mm": 1.0, "cm": 10.0, "m": 1000.0}

#: The face box about the nose tip, mm: half width (x), below (y), above (y), behind (z).
FACE_BOX_MM = (90.0, 110.0, 120.0, 150.0)


def box_diagonal(points: np.ndarray, *, q: float = 2.0) -> float:
    """Diagonal of the box between the ``q`` and ``100 - q`` percentiles of each axis
    (a few stray points far away do not change it).

    Args:
        points: (N, 3) float.
    """
    p = np.asarray(points, np.float64).reshape(-1, 3)
    if len(p) == 0:
        return 0.0
    lo, hi = np.percentile(p, [q, 100.0 - q], axis=0)
    return float(np.linalg.norm(hi - lo))


def detect_units(points: np.ndarray) -> str:
    """``"m"``, ``"cm"`` or ``"mm"`` from the size of a face or head scan.

    Args:
        points: (N, 3) float, as read.
    """
    d = box_diagonal(points, q=0.0)
    return "m" if d < 5.0 else "cm" if d < 100.0 else "mm"


def nose_tip(vertices: np.ndarray, *, near: np.ndarray | None = None, radius: float = 25.0) -> np.ndarray:
    """The nose tip of a face seen along -Z (+Z towards the viewer), mm.

    Of the 200 most forward vertices, the first one that lies on the surface (at least half
    as many vertices within 5 mm as those 200 have in the median: a stray vertex or a thin
    spike in front of the face has few), then the mean of the vertices within 3 mm of it and
    within 1.5 mm of its depth.

    Args:
        vertices: (V, 3) float, mm.
        near: (3,) mm, where the nose is known to be roughly (e.g. the face detector's nose
            point on a render: :mod:`facecli.detection.scan_orientation`): only vertices within
            ``radius`` of it are candidates, so a chest, a hand or a hat brim further forward
            than the nose is passed over (all vertices when none is that close).
        radius: mm, with ``near``.

    Returns:
        (3,) float64.
    """
    from scipy.spatial import cKDTree

    v = np.asarray(vertices, np.float64)
    if near is not None:
        close = np.linalg.norm(v - np.asarray(near, np.float64), axis=1) <= radius
        if close.sum() >= 10:
            v = v[close]
    k = min(200, len(v))
    order = np.argpartition(-v[:, 2], k - 1)[:k]
    order = order[np.argsort(-v[order, 2], kind="stable")]
    front = v[v[:, 2] >= v[order[-1], 2] - 5.0]  # every vertex within 5 mm of a candidate
    counts = np.array([len(n) for n in cKDTree(front).query_ball_point(v[order], 5.0)])
    top = v[order[int(np.argmax(counts >= 0.5 * np.median(counts)))]]
    near = (np.linalg.norm(v - top, axis=1) <= 3.0) & (v[:, 2] >= top[2] - 1.5)
    return v[near].mean(axis=0)


def in_face_box(
    points: np.ndarray, tip: np.ndarray, box: tuple[float, float, float, float] = FACE_BOX_MM
) -> np.ndarray:
    """Which points lie in the face box about the nose tip.

    Args:
        points: (N, 3) float, mm. tip: (3,) the nose tip, mm.
        box: half width, extent below, extent above, depth behind the tip (mm).

    Returns:
        (N,) bool.
    """
    half, below, above, behind = box
    rel = np.asarray(points, np.float64) - np.asarray(tip, np.float64)
    return (np.abs(rel[:, 0]) <= half) & (rel[:, 1] >= -below) & (rel[:, 1] <= above) & (rel[:, 2] >= -behind)


@dataclass
class FaceRegion:
    """The face part of a mesh.

    Attributes:
        vertices: (V', 3) float64 the kept vertices, mm.
        faces: (F', 3) int64 the kept triangles, in the kept vertices' indices.
        ids: (V',) int64 each kept vertex's index in the full mesh.
        nose_tip: (3,) float64, mm.
        removed: share of the mesh's triangles that were left out.
    """

    vertices: np.ndarray
    faces: np.ndarray
    ids: np.ndarray
    nose_tip: np.ndarray
    removed: float


def face_region(
    vertices: np.ndarray,
    faces: np.ndarray,
    *,
    box: tuple[float, float, float, float] = FACE_BOX_MM,
    source: str = "",
    near: np.ndarray | None = None,
) -> FaceRegion:
    """The triangles inside the face box about the nose tip.

    Args:
        vertices: (V, 3) float, mm, +Y up, +Z towards the viewer.
        faces: (F, 3) int.
        box: half width, extent below, extent above, depth behind the tip (mm).
        source: file name for error messages.
        near: (3,) mm, a rough nose position for :func:`nose_tip`.

    Returns:
        The region (a face that already fits the box is returned whole).

    Raises:
        InputError: no triangle lies in the box.
    """
    v = np.asarray(vertices, np.float64)
    f = np.asarray(faces, np.int64)
    tip = nose_tip(v, near=near)
    keep = in_face_box(v, tip, box)[f].all(axis=1)
    if not keep.any():
        where = f" in {source}" if source else ""
        raise InputError(f"no triangle{where} lies in the face box about the nose tip {tip.round(1).tolist()} mm")
    sub = f[keep]
    used = np.zeros(len(v), bool)
    used[sub.ravel()] = True
    ids = np.flatnonzero(used)
    local = np.cumsum(used) - 1
    return FaceRegion(v[ids], local[sub].astype(np.int64), ids.astype(np.int64), tip, 1.0 - keep.mean())
