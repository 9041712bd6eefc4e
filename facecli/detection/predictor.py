"""Face detection: the MTCNN cascade (P-Net proposals over an image pyramid, R-Net and O-Net
refinement, non-maximum suppression between stages) on the networks of
:mod:`facecli.models.mtcnn`.

Boxes are image pixels, ``x0, y0, x1, y1`` with ``x1``/``y1`` exclusive (a 0-based pixel
grid: the box of a 10-pixel-wide face starting at column 5 is ``5, ., 15, .``); keypoints are
pixel centres in the same frame: left eye, right eye, nose, left and right mouth corner
(left = the image's left).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from facecli.validation import check_array

__all__ = ["DetectorConfig", "FaceDetector", "Faces", "nms", "square_boxes"]


@dataclass(frozen=True)
class DetectorConfig:
    """Settings of the cascade.

    Attributes:
        min_face: smallest face side to look for, pixels (sets the pyramid's first scale).
        thresholds: face-score thresholds of P-Net, R-Net and O-Net.
        scale_factor: ratio between pyramid levels.
        nms: IoU above which the lower-scored box is dropped: within a pyramid level, across
            levels, after R-Net, after O-Net (the last by intersection over the smaller box).
        max_side: images larger than this (longest side, pixels) are searched at a reduced
            size, the boxes mapped back (0: never).
    """

    min_face: float = 20.0
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)
    scale_factor: float = 0.709
    nms: tuple[float, float, float, float] = (0.5, 0.7, 0.7, 0.7)
    max_side: int = 0


@dataclass
class Faces:
    """The faces found in one image, best score first.

    Attributes:
        boxes: (K, 4) float32 x0, y0, x1, y1 pixels.
        scores: (K,) float32 in [0, 1], O-Net's face probability.
        keypoints: (K, 5, 2) float32 x, y pixels: eyes, nose, mouth corners.
    """

    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    keypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 5, 2), np.float32))

    def __len__(self) -> int:
        return len(self.scores)


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, *, by_min: bool = False) -> np.ndarray:
    """Greedy non-maximum suppression.

    Args:
        boxes: (K, 4) x0, y0, x1, y1. scores: (K,).
        threshold: overlap above which a lower-scored box is dropped.
        by_min: overlap as intersection over the smaller box instead of over the union.

    Returns:
        (M,) int64 indices of the kept boxes, best first.

    Example:
        >>> b = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], float)
        >>> nms(b, np.array([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    if not by_min and len(boxes) > 16 and float(np.min(scores)) > 0:  # OpenCV's C++ loop: same result, faster
        import cv2

        b = np.asarray(boxes, np.float64)
        xywh = np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], axis=1)
        s = np.asarray(scores, np.float32)
        kept = cv2.dnn.NMSBoxes(xywh, s, 0.0, float(threshold))
        return np.asarray(kept, np.int64).reshape(-1)
    x0, y0, x1, y1 = boxes.T
    area = np.maximum(x1 - x0, 0) * np.maximum(y1 - y0, 0)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]))
        h = np.maximum(0.0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]))
        inter = w * h
        denom = np.minimum(area[i], area[rest]) if by_min else area[i] + area[rest] - inter
        overlap = inter / np.maximum(denom, 1e-12)
        order = rest[overlap <= threshold]
    return np.asarray(keep, np.int64)


def square_boxes(boxes: np.ndarray) -> np.ndarray:
    """Each box made square about its centre, side = its longer side.

    Args:
        boxes: (K, 4) x0, y0, x1, y1.

    Returns:
        (K, 4) float64.
    """
    b = np.asarray(boxes, np.float64)
    side = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    return np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], axis=1)


def _refine(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    w = (boxes[:, 2] - boxes[:, 0])[:, None]
    h = (boxes[:, 3] - boxes[:, 1])[:, None]
    return boxes + offsets * np.concatenate([w, h, w, h], axis=1)


def _pyramid(image: np.ndarray, levels: int = 4) -> list[np.ndarray]:
    """The image at full, 1/2, 1/4... size (area averaging)."""
    import cv2

    out = [np.asarray(image)]
    for _ in range(levels - 1):
        h, w = out[-1].shape[:2]
        if min(h, w) < 2:
            break
        out.append(cv2.resize(out[-1], (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    return out


def _crops(pyramid: list[np.ndarray], boxes: np.ndarray, size: int) -> np.ndarray:
    """(K, size, size, 3) float32 crops of ``boxes`` resampled to ``size`` (zero outside).

    Each box is sampled bilinearly from the pyramid level where it is at least ``size``
    pixels across, so that the sampling does not alias; one ``cv2.remap`` per level.
    """
    import cv2

    out = np.zeros((len(boxes), size, size, 3), np.float32)
    if not len(boxes):
        return out
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    level = np.clip(np.floor(np.log2(np.maximum(side, 1e-6) / size)), 0, len(pyramid) - 1).astype(int)
    u = (np.arange(size, dtype=np.float32) + 0.5) / size
    for k in np.unique(level):
        sel = np.flatnonzero(level == k)
        f = np.float32(0.5**k)
        b = boxes[sel].astype(np.float32) * f
        xs = b[:, :1] + u[None] * (b[:, 2:3] - b[:, :1]) - 0.5  # (n, size)
        ys = b[:, 1:2] + u[None] * (b[:, 3:4] - b[:, 1:2]) - 0.5
        map_x = np.ascontiguousarray(np.broadcast_to(xs[:, None, :], (len(sel), size, size)).reshape(-1, size))
        map_y = np.ascontiguousarray(np.broadcast_to(ys[:, :, None], (len(sel), size, size)).reshape(-1, size))
        got = cv2.remap(pyramid[k], map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        out[sel] = got.reshape(len(sel), size, size, 3).astype(np.float32)
    return out


class FaceDetector:
    """The MTCNN cascade with the ``mtcnn`` package's trained weights.

    Args:
        config: the cascade's settings (:class:`DetectorConfig`).
        device: torch device for the networks.

    Example:
        >>> from skimage import data
        >>> faces = FaceDetector().detect(data.astronaut())
        >>> len(faces), bool(faces.scores[0] > 0.99)
        (1, True)
    """

    _cache: dict[str, tuple] = {}
    _lock = threading.Lock()

    def __init__(self, config: DetectorConfig | None = None, device: str = "cpu") -> None:
        self.config = config or DetectorConfig()
        self.device = device

    def _nets(self) -> tuple:
        with FaceDetector._lock:
            if self.device not in FaceDetector._cache:
                from facecli.models.mtcnn import load_mtcnn

                FaceDetector._cache[self.device] = tuple(n.to(self.device) for n in load_mtcnn())
            return FaceDetector._cache[self.device]

    def _tensor(self, rgb: np.ndarray):
        import torch

        x = (np.asarray(rgb, np.float32) - 127.5) / 128.0
        # (N, H, W, 3) is already the channels-last layout of (N, 3, H, W): no copy.
        t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2)
        return t.to(self.device)

    def detect(self, image: np.ndarray, *, name: str = "image") -> Faces:
        """The faces in one image.

        Args:
            image: (H, W, 3) uint8 RGB, or (H, W) grey.
            name: the image's name for error messages.

        Returns:
            :class:`Faces`, best first.
        """
        import torch

        img = np.asarray(image)
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        check_array(img, "(H, W, 3)", name="image", source=name)
        if img.dtype != np.uint8:
            img = np.clip(img.astype(np.float64) / max(float(img.max()), 1.0) * 255.0, 0, 255).astype(np.uint8)
        cfg = self.config
        factor = 1.0
        if cfg.max_side and max(img.shape[:2]) > cfg.max_side:
            import cv2

            factor = cfg.max_side / max(img.shape[:2])
            img = cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        with torch.inference_mode():
            faces = self._cascade(img, cfg.min_face * factor)
        if factor != 1.0:
            faces.boxes /= factor
            faces.keypoints /= factor
        return faces

    def _cascade(self, img: np.ndarray, min_face: float) -> Faces:
        import cv2

        cfg = self.config
        pnet, rnet, onet = self._nets()
        h, w = img.shape[:2]
        pyramid = _pyramid(img)
        # P-Net over the pyramid: a 12-pixel window at scale s sees a face of 12 / s pixels.
        scale = 12.0 / max(min_face, 12.0)
        found = []
        while min(h, w) * scale >= 12:
            sh, sw = int(np.ceil(h * scale)), int(np.ceil(w * scale))
            k = min(int(np.floor(np.log2(1.0 / scale))), len(pyramid) - 1)  # resize from the nearest finer octave
            level = cv2.resize(pyramid[k], (sw, sh), interpolation=cv2.INTER_AREA)
            prob, off = pnet(self._tensor(level[None]))
            prob, off = prob[0].cpu().numpy(), off[0].cpu().numpy()  # (H', W'), (4, H', W')
            iy, ix = np.nonzero(prob > cfg.thresholds[0])
            if ix.size:
                boxes = np.stack([2 * ix, 2 * iy, 2 * ix + 12, 2 * iy + 12], axis=1) / scale
                scores = prob[iy, ix]
                keep = nms(boxes, scores, cfg.nms[0])
                found.append((boxes[keep], scores[keep], off[:, iy[keep], ix[keep]].T))
            scale *= cfg.scale_factor
        if not found:
            return Faces()
        boxes, scores, offsets = (np.concatenate(a) for a in zip(*found))
        keep = nms(boxes, scores, cfg.nms[1])
        boxes = square_boxes(_refine(boxes[keep], offsets[keep]))
        # R-Net on 24 x 24 crops.
        prob, off, _ = rnet(self._tensor(_crops(pyramid, boxes, 24)))
        prob, off = prob.cpu().numpy(), off.cpu().numpy()
        ok = prob > cfg.thresholds[1]
        boxes, scores, off = boxes[ok], prob[ok], off[ok]
        if not len(boxes):
            return Faces()
        keep = nms(boxes, scores, cfg.nms[2])
        boxes = square_boxes(_refine(boxes[keep], off[keep]))
        # O-Net on 48 x 48 crops: final score, box and five points.
        prob, off, pts = onet(self._tensor(_crops(pyramid, boxes, 48)))
        prob, off, pts = prob.cpu().numpy(), off.cpu().numpy(), pts.cpu().numpy()
        ok = prob > cfg.thresholds[2]
        boxes, scores, off, pts = boxes[ok], prob[ok], off[ok], pts[ok]
        if not len(boxes):
            return Faces()
        bw, bh = (boxes[:, 2] - boxes[:, 0])[:, None], (boxes[:, 3] - boxes[:, 1])[:, None]
        kx = boxes[:, :1] + pts[:, :5] * bw
        ky = boxes[:, 1:2] + pts[:, 5:] * bh
        boxes = _refine(boxes, off)
        keep = nms(boxes, scores, cfg.nms[3], by_min=True)
        return Faces(
            boxes=boxes[keep].astype(np.float32),
            scores=scores[keep].astype(np.float32),
            keypoints=np.stack([kx, ky], axis=2)[keep].astype(np.float32),
        )
