"""``synth pairs``: registration pairs of partial face scans with exact transforms.

A scan is what a structured-light scanner sees: the face ray-cast from one viewpoint
on a regular grid of rays (spacing = resolution). Source and target are two scans of
the same face from different viewpoints and resolutions (partial overlap), with
noise and outliers; the source is then moved by a random rigid transform (any
rotation, near-180° ones included). ``transform`` maps source points onto the target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from facecli.errors import InputError
from facecli.geometry.transforms import euler_to_matrix, random_rotation, rigid_transform
from facecli.io.container import ContainerWriter
from facecli.io.mesh import write_points
from facecli.seeding import rng_for
from facecli.synth.expressions import random_expression
from facecli.synth.face_model import build_vertices, sample_identity
from facecli.synth.template import get_template

__all__ = ["SHAPES", "random_object", "scan_points", "write_pairs_dataset"]

SHAPES = ("face", "object")


def scan_points(vertices: np.ndarray, faces: np.ndarray, view: np.ndarray, spacing: float) -> np.ndarray:
    """Points seen along -Z of a rotated view on a grid of parallel rays.

    Args:
        vertices: (V, 3) mm. faces: (F, 3).
        view: (3, 3) rotation of the viewer (world → view).
        spacing: ray spacing in mm.

    Returns:
        (N, 3) float64 hit points in world coordinates.
    """
    import open3d as o3d

    v_view = vertices @ view.T
    m = o3d.t.geometry.TriangleMesh()
    m.vertex.positions = o3d.core.Tensor(v_view.astype(np.float32))
    m.triangle.indices = o3d.core.Tensor(faces.astype(np.int32))
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(m)
    lo, hi = v_view.min(0), v_view.max(0)
    xs = np.arange(lo[0], hi[0], spacing)
    ys = np.arange(lo[1], hi[1], spacing)
    gx, gy = np.meshgrid(xs, ys)
    n = gx.size
    rays = np.zeros((n, 6), np.float32)
    rays[:, 0], rays[:, 1], rays[:, 2] = gx.ravel(), gy.ravel(), hi[2] + 50.0
    rays[:, 5] = -1.0
    t = scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()
    ok = np.isfinite(t)
    pts = rays[ok, :3].astype(np.float64)
    pts[:, 2] -= t[ok]
    return pts @ view  # back to world


def random_object(rng: np.random.Generator, size: float = 200.0) -> tuple[np.ndarray, np.ndarray]:
    """A random non-face object: 5-8 boxes, cylinders, capsules and ellipsoids, turned
    and placed at random about the origin (overlapping parts; a scan sees only the outside).

    Args:
        rng: the random stream.
        size: the object's rough extent, in the units of the result.

    Returns:
        ``(vertices, faces)``: (V, 3) float64 and (F, 3) int64.
    """
    import trimesh

    parts = []
    for _ in range(int(rng.integers(5, 9))):
        kind = int(rng.integers(0, 4))
        dims = rng.uniform(0.15, 0.5, size=3) * size
        if kind == 0:
            m = trimesh.creation.box(extents=dims)
        elif kind == 1:
            m = trimesh.creation.cylinder(radius=dims[0] / 2, height=dims[1], sections=48)
        elif kind == 2:
            m = trimesh.creation.capsule(radius=dims[0] / 3, height=dims[1], count=[24, 24])
        else:
            m = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
            m.apply_scale(dims / 2)
        t = np.eye(4)
        t[:3, :3] = random_rotation(rng)
        t[:3, 3] = rng.uniform(-0.3, 0.3, size=3) * size
        m.apply_transform(t)
        parts.append(m)
    whole = trimesh.util.concatenate(parts)
    return np.asarray(whole.vertices, np.float64), np.asarray(whole.faces, np.int64)


def _overlap(src: np.ndarray, tgt: np.ndarray, radius: float) -> float:
    from scipy.spatial import cKDTree

    d, _ = cKDTree(tgt).query(src, k=1)
    return float(np.mean(d < radius))


def write_pairs_dataset(
    out: Path,
    *,
    count: int,
    seed: int,
    overlap: tuple[float, float] = (0.4, 0.95),
    noise: tuple[float, float] = (0.0, 0.5),
    outliers: tuple[float, float] = (0.0, 0.1),
    shape: str = "face",
    unit_scale: float = 1.0,
    progress: Callable[[Iterable], Iterable] = lambda x: x,
) -> list[Path]:
    """Write ``out/pair_<nnnn>/{source,target}.ply`` and ``out/gt.h5``.

    ``gt.h5`` (kind ``registration``) holds per pair: ``transform`` (4, 4) mapping
    source → target (``noise``: range of the Gaussian sigma in mm, ``outliers``:
    range of the outlier share, each drawn per pair), ``overlap`` (share of clean source points within 1.5× the
    coarser spacing of the target), ``noise_mm``, ``outlier_ratio``, ``spacing_mm``
    (source, target), and ragged ``source_true`` (N, 3): every source point's true
    position in the target frame (outliers: NaN).

    ``shape="object"`` scans random non-face objects (:func:`random_object`) from any
    direction instead of faces; ``unit_scale`` multiplies every coordinate and distance
    written (0.001: metres; the ``*_mm`` fields are then in those units too).
    """
    if count < 1:
        raise InputError(f"expected --count >= 1, got {count}")
    for name, (lo, hi), top in (("overlap", overlap, 1.0), ("noise", noise, 50.0), ("outliers", outliers, 0.9)):
        if not 0.0 <= lo <= hi <= top:
            raise InputError(f"expected --{name} A,B with 0 <= A <= B <= {top:g}, got {lo:g},{hi:g}")
    if shape not in SHAPES:
        raise InputError(f"expected --shape {'|'.join(SHAPES)}, got {shape!r}")
    if not unit_scale > 0:
        raise InputError(f"expected --unit-scale > 0, got {unit_scale}")
    tpl = get_template()
    out.mkdir(parents=True, exist_ok=True)
    w = ContainerWriter(
        out / "gt.h5",
        "registration",
        producer="facecli synth pairs",
        params={
            "count": count,
            "seed": seed,
            "overlap": list(overlap),
            "noise": list(noise),
            "outliers": list(outliers),
            "shape": shape,
            "unit_scale": unit_scale,
        },
        ragged=("source_true",),
        array_attrs={
            "transform": {"units": "mm", "description": "4x4, maps source onto target"},
            "source_true": {"units": "mm"},
            "noise_mm": {"units": "mm"},
            "spacing_mm": {"units": "mm"},
        },
    )
    try:
        for i in progress(range(count)):
            rng = rng_for(seed, "pairs", i)
            if shape == "face":
                ident = sample_identity(rng)
                verts, faces = build_vertices(ident, random_expression(rng, strong=0.4)), tpl.faces
            else:
                verts, faces = random_object(rng)
            for _attempt in range(20):
                sp = rng.uniform(0.9, 2.2, size=2)
                if shape == "face":
                    a1 = euler_to_matrix(rng.uniform(-50, 50), rng.uniform(-20, 20), rng.uniform(-10, 10))
                    a2 = euler_to_matrix(rng.uniform(-50, 50), rng.uniform(-20, 20), rng.uniform(-10, 10))
                else:  # any side of an object; the second view within 60 degrees of the first
                    a1 = random_rotation(rng)
                    a2 = euler_to_matrix(*rng.uniform(-60, 60, size=3)) @ a1
                src = scan_points(verts, faces, a1, sp[0])
                tgt = scan_points(verts, faces, a2, sp[1])
                ov = _overlap(src, tgt, 1.5 * sp.max())
                if overlap[0] <= ov <= overlap[1]:
                    break
            sigma = float(rng.uniform(*noise))
            src_true = src.copy()
            src = src + rng.normal(0, sigma, src.shape)
            tgt = tgt + rng.normal(0, sigma, tgt.shape)
            ratio = float(rng.uniform(*outliers))
            lo, hi = src.min(0), src.max(0)
            n_out = int(round(ratio * len(src)))
            src = np.concatenate([src, rng.uniform(lo, hi, size=(n_out, 3))])
            src_true = np.concatenate([src_true, np.full((n_out, 3), np.nan)])
            tgt = np.concatenate([tgt, rng.uniform(tgt.min(0), tgt.max(0), size=(int(round(ratio * len(tgt))), 3))])
            rot = random_rotation(rng)
            if rng.random() < 0.2:  # make near-180° rotations common enough to test
                axis = rng.normal(size=3)
                axis /= np.linalg.norm(axis)
                ang = np.deg2rad(rng.uniform(160, 180))
                k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
                rot = np.eye(3) + np.sin(ang) * k + (1 - np.cos(ang)) * k @ k
            move = rigid_transform(rot, rng.uniform(-200, 200, size=3))
            src_moved = src @ move[:3, :3].T + move[:3, 3]
            gt = np.linalg.inv(move)
            k = float(unit_scale)
            src_moved, tgt, src_true, gt[:3, 3] = src_moved * k, tgt * k, src_true * k, gt[:3, 3] * k
            sigma, sp = sigma * k, sp * k
            pid = f"pair_{i:04d}"
            write_points(out / pid / "source.ply", src_moved)
            write_points(out / pid / "target.ply", tgt)
            w.write(
                pid,
                {
                    "transform": gt,
                    "overlap": np.float32(ov),
                    "noise_mm": np.float32(sigma),
                    "outlier_ratio": np.float32(ratio),
                    "spacing_mm": sp.astype(np.float32),
                    "source_true": src_true.astype(np.float32),
                },
            )
    except BaseException:
        w.abort()  # keep the work file (.part) for --resume; the target is left as it was
        raise
    w.close()
    return [out / "gt.h5"]
