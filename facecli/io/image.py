"""Image read/write (RGB order in memory, whatever OpenCV uses on disk)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike
from facecli.validation import check_array

__all__ = ["read_image", "write_image", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def read_image(path: PathLike, *, grey: bool = False) -> np.ndarray:
    """Read an image.

    Args:
        path: PNG/JPEG/BMP/TIFF file.
        grey: return one channel.

    Returns:
        (H, W, 3) uint8 RGB, or (H, W) uint8 if ``grey``; 16-bit PNGs keep uint16.

    Raises:
        InputError: missing file; FormatError: not a decodable image.
    """
    import cv2

    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    flag = cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_UNCHANGED
    img = cv2.imread(str(p), flag)
    if img is None:
        raise FormatError(f"{p}: not a readable image")
    if grey or img.ndim == 2:
        return img
    if img.shape[2] == 4:
        img = img[:, :, :3]
    return np.ascontiguousarray(img[:, :, ::-1])


def write_image(path: PathLike, image: np.ndarray, *, quality: int = 95) -> Path:
    """Write an image.

    Args:
        path: output file; the suffix picks the format.
        image: (H, W, 3) uint8 RGB, (H, W) uint8 grey, or (H, W) uint16 (PNG).
        quality: JPEG quality.
    """
    import cv2

    p = Path(path)
    img = check_array(image, "(H, W)" if np.ndim(image) == 2 else "(H, W, 3)", name="image", source=str(p))
    if img.dtype not in (np.uint8, np.uint16):
        raise FormatError(f"{p}: expected uint8/uint16 image, got {img.dtype}")
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise InputError(f"{p}: expected an image suffix ({', '.join(IMAGE_SUFFIXES)}), got {p.suffix!r}")
    p.parent.mkdir(parents=True, exist_ok=True)
    out = img if img.ndim == 2 else np.ascontiguousarray(img[:, :, ::-1])
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if p.suffix.lower() in (".jpg", ".jpeg") else []
    if not cv2.imwrite(str(p), out, params):
        raise FormatError(f"{p}: OpenCV could not write the image")
    return p
