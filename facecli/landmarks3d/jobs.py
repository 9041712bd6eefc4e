"""One ``landmarks3d predict`` sample: a mesh in, its landmarks out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facecli.io.inputs import InputItem

__all__ = ["LANDMARK_ATTRS", "LandmarksJob", "write_landmarks_text"]

#: Array attributes of a ``landmarks3d`` container.
LANDMARK_ATTRS: dict[str, dict[str, str]] = {
    "landmarks": {"units": "mm", "scheme": "facescape-v10", "description": "68 landmarks (iBUG order)"},
    "vertex": {
        "scheme": "facescape-v10",
        "description": "nearest vertex of the input mesh (the landmark's vertex when refined)",
    },
    "confidence": {"description": "peak heatmap value in [0, 1]"},
    "stage_one": {"units": "mm", "scheme": "facescape-v10", "description": "stage-one estimate before refinement"},
    "seconds": {"units": "s", "columns": "load,sample,network,refine"},
    "input_units": {"description": "units of the input mesh (m, cm, mm); landmarks are in mm"},
    "nose_tip": {"units": "mm", "description": "nose tip the face region was cut about (NaN: no face crop)"},
    "turn": {
        "description": "rotation R applied before the model, the face found turned (--orient auto): "
        "canonical = (mesh_mm - turn_pivot) @ R.T + turn_pivot; the identity when the mesh was used as given"
    },
    "turn_pivot": {"units": "mm", "description": "the point the mesh was turned about (the five-point nose tip)"},
}

_LANDMARKERS: dict[tuple, Any] = {}


def write_landmarks_text(path: Path, landmarks: np.ndarray, vertex: np.ndarray) -> Path:
    """A ``.pts``-like text file: the iBUG header, then ``x y z vertex`` per landmark (mm, 0-based vertex)."""
    lines = [f"{x:.4f} {y:.4f} {z:.4f} {int(v)}" for (x, y, z), v in zip(np.asarray(landmarks), np.asarray(vertex))]
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(lines)
    from facecli.io.atomic import write_text

    write_text(
        path,
        f"version: 1\nn_points:  {len(lines)}\n# x y z (mm) vertex (0-based)\n{{\n{body}\n}}\n",
        lock=False,
        durable=False,
    )
    return path


def _stem(sample_id: str) -> str:
    from facecli.io.naming import safe_name

    name = safe_name(sample_id)
    return name.rsplit(".", 1)[0] if "." in name.rsplit("__", 1)[-1] else name


@dataclass
class LandmarksJob:
    """Landmarks of one mesh (picklable for ``--workers``).

    Attributes:
        model: model file (None: the shipped one).
        device: torch device.
        seed: the run's seed.
        refine: run stage two.
        metric: stage-two distance (``geodesic`` or ``euclidean``).
        radius: stage-two candidate radius, in heatmap σ.
        crop_z: override of the model's crop (mm); ``"model"`` keeps the model's.
        units: ``auto`` (from the mesh's size: :func:`facecli.geometry.facefind.detect_units`),
            ``mm``, ``cm`` or ``m``; the mesh is scaled to millimetres.
        face_crop: keep only the face region about the nose tip
            (:func:`facecli.geometry.facefind.face_region`); vertex indices still refer to
            the whole mesh.
        min_confidence: a mesh whose mean confidence is below this fails (an error).
        samples: point samples per mesh, averaged (:class:`facecli.landmarks3d.predictor.Landmarker`).
        orient: ``auto`` finds which way the face looks
            (:func:`facecli.detection.scan_orientation.find_face_orientation`) and turns a mesh
            whose face is posed more than 15° from +Y up, +Z forward before the model sees it
            (landmarks are written in the mesh's own frame); ``given`` trusts the mesh.
        preview_dir: write ``<id>.png`` here.
        pts_dir: write ``<id>.pts`` here.
    """

    model: str | None = None
    device: str = "cpu"
    seed: int = 0
    refine: bool = True
    metric: str = "geodesic"
    radius: float = 2.0
    crop_z: Any = "model"
    units: str = "auto"
    face_crop: bool = True
    min_confidence: float = 0.0
    samples: int = 1
    orient: str = "auto"
    preview_dir: Path | None = None
    pts_dir: Path | None = None

    def landmarker(self) -> Any:
        from facecli.landmarks3d.predictor import Landmarker
        from facecli.landmarks3d.refine import RefineSettings

        key = (self.model, self.device, self.seed, self.refine, self.metric, self.radius, self.crop_z, self.samples)
        if key not in _LANDMARKERS:
            kw: dict[str, Any] = {
                "device": self.device,
                "seed": self.seed,
                "refine": self.refine,
                "settings": RefineSettings(radius=self.radius, metric=self.metric),
                "samples": self.samples,
            }
            if self.crop_z != "model":
                kw["crop_z"] = self.crop_z
            _LANDMARKERS[key] = Landmarker.from_file(Path(self.model) if self.model else None, **kw)
        return _LANDMARKERS[key]

    def __call__(self, item: InputItem) -> dict[str, np.ndarray]:
        import time

        from facecli.errors import InputError
        from facecli.geometry.facefind import UNIT_FACTORS, detect_units, face_region
        from facecli.io.mesh import Mesh, read_mesh

        t0 = time.perf_counter()
        mesh = read_mesh(item.path, allow_points=False)
        t_load = time.perf_counter() - t0
        units = detect_units(mesh.vertices) if self.units == "auto" else self.units
        v_mm = mesh.vertices * UNIT_FACTORS[units]
        tip = np.full(3, np.nan, np.float32)
        ids = None
        turn = np.eye(3)
        pivot = np.zeros(3)
        found = True
        near = None
        if self.orient == "auto":
            from facecli.detection.scan_orientation import find_face_orientation

            o = find_face_orientation(v_mm, mesh.faces, source=str(item.path))
            found = o.found
            if o.turned:
                v_mm, turn, pivot = o.to_canonical(v_mm), o.rotation, o.pivot
            if o.found:  # the detector's nose point: the tip is looked for about it
                near = o.to_canonical(o.keypoints[2:3])[0] if o.turned else o.keypoints[2]
        work = Mesh(vertices=v_mm, faces=mesh.faces, source=mesh.source)
        if self.face_crop:
            reg = face_region(v_mm, mesh.faces, source=str(item.path), near=near)
            work, ids, tip = Mesh(vertices=reg.vertices, faces=reg.faces, source=mesh.source), reg.ids, reg.nose_tip
        res = self.landmarker().predict(work, item.id, near=near)
        vertex = ids[res.vertex] if ids is not None else res.vertex
        conf = float(np.mean(res.confidence))
        if conf < self.min_confidence:
            raise InputError(
                f"{item.path}: mean landmark confidence {conf:.2f} is below --min-confidence {self.min_confidence:g} "
                + (
                    "(is it a face, +Y up and +Z towards the viewer?)"
                    if self.orient == "given"
                    else "(is it a face? the face detector found none in renders of it from any side)"
                    if not found
                    else "(is it a face?)"
                )
            )
        secs = np.array([t_load, res.seconds["sample"], res.seconds["network"], res.seconds["refine"]], np.float32)
        if self.preview_dir is not None:
            from facecli.landmarks3d.preview import save_landmarks_preview

            save_landmarks_preview(self.preview_dir / f"{_stem(item.id)}.png", work.vertices, work.faces, res.landmarks)
        # back to the mesh's own frame (mm)
        landmarks = (res.landmarks - pivot) @ turn + pivot
        stage_one = (res.stage_one - pivot) @ turn + pivot
        if np.isfinite(tip).all():
            tip = ((tip - pivot) @ turn + pivot).astype(np.float32)
        if self.pts_dir is not None:
            write_landmarks_text(self.pts_dir / f"{_stem(item.id)}.pts", landmarks, vertex)
        return {
            "landmarks": landmarks.astype(np.float32),
            "vertex": np.asarray(vertex, np.int64),
            "confidence": res.confidence.astype(np.float32),
            "stage_one": stage_one.astype(np.float32),
            "seconds": secs,
            "input_units": np.str_(units),
            "nose_tip": np.asarray(tip, np.float32),
            "turn": turn.astype(np.float32),
            "turn_pivot": pivot.astype(np.float32),
        }
