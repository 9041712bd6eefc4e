"""One ``facecli detect`` sample: an image in, its faces out; and the face pre-pass that
``--boxes auto`` runs in the commands that need a face box."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.detection.predictor import DetectorConfig, FaceDetector, Faces
from facecli.io.inputs import InputItem

__all__ = ["FACES_ATTRS", "FACES_RAGGED", "DetectJob", "aligned_path", "detect_faces", "draw_faces", "faces_csv_rows"]

#: Array attributes of a ``faces`` container.
FACES_ATTRS: dict[str, dict[str, str]] = {
    "boxes": {"units": "px", "description": "(K, 4) x0, y0, x1, y1 per face, best first; K may be 0"},
    "scores": {"description": "(K,) face probability of the detector's last stage"},
    "keypoints": {
        "units": "px",
        "description": "(K, 5, 2) x, y: left eye, right eye, nose tip, left and right mouth corner",
    },
    "image_size": {"units": "px", "description": "height, width of the image"},
}
#: Keys whose shape varies with the number of faces.
FACES_RAGGED = ("boxes", "scores", "keypoints")


def _load_rgb(path: Path) -> np.ndarray:
    from facecli.io.image import read_image

    img = read_image(path)
    if img.dtype != np.uint8:
        img = (img / 257).astype(np.uint8)
    return img


@dataclass
class DetectJob:
    """The faces of one image per item (picklable for ``--workers``).

    Attributes:
        config: the detector's settings.
        device: torch device.
        preview_dir: write ``<id>.png`` (boxes, scores, keypoints) here.
        aligned_dir: write every face here, aligned to the five-point template
            (:mod:`facecli.detection.alignment`) by its keypoints: :func:`aligned_path`.
        aligned_size: the aligned faces' side, px.
    """

    config: DetectorConfig = field(default_factory=DetectorConfig)
    device: str = "cpu"
    preview_dir: Path | None = None
    aligned_dir: Path | None = None
    aligned_size: int = 112
    _detector: Any = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["_detector"] = None
        return d

    def detect(self, image: np.ndarray, name: str = "image") -> Faces:
        """The faces of an (H, W, 3) uint8 RGB image."""
        if self._detector is None:
            self._detector = FaceDetector(self.config, device=self.device)
        return self._detector.detect(image, name=name)

    def __call__(self, item: InputItem) -> dict[str, Any]:
        img = _load_rgb(item.path)
        faces = self.detect(img, str(item.path))
        if self.preview_dir is not None:
            from facecli.io.naming import safe_name

            draw_faces(self.preview_dir / f"{safe_name(item.id)}.png", img, faces)
        if self.aligned_dir is not None:
            from facecli.detection.alignment import align_face
            from facecli.io.image import write_image

            for k, pts in enumerate(faces.keypoints):
                write_image(aligned_path(self.aligned_dir, item.id, k), align_face(img, pts, self.aligned_size))
        return {
            "boxes": faces.boxes,
            "scores": faces.scores,
            "keypoints": faces.keypoints,
            "image_size": np.asarray(img.shape[:2], np.int64),
        }


def aligned_path(folder: Path, image_id: str, k: int = 0) -> Path:
    """Where face ``k`` of an image goes: the image's relative path with ``.png`` (``#k`` added
    for the second face on), so a folder of photos gives the same tree of faces.

    Example:
        >>> aligned_path(Path("out"), "Ann/Ann_0001.jpg", 1).as_posix()
        'out/Ann/Ann_0001#1.png'
        >>> aligned_path(Path("out"), "/data/x.jpg").as_posix()  # not relative: flattened
        'out/__data__x.png'
    """
    from facecli.io.naming import safe_name

    rel = Path(image_id)
    if rel.is_absolute() or ".." in rel.parts:
        rel = Path(safe_name(image_id))
    return Path(folder) / rel.with_name(f"{rel.stem}{f'#{k}' if k else ''}.png")


def detect_faces(
    items: list[InputItem],
    job: DetectJob,
    *,
    progress: Callable[[Iterable[InputItem]], Iterable[InputItem]] = lambda it: it,
) -> tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]], list[str]]:
    """The face pre-pass of ``--boxes auto``: detect in every readable image.

    Unreadable images are left to the command's own job, which reports them.

    Returns:
        ``(boxes, keypoints, no_face)``: image id → its boxes ((4,) each, best first), image
        id → their (5, 2) keypoints, and the ids of images with no face.
    """
    boxes: dict[str, list[np.ndarray]] = {}
    points: dict[str, list[np.ndarray]] = {}
    none: list[str] = []
    for it in progress(items):
        if it.error is not None:
            continue
        try:
            img = _load_rgb(it.path)
        except Exception:  # noqa: BLE001 - the command's job reports unreadable images itself
            continue
        faces = job.detect(img, str(it.path))
        if len(faces):
            boxes[it.id] = [b.astype(np.float64) for b in faces.boxes]
            points[it.id] = [k.astype(np.float64) for k in faces.keypoints]
        else:
            none.append(it.id)
    return boxes, points, none


def faces_csv_rows(ids: list[str], boxes: list[np.ndarray], scores: list[np.ndarray]) -> list[list[str]]:
    """CSV rows ``image,x0,y0,x1,y1,score`` (one per face, best first), which ``--boxes`` reads.

    Example:
        >>> faces_csv_rows(["a.jpg"], [np.array([[1, 2, 30, 40]])], [np.array([0.99])])
        [['a.jpg', '1.0', '2.0', '30.0', '40.0', '0.9900']]
    """
    rows = []
    for sid, b, s in zip(ids, boxes, scores):
        for box, score in zip(np.asarray(b, np.float64).reshape(-1, 4), np.asarray(s).reshape(-1)):
            rows.append([sid, *(f"{v:.1f}" for v in box), f"{float(score):.4f}"])
    return rows


def draw_faces(path: Path, image: np.ndarray, faces: Faces) -> Path:
    """PNG of the image with each face's box, score and keypoints."""
    import cv2

    from facecli.io.image import write_image

    img = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    t = max(1, int(round(max(img.shape[:2]) / 400)))
    for box, score, pts in zip(faces.boxes, faces.scores, faces.keypoints):
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        cv2.rectangle(img, (x0, y0), (x1, y1), (60, 120, 255), t)
        cv2.putText(img, f"{score:.2f}", (x0, max(y0 - 3, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * t, (60, 120, 255), t)
        for x, y in pts:
            cv2.circle(img, (int(round(x)), int(round(y))), t + 1, (40, 230, 40), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, img)
    return path
