"""Camera and file degradations of a training crop, so synthetic renders look more like photos
(issue #25, item 3).

A synthetic render is sharp, noise-free and losslessly stored; a photo from the web (LFW, the
MTFL faces) went through a lens, a sensor and a JPEG encoder, often at low resolution. During
``align train --photo-aug P`` a share P of the crops goes through a random chain of such
steps, each with its own chance: a tone curve (gamma and contrast), a loss of resolution
(down- and up-sampling) or a Gaussian blur, sensor noise, and JPEG compression. The landmarks
do not move. Every draw comes from the crop's own seeded generator, so an epoch is
reproducible.

Example:
    >>> import numpy as np
    >>> crop = np.tile(np.linspace(0, 255, 64, dtype=np.float32), (64, 1))
    >>> out = degrade(crop, np.random.default_rng(0))
    >>> out.shape, out.dtype, bool(out.min() >= 0 and out.max() <= 255)
    ((64, 64), dtype('float32'), True)
"""

from __future__ import annotations

import numpy as np

from facecli.errors import ValidationError

__all__ = ["degrade"]


def degrade(crop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random chain of photo degradations.

    Args:
        crop: (C, C) float32 grey crop, values 0–255.
        rng: the crop's generator.

    Returns:
        (C, C) float32, values 0–255.
    """
    import cv2

    if crop.ndim != 2:
        raise ValidationError(f"expected a (C, C) grey crop, got shape {crop.shape}")
    side = crop.shape[0]
    x = np.clip(crop.astype(np.float32), 0.0, 255.0)
    if rng.random() < 0.5:  # tone: gamma, then contrast about the mean
        gamma = float(np.exp(rng.uniform(np.log(0.6), np.log(1.6))))
        x = 255.0 * (x / 255.0) ** gamma
        x = (x - x.mean()) * float(rng.uniform(0.6, 1.3)) + x.mean()
    r = rng.random()
    if r < 0.3:  # low resolution: the face was small in the photo
        f = float(rng.uniform(0.3, 0.8))
        small = max(8, round(side * f))
        interp = cv2.INTER_AREA if rng.random() < 0.5 else cv2.INTER_LINEAR
        x = cv2.resize(
            cv2.resize(x, (small, small), interpolation=interp), (side, side), interpolation=cv2.INTER_LINEAR
        )
    elif r < 0.6:  # defocus or motion-free blur
        x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.4, 1.6)))
    if rng.random() < 0.4:  # sensor noise
        x = x + rng.normal(0.0, float(rng.uniform(1.0, 8.0)), size=x.shape).astype(np.float32)
    x = np.clip(x, 0.0, 255.0)
    if rng.random() < 0.6:  # JPEG
        quality = int(rng.integers(15, 91))
        ok, buf = cv2.imencode(".jpg", x.round().astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            x = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32)
    return x.astype(np.float32)
