"""Embeddings of real photos: detect, align, high-dimensional descriptors, projection.

One photo → its largest face, or the face nearest the image centre (facecli's detector) → its
98 points (the shipped ``align`` model, placed on the detector's five points) → the
high-dimensional descriptors the model holds (LBP, SIFT, Gabor: :mod:`facecli.recognition.hdparts`)
→ the fitted projection (:class:`facecli.models.hd_lda.HDDescriptorLDA`) → one unit-length
embedding. ``grid-attn verify`` scores pairs of them by the cosine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facecli.io.inputs import InputItem

__all__ = ["DEFAULT_HD", "PhotoEmbedJob", "choose_face", "load_hd_projection"]

#: The shipped projection, fitted on the real LFW (see its .json card).
DEFAULT_HD = Path(__file__).resolve().parent.parent / "models" / "weights" / "hd_lfw.pt"

_STATE: dict[tuple[str | None, str], tuple[Any, Any, Any, dict[str, Any]]] = {}


def load_hd_projection(path: Path | None = None, *, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """A projection file (the shipped one if None): ``(network in eval mode, file dict)``."""
    from facecli.models.registry import load

    return load(path or DEFAULT_HD, expect="hd-lda", device=device)


def choose_face(boxes: np.ndarray, height: int, width: int, rule: str = "largest") -> int:
    """Index of the face to embed.

    Args:
        boxes: (F, 4) float x0 y0 x1 y1, F ≥ 1.
        height, width: the image's size.
        rule: ``largest`` (the largest box) or ``centre`` (the box whose centre is nearest the
            image centre: LFW's convention, what the LFW benchmark uses).

    Example:
        >>> b = np.array([[0, 0, 50, 50], [40, 40, 60, 60]], float)
        >>> choose_face(b, 100, 100), choose_face(b, 100, 100, "centre")
        (0, 1)
    """
    if rule == "largest":
        return int(np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))
    if rule == "centre":
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        return int(np.argmin(np.linalg.norm(centres - [width / 2, height / 2], axis=1)))
    raise ValueError(f"expected a face rule largest|centre, got {rule!r}")


@dataclass
class PhotoEmbedJob:
    """The embedding of one photo's face (picklable for ``--workers``).

    Attributes:
        model: projection file (None: the shipped one).
        device: torch device.
        choose: which face of a photo with several (:func:`choose_face`).
    """

    model: str | None = None
    device: str = "cpu"
    choose: str = "largest"

    def state(self) -> tuple[Any, Any, Any, dict[str, Any]]:
        """The detector, aligner, projection and its file dict, made once per process."""
        key = (self.model, self.device)
        if key not in _STATE:
            from facecli.detection import FaceDetector
            from facecli.landmarks2d.predictor import Aligner

            net, obj = load_hd_projection(Path(self.model) if self.model else None, device=self.device)
            _STATE[key] = (FaceDetector(device=self.device), Aligner(device=self.device), net, obj)
        return _STATE[key]

    def __call__(self, item: InputItem) -> dict[str, np.ndarray]:
        import torch

        from facecli.errors import InputError
        from facecli.io.image import read_image
        from facecli.recognition.hdparts import describe
        from facecli.schemes import to_five

        det, aligner, net, _ = self.state()
        img = read_image(item.path)
        faces = det.detect(img, name=str(item.path))
        if not len(faces):
            raise InputError(f"{item.path}: no face found")
        k = choose_face(faces.boxes, *img.shape[:2], rule=self.choose)
        five0 = faces.keypoints[k].astype(np.float64)
        lm = aligner.predict([img], [aligner.box_from_five(five0)], sources=[str(item.path)])[0].landmarks
        five = to_five(lm)
        desc = describe(img, five, lm, net.config.parts)
        with torch.no_grad():
            emb = net([torch.from_numpy(d[None].astype(np.float32)).to(self.device) for d in desc])[0].cpu().numpy()
        return {
            "embedding": emb.astype(np.float32),
            "face_box": faces.boxes[k].astype(np.float32),
            "five": five.astype(np.float32),
        }
