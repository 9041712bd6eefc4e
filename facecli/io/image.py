"""Image read/write (RGB order in memory, whatever OpenCV uses on disk)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike
from facecli.validation import check_array

__all__ = ["read_image", "write_image", "IMAGE_SUFFIXES"]

#: Image files every image command reads (matched without regard to case).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def read_image(path: PathLike, *, grey: bool = False) -> np.ndarray:
    """Read an image.

    Args:
        path: PNG, JPEG, BMP, PPM/PGM, TIFF or WebP file.
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
    _check_jpeg_end(p)
    img = cv2.imread(str(p), flag)
    if img is None:
        raise FormatError(f"{p}: not a readable image")
    if grey or img.ndim == 2:
        return img
    if img.shape[2] == 4:
        img = img[:, :, :3]
    return np.ascontiguousarray(img[:, :, ::-1])


def _check_jpeg_end(p: Path) -> None:
    """A JPEG cut off part-way decodes with grey rows and only a libjpeg warning: refuse
    a file that starts as a JPEG but lacks the end-of-image marker near its end."""
    with open(p, "rb") as fh:
        if fh.read(3) != b"\xff\xd8\xff":
            return
        size = fh.seek(0, 2)
        fh.seek(max(0, size - 1024))
        tail = fh.read()
    if b"\xff\xd9" in tail:
        return
    try:  # data after the image (a phone's motion-photo trailer...) also hide the marker: decode to be sure
        from PIL import Image

        with Image.open(p) as im:
            im.load()
        return
    except ImportError:
        return
    except (OSError, SyntaxError, ValueError):
        raise FormatError(
            f"{p}: the JPEG data end before the image does (no end-of-image marker): the file looks truncated"
        ) from None


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
    ok, encoded = cv2.imencode(p.suffix.lower(), out, params)
    if not ok:
        raise FormatError(f"{p}: OpenCV could not write the image")
    from facecli.io.atomic import write_bytes

    return write_bytes(p, encoded.tobytes(), lock=False, durable=False)
