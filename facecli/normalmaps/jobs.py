"""One input file -> the arrays of one sample of a ``normals`` container (picklable,
so ``--workers`` can run it in a process pool)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import InputError, ValidationError
from facecli.io.inputs import InputItem
from facecli.normalmaps.geometry import GeometryOptions, geometry_normal_maps, input_kind

__all__ = ["TextureOptions", "NormalsJob", "per_scale", "MIN_IMAGE_SIDE"]

#: The least side of a photo that can hold a face worth a normal map, in pixels.
MIN_IMAGE_SIDE = 16

_PREDICTORS: dict[tuple[str, str], Any] = {}


def per_scale(values: Sequence[float], scales: Sequence[int], name: str) -> list[float]:
    """One value for every scale: a single value is repeated, else one per scale."""
    vals = list(values)
    if len(vals) == 1:
        return vals * len(scales)
    if len(vals) != len(scales):
        raise InputError(f"expected one {name} or one per scale ({len(scales)}), got {len(vals)}")
    return vals


@dataclass
class TextureOptions:
    """LBP/GLCM settings per scale (see :mod:`facecli.features.texture`).

    Attributes:
        points: LBP sampling points per scale. radius: LBP radius (px) per scale.
        cell: GLCM cell side (px) per scale. levels: GLCM grey levels.
    """

    points: Sequence[int]
    radius: Sequence[float]
    cell: Sequence[int]
    levels: int = 16

    @classmethod
    def defaults(cls, scales: Sequence[int]) -> TextureOptions:
        """P = 16 and R = 2 at scales >= 256, else P = 8, R = 1; cells of s/16 px (>= 4)."""
        return cls(
            points=[16 if s >= 256 else 8 for s in scales],
            radius=[2.0 if s >= 256 else 1.0 for s in scales],
            cell=[max(4, s // 16) for s in scales],
        )


@dataclass
class NormalsJob:
    """Compute one sample.

    Attributes:
        scales: output sizes.
        kind: forced input kind or ``auto``.
        geometry: geometry options.
        texture: texture options, or None for no texture channels.
        image_method: ``cap`` or ``sobel`` for image inputs.
        model: CAP model file (None: the shipped default).
        sobel_strength: height scale of the Sobel baseline.
        poses: one (4, 4) transform for every input (key ``*``) or one per sample id.
        device: torch device for the CAP model (``auto``, ``cpu``, ``cuda``).
        preview_dir: write ``<id>.png`` previews here.
        face_boxes: photos: ``auto`` (frame the face ``facecli detect`` finds as the training
            renders are framed; the centre square where it finds none), ``image`` (the centre
            square), or image id / file name → its face box.
    """

    scales: Sequence[int]
    kind: str = "auto"
    geometry: GeometryOptions = field(default_factory=GeometryOptions)
    texture: TextureOptions | None = None
    image_method: str = "cap"
    model: str | None = None
    sobel_strength: float = 4.0
    poses: Mapping[str, np.ndarray] | None = None
    device: str = "cpu"
    preview_dir: Path | None = None
    face_boxes: str | Mapping[str, np.ndarray] = "auto"

    @property
    def preload(self) -> tuple[str, ...]:
        """Modules for ``--workers`` to import once, before forking (:func:`facecli.batch.run_batch`).

        The geometry path's: Open3D's import alone is ~1.3 s of CPU. Not torch, which is left to
        each worker as before.
        """
        return (
            "facecli.normalmaps.geometry",
            "facecli.geometry.raycast",
            "facecli.geometry.facefind",
            "facecli.geometry.normals",
            "facecli.io.mesh",
            "open3d",
            "scipy.spatial",
            "h5py",
        )

    def params(self, *, pose_file: str | None = None, boxes: str = "auto") -> dict[str, Any]:
        """The run's parameters, as stored in the container (``--resume`` compares them).

        Args:
            pose_file: the ``--pose`` file the poses came from. boxes: the ``--boxes`` value.
        """
        from facecli.features.texture import TEXTURE_CHANNELS

        tex = self.texture
        return {
            "scales": list(self.scales),
            "kind": self.kind,
            "geometry": self.geometry.as_dict(),
            "image_method": self.image_method,
            "model": self.model or "default (synthetic)",
            "pose": pose_file,
            "boxes": boxes,
            "texture": None
            if tex is None
            else {
                "channels": list(TEXTURE_CHANNELS),
                "points": list(tex.points),
                "radius": list(tex.radius),
                "cell": list(tex.cell),
                "levels": tex.levels,
            },
        }

    def array_attrs(self) -> dict[str, dict[str, str]]:
        """Units, layouts and descriptions of every array the job writes."""
        from facecli.features.texture import TEXTURE_CHANNELS

        attrs: dict[str, dict[str, str]] = {}
        for s in self.scales:
            attrs[f"normals_{s}"] = {"layout": "NHWC", "frame": "view: +x right, +y up, +z to camera"}
            attrs[f"mask_{s}"] = {"layout": "NHW"}
            attrs[f"depth_{s}"] = {"units": "mm", "layout": "NHW", "description": "from the camera plane along -Z"}
            attrs[f"texture_{s}"] = {"layout": "NHWC", "channels": ",".join(TEXTURE_CHANNELS)}
        attrs["view"] = {"units": "mm", "columns": "centre_x,centre_y,width,z_camera"}
        attrs["face_box"] = {"units": "px", "description": "photos: x0, y0, x1, y1 of the face framed"}
        attrs["face_box_source"] = {"description": "photos: detector | boxes-file | image (the centre square)"}
        return attrs

    def _pose(self, sample_id: str) -> np.ndarray | None:
        if not self.poses:
            return None
        if "*" in self.poses:
            return self.poses["*"]
        if sample_id not in self.poses:
            raise InputError(f"no pose for {sample_id!r} in the --pose file ({len(self.poses)} ids)")
        return self.poses[sample_id]

    def _face(self, item: InputItem, img: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
        """The photo cropped to its face: ``(crop, box x0 y0 x1 y1, source)``."""
        from facecli.normalmaps.predictor import frame_face

        h, w = img.shape[:2]
        whole = np.array([0.0, 0.0, w, h], np.float32)
        if isinstance(self.face_boxes, str):
            if self.face_boxes != "auto":
                return img, whole, "image"
            from facecli.detection.predictor import FaceDetector

            faces = FaceDetector().detect(img, name=str(item.path))
            if not len(faces):
                return img, whole, "image"
            box, source = faces.boxes[0], "detector"
        else:
            found = self.face_boxes.get(item.id, self.face_boxes.get(item.path.name))
            if found is None:
                return img, whole, "image"
            box, source = np.asarray(found, np.float32), "boxes-file"
        return frame_face(img, box), np.asarray(box, np.float32), source

    def _image_maps(self, item: InputItem) -> dict[str, np.ndarray]:
        path = item.path
        from facecli.io.image import read_image
        from facecli.normalmaps.predictor import load_cap, prepare_image
        from facecli.normalmaps.sobel import sobel_normals

        img = read_image(path)
        if img.dtype != np.uint8:
            raise InputError(f"expected an 8-bit photograph, got {img.dtype} in {path} (a depth map? use --kind depth)")
        if min(img.shape[:2]) < MIN_IMAGE_SIDE:
            raise ValidationError(
                f"expected a face photo of at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE} px, got "
                f"{img.shape[1]}x{img.shape[0]} in {path}"
            )
        img, box, source = self._face(item, img)
        out: dict[str, np.ndarray] = {"face_box": box, "face_box_source": np.str_(source)}
        if self.image_method == "sobel":
            for s in self.scales:
                n = sobel_normals(prepare_image(img, int(s), source=str(path)), self.sobel_strength)
                out[f"normals_{s}"] = n
                out[f"mask_{s}"] = np.ones(n.shape[:2], dtype=bool)
            return out
        device = self.device
        if device == "auto":  # resolved here: geometry-only runs never import torch
            from facecli.train.distributed import resolve_device

            device = resolve_device(device)
        key = (str(self.model), device)
        if key not in _PREDICTORS:
            _PREDICTORS[key] = load_cap(self.model, device=device)
        pred = _PREDICTORS[key]
        x = prepare_image(img, pred.input_size, source=str(path))[None]
        for s, (n, m) in pred.predict(x, self.scales).items():
            out[f"normals_{s}"] = n[0]
            out[f"mask_{s}"] = m[0]
        return out

    def __call__(self, item: InputItem) -> dict[str, np.ndarray]:
        from facecli.features.texture import normals_to_grey, texture_channels

        kind = input_kind(item.path, self.kind)
        if kind == "image":
            if self.poses:
                raise InputError(f"--pose applies to geometry, not to the image {item.path}")
            arrays = self._image_maps(item)
        else:
            arrays = geometry_normal_maps(item.path, kind, self.geometry, pose=self._pose(item.id))
        out: dict[str, np.ndarray] = {}
        tex = self.texture
        for i, s in enumerate(self.scales):
            n, m = arrays[f"normals_{s}"], arrays[f"mask_{s}"]
            out[f"normals_{s}"] = n.astype(np.float16)
            out[f"mask_{s}"] = m.astype(bool)
            if f"depth_{s}" in arrays:
                out[f"depth_{s}"] = arrays[f"depth_{s}"].astype(np.float32)
            if tex is not None:
                grey = normals_to_grey(n, m)
                out[f"texture_{s}"] = texture_channels(
                    grey,
                    points=int(tex.points[i]),
                    radius=float(tex.radius[i]),
                    cell=int(tex.cell[i]),
                    levels=tex.levels,
                ).astype(np.float16)
        for key in (
            "view",
            "input_units",
            "non_manifold_edges",
            "dropped_faces",
            "turn",
            "turn_pivot",
            "face_box",
            "face_box_source",
        ):
            if key in arrays:
                out[key] = arrays[key]
        if self.preview_dir is not None:
            from facecli.io.naming import safe_name
            from facecli.normalmaps.preview import save_normals_preview

            save_normals_preview(
                self.preview_dir / f"{safe_name(item.id)}.png",
                [(arrays[f"normals_{s}"], arrays[f"mask_{s}"]) for s in self.scales],
            )
        return out
