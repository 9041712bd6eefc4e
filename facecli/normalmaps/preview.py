"""PNG previews of normal maps (normals shown as RGB, scales side by side)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facecli.features.texture import normals_to_rgb
from facecli.io.image import write_image

__all__ = ["save_normals_preview"]


def save_normals_preview(path: Path, maps: Sequence[tuple[np.ndarray, np.ndarray]]) -> Path:
    """Write the scales of one sample side by side, each shown at the largest size.

    Args:
        path: the PNG.
        maps: per scale, (normals (s, s, 3) float, mask (s, s) bool).
    """
    import cv2

    big = max(n.shape[0] for n, _ in maps)
    tiles = []
    for n, m in maps:
        rgb = normals_to_rgb(np.asarray(n, dtype=np.float32), m)
        if rgb.shape[0] != big:
            rgb = cv2.resize(rgb, (big, big), interpolation=cv2.INTER_NEAREST)
        tiles.append(rgb)
        tiles.append(np.full((big, 4, 3), 255, np.uint8))
    return write_image(path, np.concatenate(tiles[:-1], axis=1))
