"""Running a trained MuSiCa on images: crop the face box, run the cascade (with early
exit), map the landmarks back to image pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DEFAULT_MUSICA", "AlignResult", "Aligner", "load_musica"]

#: The shipped model (synthetic WFLW-layout renders and MTFL's real five-point train faces; see its .json card).
DEFAULT_MUSICA = Path(__file__).resolve().parent.parent / "models" / "weights" / "musica_mtfl.pt"


@dataclass
class AlignResult:
    """Landmarks of one face.

    Attributes:
        landmarks: (L, 2) float32 image px.
        predicted_nme: the cascade's own estimate of its NME at exit.
        exit_iteration: 1-based iteration the face left the cascade at.
        box: (4,) the face box used.
    """

    landmarks: np.ndarray
    predicted_nme: float
    exit_iteration: int
    box: np.ndarray


def load_musica(path: Path | None = None, *, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """(model in eval mode, model-file dict) of a ``musica`` model file (default: shipped)."""
    from facecli.models.registry import load

    return load(path or DEFAULT_MUSICA, expect="musica", device=device)


class Aligner:
    """Batch landmark prediction.

    Args:
        model: a model file (None: the shipped one).
        device: torch device.
        exit_threshold: predicted-NME threshold of the early exit (0: full cascade).
        flip: also run each crop mirrored and average the two shapes (the mirrored one turned
            back, left and right points swapped): test-time averaging at twice the cost.
    """

    def __init__(
        self, model: Path | None = None, *, device: str = "cpu", exit_threshold: float = 0.0, flip: bool = False
    ) -> None:
        self.net, self.file = load_musica(model, device=device)
        self.device = device
        self.exit_threshold = exit_threshold
        self.flip = flip

    @property
    def n_landmarks(self) -> int:
        return int(self.net.config.n_landmarks)

    def box_from_five(self, points: np.ndarray) -> np.ndarray:
        """The face box this model expects, from a detector's five points.

        The model was trained on boxes that bound the annotated landmarks; this places its
        mean shape on the five points (eye centres, nose tip, mouth corners) by a similarity
        transform and returns the bounds of the placed shape.

        Args:
            points: (5, 2) x, y pixels in MTFL order (:func:`facecli.schemes.to_five`).

        Returns:
            (4,) float64 ``x0, y0, x1, y1``.
        """
        from facecli.landmarks2d.crop import box_from_five

        return box_from_five(points, self.net.mean_shape.detach().cpu().numpy())

    def predict(
        self, images: list[np.ndarray], boxes: list[np.ndarray], *, sources: list[str] | None = None
    ) -> list[AlignResult]:
        """Landmarks of one face per (image, box).

        Args:
            images: (H, W) or (H, W, 3) uint8 images.
            boxes: (4,) ``x0, y0, x1, y1`` face boxes, px.
            sources: names for error messages.
        """
        import torch

        from facecli.landmarks2d.crop import crop_transform, from_normalised, invert_affine, transform_points, warp_crop

        cfg = self.net.config
        mats = [
            crop_transform(b, cfg.crop, cfg.margin, source=(sources[i] if sources else "")) for i, b in enumerate(boxes)
        ]
        crops = np.stack([warp_crop(img, m, cfg.crop) for img, m in zip(images, mats)])[:, None]
        n = len(crops)
        if self.flip:  # the mirrored crops in the same batch
            crops = np.concatenate([crops, np.ascontiguousarray(crops[..., ::-1])])
        with torch.inference_mode():
            out = self.net(torch.from_numpy(crops).to(self.device), exit_threshold=self.exit_threshold or None)
        final = out.final.cpu().numpy()
        it = out.exit_iteration.cpu().numpy()
        if self.flip:
            from facecli.schemes import scheme_for

            # crop pixel i mirrors to C - 1 - i: in normalised units x -> -x; left and right swap
            back = final[n:][:, scheme_for(final.shape[1]).mirror] * np.array([-1.0, 1.0], np.float32)
            final = (final[:n] + back) / 2
            it = np.maximum(it[:n], it[n:])
        res = []
        for i, m in enumerate(mats):
            k = int(it[i]) - 1
            err = float(out.errors[min(k, len(out.errors) - 1)][i])
            pts = transform_points(invert_affine(m), from_normalised(final[i], cfg.crop)).astype(np.float32)
            res.append(AlignResult(pts, err, int(it[i]), np.asarray(boxes[i], dtype=np.float64)))
        return res
