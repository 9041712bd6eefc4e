"""Normal maps from face images with a trained CAP model (or the Sobel baseline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import InputError
from facecli.typing import PathLike

__all__ = ["RENDER_FRAMING", "frame_face", "DEFAULT_CAP", "CAPPredictor", "load_cap", "prepare_image"]

#: the shipped default model: trained on synthetic renders only (see its ``meta``)
DEFAULT_CAP = Path(__file__).resolve().parent.parent / "models" / "weights" / "cap_synthetic.pt"


#: Where ``facecli detect`` puts the face in the CAP training renders (``facecli synth images``,
#: 128 px): the box's height over the image side, and its centre's offset from the image
#: centre over the image side (x, y); medians over 47 renders the detector found (of 60;
#: measured with ``FaceDetector`` on ``facecli --seed 3 synth images --count 60 --size 128``,
#: re-measured by ``tests/normalmaps/test_face_framing.py``).
RENDER_FRAMING = (0.585, -0.016, -0.047)


def frame_face(image: np.ndarray, box: np.ndarray, framing: tuple[float, float, float] = RENDER_FRAMING) -> np.ndarray:
    """A square crop of a photo that frames its face as the training renders frame theirs.

    Args:
        image: (H, W, 3) or (H, W) uint8.
        box: (4,) x0, y0, x1, y1 of the face from ``facecli detect``.
        framing: (box height / side, centre offset x / side, centre offset y / side).

    Returns:
        (S, S, ...) uint8; parts outside the photo repeat its border.
    """
    import cv2

    x0, y0, x1, y1 = (float(v) for v in np.asarray(box, np.float64).reshape(4))
    side = max(y1 - y0, 1.0) / framing[0]
    cx = (x0 + x1) / 2 - framing[1] * side
    cy = (y0 + y1) / 2 - framing[2] * side
    n = max(int(round(side)), 1)
    m = np.array([[1.0, 0.0, n / 2 - cx], [0.0, 1.0, n / 2 - cy]])
    return cv2.warpAffine(np.asarray(image), m, (n, n), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def prepare_image(image: np.ndarray, size: int, *, source: str = "") -> np.ndarray:
    """Centre-crop to a square and resize to ``size`` (the model's input).

    Args:
        image: (H, W, 3) or (H, W) uint8.

    Returns:
        (size, size, 3) uint8 RGB.
    """
    import cv2

    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise InputError(f"expected an 8-bit image, got {img.dtype}{' in ' + source if source else ''}")
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    h, w = img.shape[:2]
    if h != w:
        m = min(h, w)
        r0, c0 = (h - m) // 2, (w - m) // 2
        img = img[r0 : r0 + m, c0 : c0 + m]
    if img.shape[0] != size:
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA if img.shape[0] > size else cv2.INTER_LINEAR)
    return np.ascontiguousarray(img)


@dataclass
class CAPPredictor:
    """A loaded CAP model.

    Attributes:
        net: the :class:`facecli.models.cap.CAPNet` in eval mode.
        input_size: the side the model was trained for; images are resized to it.
        meta: the model file's metadata (training data, command, metrics).
        path: where it was loaded from.
        device: torch device string.
    """

    net: Any
    input_size: int
    meta: dict = field(default_factory=dict)
    path: str = ""
    device: str = "cpu"

    def predict(self, images: np.ndarray, scales: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Normals and masks at each requested scale.

        Args:
            images: (B, S, S, 3) uint8 at ``input_size``.
            scales: output sizes. Each comes from the finest head at least that size
                (else the finest head), resized bilinearly and renormalised.

        Returns:
            scale -> (normals (B, s, s, 3) float32 unit, mask (B, s, s) bool).
        """
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(images.astype(np.float32) / 255.0).permute(0, 3, 1, 2).to(self.device)
        with torch.no_grad():
            outs = self.net(x)
        heads = {o.normals.shape[-1]: o for o in outs}
        result: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for s in scales:
            s = int(s)
            bigger = [h for h in heads if h >= s]
            h = min(bigger) if bigger else max(heads)
            o = heads[h]
            n, m = o.normals, o.mask_logits
            if h != s:
                n = F.interpolate(n, size=(s, s), mode="bilinear", align_corners=False, antialias=h > s)
                m = F.interpolate(m, size=(s, s), mode="bilinear", align_corners=False, antialias=h > s)
            n = F.normalize(n, dim=1, eps=1e-6)
            result[s] = (n.permute(0, 2, 3, 1).cpu().numpy().astype(np.float32), (m[:, 0] > 0).cpu().numpy())
        return result


def load_cap(path: PathLike | None = None, *, device: str = "cpu") -> CAPPredictor:
    """Load a CAP model file (the shipped synthetic-data default when ``path`` is None)."""
    from facecli.models.registry import load

    p = Path(path) if path is not None else DEFAULT_CAP
    if path is None and not p.exists():
        raise InputError(
            f"the default CAP model is missing from the package ({p}); train one with "
            f"'facecli normals train ROOT -o cap.pt' and pass --model cap.pt"
        )
    net, obj = load(p, expect="cap", device=device)
    meta = dict(obj.get("meta", {}))
    return CAPPredictor(net=net, input_size=int(meta.get("input_size", 128)), meta=meta, path=str(p), device=device)
