"""One ``align predict`` sample: an image (and its face box) in, landmarks out."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import FormatError
from facecli.io.inputs import InputItem

__all__ = ["ALIGN_ATTRS", "AlignJob", "draw_preview", "expand_faces", "face_id", "read_boxes"]

#: Array attributes of a ``landmarks2d`` container.
ALIGN_ATTRS: dict[str, dict[str, str]] = {
    "landmarks": {"units": "px", "description": "(L, 2) x, y, 0-based image pixels"},
    "box": {"units": "px", "description": "face box x0, y0, x1, y1 used"},
    "predicted_nme": {"description": "the cascade's estimate of its own NME at exit"},
    "exit_iteration": {"description": "1-based cascade iteration the face left at"},
    "box_source": {"description": "annotation | boxes-file | image (whole image: no box was given)"},
}


def read_boxes(path: Path) -> dict[str, list[np.ndarray]]:
    """Face boxes from a CSV: ``image,x0,y0,x1,y1`` per line (a header line is allowed).

    The image is matched by its id (the path relative to the input folder) or file name.
    An image may have several lines, one per face, kept in file order
    (:func:`expand_faces` gives each its own sample).

    Returns:
        image → its boxes, each (4,) float64 x0, y0, x1, y1.

    Raises:
        InputError: the file is missing.
        FormatError: a binary or empty file, no box at all, a line without 5 fields or
            with non-numeric coordinates (naming the file and line).
    """
    import io

    from facecli.io.text import read_text

    out: dict[str, list[np.ndarray]] = {}
    text = read_text(path, "a face-box CSV (image,x0,y0,x1,y1 per line)", allow_empty=False)
    with io.StringIO(text, newline="") as fh:
        for n, row in enumerate(csv.reader(fh), 1):
            if not row or not "".join(row).strip():
                continue
            if len(row) != 5:
                raise FormatError(f"{path}:{n}: expected image,x0,y0,x1,y1, got {len(row)} fields")
            try:
                box = np.array([float(v) for v in row[1:]], dtype=np.float64)
            except ValueError:
                if n == 1:
                    continue  # header
                raise FormatError(f"{path}:{n}: expected numeric x0,y0,x1,y1, got {','.join(row[1:])}") from None
            if box[2] <= box[0] or box[3] <= box[1]:
                raise FormatError(f"{path}:{n}: expected x1 > x0 and y1 > y0, got {','.join(row[1:])}")
            out.setdefault(row[0].strip(), []).append(box)
    if not out:
        raise FormatError(f"{path}: expected face boxes (image,x0,y0,x1,y1 per line), got none")
    return out


def face_id(image_id: str, k: int) -> str:
    """The sample id of face ``k`` (0-based) of an image: the image's id, then ``id#1``, ``id#2``...
    (the convention of the dataset readers, so that one face per image keeps its plain id)."""
    return f"{image_id}#{k}" if k else image_id


def expand_faces(
    items: list[InputItem], boxes: Mapping[str, list[np.ndarray]]
) -> tuple[list[InputItem], dict[str, np.ndarray]]:
    """One sample per face: an image with ``n`` boxes becomes ``n`` items (:func:`face_id`).

    Args:
        items: the images. boxes: image id or file name → its boxes (:func:`read_boxes`).

    Returns:
        ``(items, box of each item id)``; images without a box stay one item, without a box.
    """
    out: list[InputItem] = []
    box_of: dict[str, np.ndarray] = {}
    for it in items:
        found = boxes.get(it.id, boxes.get(it.path.name)) if it.error is None else None
        if not found:
            out.append(it)
            continue
        for k, box in enumerate(found):
            fid = face_id(it.id, k)
            out.append(InputItem(fid, it.path))
            box_of[fid] = box
    return out, box_of


@dataclass
class AlignJob:
    """Landmarks of one face per item (picklable for ``--workers``).

    Attributes:
        model: model file (None: the shipped one).
        device: torch device.
        exit_threshold: early-exit threshold on the predicted NME (0: full cascade).
        boxes: item id → face box (:func:`expand_faces`); items without one use the whole image.
        box_source: where ``boxes`` came from (``annotation`` or ``boxes-file``).
        pts_dir: write ``<id>.pts`` here (1-based, as 300W).
        preview_dir: write ``<id>.png`` previews here.
    """

    model: str | None = None
    device: str = "cpu"
    exit_threshold: float = 0.0
    boxes: Mapping[str, np.ndarray] = field(default_factory=dict)
    box_source: str = "boxes-file"
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
                Path(self.model) if self.model else None, device=self.device, exit_threshold=self.exit_threshold
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
        if box is None:
            h, w = img.shape[:2]
            box, source = np.array([0.0, 0.0, w - 1.0, h - 1.0]), "image"
        res = self._get().predict([img], [box], sources=[str(item.path)])[0]
        from facecli.io.naming import safe_name

        if self.pts_dir is not None:
            from facecli.io.pts import write_pts

            write_pts(self.pts_dir / f"{safe_name(item.id)}.pts", res.landmarks.astype(np.float64))
        if self.preview_dir is not None:
            draw_preview(self.preview_dir / f"{safe_name(item.id)}.png", img, res.landmarks, res.box)
        return {
            "landmarks": res.landmarks.astype(np.float32),
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
