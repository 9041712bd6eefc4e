"""One ``align predict`` sample: an image (and its face box) in, landmarks out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.io.inputs import InputItem

__all__ = ["ALIGN_ATTRS", "AlignJob", "draw_preview"]

#: Array attributes of a ``landmarks2d`` container.
ALIGN_ATTRS: dict[str, dict[str, str]] = {
    "landmarks": {"units": "px", "description": "(L, 2) x, y, 0-based image pixels"},
    "box": {"units": "px", "description": "face box x0, y0, x1, y1 used"},
    "predicted_nme": {"description": "the cascade's estimate of its own NME at exit"},
    "exit_iteration": {"description": "1-based cascade iteration the face left at"},
    "box_source": {
        "description": "annotation | boxes-file | detector (facecli detect's points) | image (the whole image)"
    },
}


@dataclass
class AlignJob:
    """Landmarks of one face per item (picklable for ``--workers``).

    Attributes:
        model: model file (None: the shipped one).
        device: torch device.
        exit_threshold: early-exit threshold on the predicted NME (0: full cascade).
        flip: average each face's shape with its mirror image's
            (:class:`facecli.landmarks2d.predictor.Aligner`).
        boxes: item id → face box (:func:`facecli.io.boxes.expand_faces`); items without one use the whole image.
        box_source: where ``boxes`` came from (``annotation``, ``boxes-file`` or ``detector``).
        keypoints: item id → (5, 2) detector points; such a face's box is the model's own
            (:meth:`facecli.landmarks2d.predictor.Aligner.box_from_five`), source ``detector``.
        scheme: write the landmarks in this scheme (:func:`facecli.schemes.convert`; None:
            the model's own).
        pts_dir: write ``<id>.pts`` here (1-based, as 300W).
        preview_dir: write ``<id>.png`` previews here.
    """

    model: str | None = None
    device: str = "cpu"
    exit_threshold: float = 0.0
    flip: bool = False
    boxes: Mapping[str, np.ndarray] = field(default_factory=dict)
    box_source: str = "boxes-file"
    keypoints: Mapping[str, np.ndarray] = field(default_factory=dict)
    scheme: str | None = None
    pts_dir: Path | None = None
    preview_dir: Path | None = None
    _aligner: Any = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["_aligner"] = None
        return d

    def _get(self) -> Any:
        if self._aligner is None:
            from facecli.landmarks2d.predictor import Aligner

            self._aligner = Aligner(
                Path(self.model) if self.model else None,
                device=self.device,
                exit_threshold=self.exit_threshold,
                flip=self.flip,
            )
        return self._aligner

    def __call__(self, item: InputItem) -> dict[str, Any]:
        from facecli.io.image import read_image

        img = read_image(item.path)
        if img.dtype != np.uint8:
            img = (img / 257).astype(np.uint8)
        if img.ndim == 3 and img.shape[2] == 4:
            img = img[..., :3]
        box = self.boxes.get(item.id)
        source = self.box_source
        if item.id in self.keypoints:
            box, source = self._get().box_from_five(self.keypoints[item.id]), "detector"
        elif box is None:
            h, w = img.shape[:2]
            box, source = np.array([0.0, 0.0, w - 1.0, h - 1.0]), "image"
        res = self._get().predict([img], [box], sources=[str(item.path)])[0]
        points = res.landmarks
        if self.scheme is not None:
            from facecli.schemes import convert

            points = convert(points, self.scheme).astype(np.float32)
        from facecli.io.naming import safe_name

        if self.pts_dir is not None:
            from facecli.io.pts import write_pts

            write_pts(self.pts_dir / f"{safe_name(item.id)}.pts", points.astype(np.float64))
        if self.preview_dir is not None:
            draw_preview(self.preview_dir / f"{safe_name(item.id)}.png", img, points, res.box)
        return {
            "landmarks": points.astype(np.float32),
            "box": res.box.astype(np.float32),
            "predicted_nme": np.float32(res.predicted_nme),
            "exit_iteration": np.int64(res.exit_iteration),
            "box_source": np.str_(source),
        }


def draw_preview(path: Path, image: np.ndarray, landmarks: np.ndarray, box: np.ndarray | None = None) -> Path:
    """PNG of the image with its landmarks (green dots) and face box (blue)."""
    import cv2

    from facecli.io.image import write_image

    img = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    scale = max(1, int(round(max(img.shape[:2]) / 400)))
    if box is not None:
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(img, (x0, y0), (x1, y1), (60, 120, 255), scale)
    for x, y in landmarks:
        cv2.circle(img, (int(round(x)), int(round(y))), max(1, scale), (40, 230, 40), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, img)
    return path
