"""Facial regions of interest for apex spotting.

With landmarks (from ``facecli align`` once it lands) the ROIs would sit on the
eyebrows, eyes, nose, mouth corners and chin. Until then the documented fallback is
a regular grid of cells over the face box: the face box is the whole frame (the
datasets' *cropped* releases are face crops) unless ``--face-box x,y,w,h`` gives it.
The cells are the ROIs; the spotting score pools the cells that change most, so
the regions that move (brows, mouth corners, ...) dominate wherever they fall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError

__all__ = ["FaceBox", "clip_face_box", "grid_rois", "parse_face_box"]


@dataclass(frozen=True)
class FaceBox:
    """Face box in pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    def clip_to(self, width: int, height: int, *, source: str = "") -> FaceBox:
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.x + self.w), min(height, self.y + self.h)
        if x1 - x0 < 16 or y1 - y0 < 16:
            where = f" in {source}" if source else ""
            raise InputError(
                f"expected a face box of at least 16x16 px inside the {width}x{height} frame, "
                f"got {self.x},{self.y},{self.w},{self.h}{where}"
            )
        return FaceBox(x0, y0, x1 - x0, y1 - y0)


def parse_face_box(text: str | None) -> FaceBox | None:
    """``"x,y,w,h"`` in pixels; None, ``auto`` and ``frame`` give None (no fixed box)."""
    if text is None or text in ("auto", "frame"):
        return None
    try:
        x, y, w, h = (int(round(float(v))) for v in text.split(","))
    except ValueError:
        raise InputError(f"expected --face-box x,y,w,h in pixels, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise InputError(f"expected a positive face-box width and height, got {text!r}")
    return FaceBox(x, y, w, h)


def clip_face_box(frame: np.ndarray, given: FaceBox | None, detect: bool) -> tuple[FaceBox, str]:
    """The face box of a clip and where it came from.

    Args:
        frame: (H, W) or (H, W, 3) uint8, the clip's onset frame (the face at rest).
        given: a fixed box (``--face-box x,y,w,h``), used as is.
        detect: find the face on ``frame`` with the face detector (the best-scored face).

    Returns:
        ``(box, source)``: source ``given``, ``detector``, or ``frame`` (the whole frame: no
        box given, or the detector found no face).
    """
    h, w = frame.shape[:2]
    if given is not None:
        return given, "given"
    if detect:
        from facecli.detection.predictor import FaceDetector

        img = frame if frame.dtype == np.uint8 else np.clip(frame, 0, 255).astype(np.uint8)
        faces = FaceDetector().detect(img)
        if len(faces):
            x0, y0, x1, y1 = (int(round(float(v))) for v in faces.boxes[0])
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if x1 - x0 >= 16 and y1 - y0 >= 16:
                return FaceBox(x0, y0, x1 - x0, y1 - y0), "detector"
    return FaceBox(0, 0, w, h), "frame"


def grid_rois(box: FaceBox, cells: int) -> np.ndarray:
    """(cells², 4) int ROIs ``x0, y0, x1, y1`` (pixels, exclusive ends), row-major."""
    if cells < 1:
        raise InputError(f"expected at least 1 grid cell per side, got {cells}")
    xs = np.round(np.linspace(box.x, box.x + box.w, cells + 1)).astype(int)
    ys = np.round(np.linspace(box.y, box.y + box.h, cells + 1)).astype(int)
    return np.array([[xs[j], ys[i], xs[j + 1], ys[i + 1]] for i in range(cells) for j in range(cells)], dtype=np.int64)
