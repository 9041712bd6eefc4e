"""Face-alignment datasets as lists of faces: WFLW (annotation lists) and 300W (.pts).

Each :class:`FaceRecord` holds the image path, the true landmarks, the face box and
the subsets the face belongs to (WFLW: ``test`` plus the attribute subsets ``pose``,
``expression``, ``illumination``, ``make-up``, ``occlusion``, ``blur``; 300W:
``common``/``challenging``/``full`` or ``train``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike

__all__ = ["FORMATS", "FaceRecord", "guess_format", "landmark_box", "load_alignment_set"]

FORMATS = ("wflw", "300w")


@dataclass(frozen=True)
class FaceRecord:
    """One annotated face.

    Attributes:
        id: image path relative to the dataset root (``#k`` appended for the k-th face
            of an image with several).
        image: the image file.
        landmarks: (L, 2) float32 px (0-based), L = 98 (WFLW) or 68 (300W).
        box: (4,) float64 ``x0, y0, x1, y1`` px.
        subsets: the subsets the face is in.
    """

    id: str
    image: Path
    landmarks: np.ndarray
    box: np.ndarray
    subsets: tuple[str, ...]


def landmark_box(landmarks: np.ndarray) -> np.ndarray:
    """(4,) float64 ``x0, y0, x1, y1`` bounds of (L, 2) landmarks."""
    lm = np.asarray(landmarks, dtype=np.float64)
    return np.concatenate([lm.min(axis=0), lm.max(axis=0)])


def guess_format(root: PathLike) -> str:
    """``wflw`` when the root has WFLW's annotation folder, else ``300w``."""
    from facecli.io.wflw import WFLW_LIST_DIR

    return "wflw" if (Path(root) / WFLW_LIST_DIR).is_dir() else "300w"


def _wflw(root: Path, split: str) -> list[FaceRecord]:
    from facecli.io.wflw import WFLW_ATTRIBUTES, WFLW_LIST_DIR, read_wflw_list

    splits = ("train", "test") if split == "all" else (split,)
    out: list[FaceRecord] = []
    for sp in splits:
        lst = root / WFLW_LIST_DIR / f"list_98pt_rect_attr_{sp}.txt"
        if not lst.exists():
            raise InputError(f"{root}: no WFLW list {lst.relative_to(root)}")
        seen: dict[str, int] = {}
        for rec in read_wflw_list(lst):
            img = root / "WFLW_images" / rec.image
            k = seen.get(rec.image, 0)
            seen[rec.image] = k + 1
            subsets = (sp,) + tuple(a for a, f in zip(WFLW_ATTRIBUTES, rec.attributes) if f)
            fid = f"{rec.image}#{k}" if k else rec.image
            out.append(FaceRecord(fid, img, rec.landmarks.astype(np.float32), rec.rect.astype(np.float64), subsets))
    return out


def _300w(root: Path, split: str) -> list[FaceRecord]:
    from facecli.io.pts import read_300w, read_pts

    wanted = {
        "all": None,
        "train": "train",
        "test": "test",
        "common": "common",
        "challenging": "challenging",
        "full": "full",
    }
    if split not in wanted:
        raise InputError(f"expected --split train|test|common|challenging|full|all for 300W, got {split!r}")
    out = []
    for s in read_300w(root, split=wanted[split]):
        lm = read_pts(s.pts).astype(np.float32)
        if lm.shape != (68, 2):
            raise FormatError(f"{s.pts}: expected 68 points, got {len(lm)}")
        subsets = ("train",) if s.split == "train" else (s.subset, "full")
        out.append(FaceRecord(s.id, s.image, lm, landmark_box(lm), subsets))
    return out


def load_alignment_set(root: PathLike, *, fmt: str = "auto", split: str = "all") -> list[FaceRecord]:
    """The faces of a WFLW or 300W root.

    Args:
        root: dataset root (WFLW: ``WFLW_images/`` + ``WFLW_annotations/``; 300W: the
            folder holding ``afw``, ``helen``, ``lfpw``, ``ibug``).
        fmt: ``wflw``, ``300w`` or ``auto``.
        split: ``train``, ``test`` or ``all`` (300W also ``common``, ``challenging``,
            ``full``).

    Raises:
        InputError: no such root or list; FormatError: bad annotation files.
    """
    r = Path(root)
    if not r.is_dir():
        raise InputError(f"no such dataset root: {r}")
    f = guess_format(r) if fmt == "auto" else fmt
    if f not in FORMATS:
        raise InputError(f"expected --format wflw|300w, got {fmt!r}")
    faces = _wflw(r, split) if f == "wflw" else _300w(r, split)
    if not faces:
        raise InputError(f"{r}: no annotated faces in split {split!r}")
    return faces
