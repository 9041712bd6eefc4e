"""One registration per batch item: what ``facecli register`` runs in each worker.

Three layouts of work: one pair (``SRC TGT``), many scans onto one template
(``--template T SCANS...``, the template prepared once), and a directory of pairs
(``--pairs ROOT``: ``ROOT/<id>/source.ply`` onto ``ROOT/<id>/target.ply``, the layout of
``facecli synth pairs``). A job is picklable so ``--workers`` can share it. Every
pair draws the same random stream from the seed alone, so a pair's answer does not
depend on its id, on sharding, worker count or order, nor on being run alone or in a batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import InputError
from facecli.io.inputs import InputItem
from facecli.io.mesh import read_mesh, read_points, write_mesh, write_points
from facecli.io.naming import safe_name
from facecli.io.trajectory import fragment_number
from facecli.registration.pipeline import (
    RegistrationConfig,
    RegistrationResult,
    TargetCache,
    nose_start,
    register_prepared,
    source_as_registered,
    with_source_scale,
)
from facecli.registration.preprocess import PreparedCloud, check_cloud, prepare_cloud, prepare_pair
from facecli.registration.quality import QUALITY_COLUMNS
from facecli.registration.scale import SCALE_COLUMNS

__all__ = [
    "ARRAY_ATTRS",
    "COUNTS",
    "STAGES",
    "RegisterJob",
    "aligned_name",
    "pair_items",
    "result_arrays",
    "write_moved",
]

STAGES = ("prepare", "match", "coarse", "fine")
COUNTS = ("matches", "tuples", "coarse_inliers", "fine_correspondences")

#: Descriptions and column names of the arrays a ``registration`` container holds.
ARRAY_ATTRS: dict[str, dict[str, str]] = {
    "transform": {"description": "4x4, maps the source as read onto the target (includes source_scale)"},
    "source_scale": {"description": "factor that brought the source into the target's units (1: none)"},
    "ok": {"description": "the success flag"},
    "quality": {"columns": ",".join(QUALITY_COLUMNS)},
    "scales": {"columns": ",".join(SCALE_COLUMNS), "description": "the distances used"},
    "seconds": {"columns": ",".join(STAGES)},
    "counts": {"columns": ",".join(COUNTS)},
    "pair": {"columns": "target,source", "description": "fragment numbers of the file names (-1: none)"},
}


def pair_items(root: Path) -> list[InputItem]:
    """The pairs of a ``synth pairs`` layout: every ``<id>/`` with source.ply and target.ply.

    Raises:
        InputError: ``root`` is not a directory or holds no pair.
    """
    if not root.is_dir():
        raise InputError(f"--pairs expects a directory of <id>/source.ply + <id>/target.ply, got {root}")
    items = [
        InputItem(d.name, d)
        for d in sorted(root.iterdir())
        if d.is_dir() and (d / "source.ply").exists() and (d / "target.ply").exists()
    ]
    if not items:
        raise InputError(f"{root} holds no <id>/source.ply + <id>/target.ply pair")
    return items


def result_arrays(res: RegistrationResult) -> dict[str, Any]:
    """The arrays stored per sample in the registration container."""
    q = res.quality
    return {
        "transform": res.transform,
        "coarse_transform": res.coarse_transform,
        "fitness": np.float32(res.fitness),
        "inlier_rmse": np.float32(res.inlier_rmse),
        "ok": np.bool_(res.ok),
        "source_scale": np.float32(res.source_scale),
        "quality": np.array([q[k] for k in QUALITY_COLUMNS], np.float32),
        "scales": res.scales.as_array().astype(np.float32) if res.scales else np.zeros(len(SCALE_COLUMNS), np.float32),
        "seconds": np.array([res.seconds.get(k, 0.0) for k in STAGES], np.float32),
        "counts": np.array([res.matches, res.tuples, res.coarse_inliers, res.fine_correspondences], np.int64),
    }


def aligned_name(item: InputItem, source: Path) -> str:
    """Where a batch writes the moved ``source`` of ``item``, relative to ``--write-aligned DIR``.

    Inputs found under a directory keep their relative path (so a FaceScape root gives a
    FaceScape root); pairs and inputs named by absolute or parent-relative paths are
    flattened with :func:`facecli.io.naming.safe_name`.
    """
    rel = Path(item.id)
    if item.path.is_dir():  # a synth-pairs folder: its source.ply
        return f"{safe_name(item.id)}.ply"
    if rel.is_absolute() or ".." in rel.parts:
        return safe_name(item.id).lstrip("_")
    return item.id if rel.suffix.lower() == source.suffix.lower() else f"{item.id}{source.suffix}"


def write_moved(source: Path, transform: np.ndarray, dest: Path) -> Path:
    """Write ``source`` moved by ``transform`` at full resolution.

    A mesh keeps its faces and vertex order (``.obj``/``.ply`` keep their format; other
    mesh formats are written as ``.ply``); a point cloud is written as ``.ply`` with its
    normals turned too.

    Args:
        source: the scan as read by the batch (mesh or point cloud), its own units.
        transform: (4, 4) float, source → target (rigid, or a similarity when the source was scaled).
        dest: the file to write.
    """
    mesh = read_mesh(source, allow_points=True)
    rot, shift = np.asarray(transform[:3, :3], np.float64), np.asarray(transform[:3, 3], np.float64)
    moved = mesh.vertices @ rot.T + shift
    if mesh.faces.shape[0] > 0:
        out = dest if dest.suffix.lower() in (".obj", ".ply") else dest.with_suffix(".ply")
        return write_mesh(out, moved, mesh.faces, colors=mesh.colors)
    normals = None
    if mesh.normals is not None:  # a similarity scales them: unit length again
        n = mesh.normals @ rot.T
        normals = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    return write_points(dest.with_suffix(".ply"), moved, normals=normals)


def _load(path: Path) -> np.ndarray:
    return read_points(path).vertices


@dataclass
class RegisterJob:
    """Register one item; picklable for worker processes.

    Attributes:
        config: registration parameters.
        target_path: the fixed target of single-pair mode (``None`` otherwise).
        template: the prepared template of ``--template`` mode (``None`` otherwise).
        aligned_dir: write each moved source here at full resolution (see :func:`aligned_name`), or ``None``.
        aligned_file: single-pair mode: write the moved source to this file.
        preview_dir / preview_file: PNG previews, same rule.
    """

    config: RegistrationConfig
    target_path: Path | None = None
    template: PreparedCloud | None = None
    template_name: str = "template"
    aligned_dir: Path | None = None
    aligned_file: Path | None = None
    preview_dir: Path | None = None
    preview_file: Path | None = None
    _cache: dict[str, TargetCache] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}  # trees are rebuilt in each worker
        return state

    def _target(self, key: str, cloud: PreparedCloud) -> TargetCache:
        if key not in self._cache:
            self._cache.clear()
            self._cache[key] = TargetCache.build(cloud)
        return self._cache[key]

    def _orientation(self, path: Path, source: np.ndarray, target: np.ndarray, target_name: str) -> Any:
        """The source face's orientation for the face crop (``None``: as given)."""
        cfg = self.config
        if not cfg.face_crop or cfg.orient != "auto":
            return None
        from facecli.registration.pipeline import source_orientation
        from facecli.registration.units import source_scale

        factor = source_scale(source, target, cfg.units, source_name=str(path), target_name=target_name)
        return source_orientation(path, source, target, factor)

    def __call__(self, item: InputItem) -> dict[str, Any]:
        cfg = self.config
        if self.template is not None:
            src_path, tgt_name = item.path, self.template_name
            src_pts = check_cloud(_load(src_path), source=str(src_path))
            tgt = self._target("template", self.template)
            orientation = self._orientation(src_path, src_pts, tgt.cloud.points, tgt_name)
            src_pts, factor = source_as_registered(
                src_pts, tgt.cloud.points, cfg, source_name=str(src_path), target_name=tgt_name, orientation=orientation
            )
            scales = self.template.scales
            t0 = time.perf_counter()
            src = prepare_cloud(src_pts, scales, device=cfg.device, full_normals=False, source=str(src_path))
            prep = time.perf_counter() - t0
        else:
            if self.target_path is not None:
                src_path, tgt_path = item.path, self.target_path
            else:
                src_path, tgt_path = item.path / "source.ply", item.path / "target.ply"
            src_pts, tgt_pts = _load(src_path), _load(tgt_path)
            tgt_name = str(tgt_path)
            src_pts = check_cloud(src_pts, source=str(src_path))
            tgt_pts = check_cloud(tgt_pts, source=tgt_name)
            orientation = self._orientation(src_path, src_pts, tgt_pts, tgt_name)
            src_pts, factor = source_as_registered(
                src_pts, tgt_pts, cfg, source_name=str(src_path), target_name=tgt_name, orientation=orientation
            )
            t0 = time.perf_counter()
            scales = cfg.scales(tgt_pts, src_pts)
            src, cloud = prepare_pair(
                src_pts,
                tgt_pts,
                scales,
                device=cfg.device,
                target_normals=cfg.fine == "gm",
                source_name=str(src_path),
                target_name=tgt_name,
            )
            tgt = TargetCache.build(cloud)
            prep = time.perf_counter() - t0
        start = nose_start(src.points, tgt.cloud.points, orientation) if cfg.face_crop else None
        res = register_prepared(src, tgt, cfg, scales, also_from=start)
        res.seconds = {"prepare": prep, **res.seconds}
        rigid = res.transform  # the scaled (and cut) source onto the target, for the preview
        tgt_file = Path(self.template_name) if self.template is not None else tgt_path
        numbers = [fragment_number(tgt_file), fragment_number(src_path)]
        if item.path.is_dir():  # a synth-pairs folder: no fragment numbers
            numbers = [None, None]
        res = with_source_scale(res, factor)
        if self.aligned_file is not None or self.aligned_dir is not None:
            write_moved(src_path, res.transform, self.aligned_file or self.aligned_dir / aligned_name(item, src_path))
        preview = self.preview_file or (self.preview_dir / f"{safe_name(item.id)}.png" if self.preview_dir else None)
        if preview is not None:
            from facecli.registration.preview import save_preview

            save_preview(preview, src.points, tgt.cloud.points, rigid, title=item.id)
        out = result_arrays(res)
        out["pair"] = np.array([-1 if n is None else n for n in numbers], np.int64)
        return out
