"""Micro-expression clips on disk: a folder of numbered frames, or a video file.

Frame folders follow the datasets' naming (``img46.jpg`` in CASME II,
``006_05588.jpg`` in SAMM, ``image000123.jpg`` in SMIC): the frame number is the last
run of digits in the file name, and frames are ordered by it (not by name: ``img100``
comes after ``img99``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.io.image import IMAGE_SUFFIXES
from facecli.io.inputs import InputItem
from facecli.typing import PathLike

__all__ = [
    "FRAME_SUFFIXES",
    "VIDEO_SUFFIXES",
    "Clip",
    "find_clip_dir",
    "list_frames",
    "open_clip",
    "read_clip_frames",
    "resolve_clips",
]

#: Frame files of a clip folder: every image suffix (matched ignoring case).
FRAME_SUFFIXES = IMAGE_SUFFIXES
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".mpg", ".mpeg", ".wmv")
_NUM = re.compile(r"(\d+)(?!.*\d)")


@dataclass
class Clip:
    """A clip's frames.

    Attributes:
        source: the folder or video file.
        numbers: (T,) int64 frame numbers (from the file names; 0-based for videos).
        paths: the frame files (empty for a video).
    """

    source: Path
    numbers: np.ndarray
    paths: list[Path]

    def __len__(self) -> int:
        return len(self.numbers)

    def index_of(self, number: int) -> int:
        """Position of a frame number in the clip."""
        hits = np.flatnonzero(self.numbers == number)
        if hits.size == 0:
            raise FormatError(f"{self.source}: no frame number {number} (frames {self.numbers[0]}..{self.numbers[-1]})")
        return int(hits[0])


def list_frames(folder: PathLike) -> Clip:
    """The numbered frames of a clip folder, ordered by frame number.

    Raises:
        InputError: not a folder. FormatError: no numbered frames, a repeated frame
            number, or a gap in the numbering (a missing frame).
    """
    d = Path(folder)
    if not d.is_dir():
        raise InputError(f"no such clip folder: {d}")
    found: list[tuple[int, Path]] = []
    for f in d.iterdir():
        if f.suffix.lower() in FRAME_SUFFIXES:
            m = _NUM.search(f.stem)
            if m:
                found.append((int(m.group(1)), f))
    if not found:
        raise FormatError(f"{d}: no numbered frames ({', '.join(FRAME_SUFFIXES)})")
    found.sort()
    nums = np.array([n for n, _ in found], dtype=np.int64)
    if len(np.unique(nums)) != len(nums):
        dup = nums[np.flatnonzero(np.diff(nums) == 0)[0]]
        raise FormatError(f"{d}: frame number {dup} appears twice")
    gaps = np.flatnonzero(np.diff(nums) != 1)
    if gaps.size:
        a, b = nums[gaps[0]], nums[gaps[0] + 1]
        raise FormatError(f"{d}: frames missing between {a} and {b}")
    return Clip(source=d, numbers=nums, paths=[p for _, p in found])


def open_clip(path: PathLike) -> Clip:
    """A frame folder, or a video file (frames numbered from 0)."""
    p = Path(path)
    if p.is_dir():
        return list_frames(p)
    if not p.exists():
        raise InputError(f"no such clip: {p}")
    if p.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"{p}: expected a folder of frames or a video ({', '.join(VIDEO_SUFFIXES)})")
    import cv2

    cap = cv2.VideoCapture(str(p))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    cap.release()
    if n <= 0:
        raise FormatError(f"{p}: not a readable video")
    return Clip(source=p, numbers=np.arange(n, dtype=np.int64), paths=[])


def read_clip_frames(clip: Clip, *, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Grey frames ``[start, stop)`` (positions) of a clip.

    Returns:
        (T, H, W) uint8.

    Raises:
        FormatError: an unreadable frame or video, or frames of different sizes.
    """
    stop = len(clip) if stop is None else stop
    if clip.paths:
        from facecli.io.image import read_image

        frames = []
        for p in clip.paths[start:stop]:
            img = read_image(p, grey=True)
            if img.dtype != np.uint8:
                img = (img / 257).astype(np.uint8)
            if frames and img.shape != frames[0].shape:
                raise FormatError(
                    f"{p}: frame size {img.shape[1]}x{img.shape[0]} differs from the clip's "
                    f"{frames[0].shape[1]}x{frames[0].shape[0]}"
                )
            frames.append(img)
        return np.stack(frames)
    import cv2

    cap = cv2.VideoCapture(str(clip.source))
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    frames = []
    for _ in range(start, stop):
        ok, img = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    cap.release()
    if len(frames) != stop - start:
        raise FormatError(f"{clip.source}: could read only {len(frames)} of {stop - start} frames")
    return np.stack(frames)


def find_clip_dir(root: PathLike, subject: str, clip: str) -> Path:
    """The folder of a coded clip under a dataset root.

    Subject folders are matched with and without zero padding (SMIC's sheets say
    ``s01`` where its folders say ``s1``; CASME II uses ``sub01``, SAMM ``006``).
    """
    r = Path(root)
    digits = re.sub(r"\D", "", subject)
    prefix = re.sub(r"\d", "", subject)
    names = [subject]
    if digits:
        n = int(digits)
        names += [f"{prefix}{n}", f"{prefix}{n:02d}", f"{prefix}{n:03d}"]
    for name in dict.fromkeys(names):
        d = r / name / clip
        if d.is_dir():
            return d
    raise InputError(f"no folder for clip {subject}/{clip} under {r} (tried {', '.join(dict.fromkeys(names))})")


def _has_frames(d: Path) -> bool:
    return any(f.suffix.lower() in FRAME_SUFFIXES for f in d.iterdir() if f.is_file())


def resolve_clips(inputs: list[str], *, stdin: object | None = None, missing: str = "error") -> list[object]:
    """Resolve command-line clip inputs into sorted :class:`facecli.io.inputs.InputItem`.

    Each input is a folder of frames (one clip, id = ``parent/name`` as in
    ``sub01/EP02_01``, so clips of one dataset keep their subject), a video file (id = its
    file name), a folder of clip folders (every folder holding frames below it is a
    clip, id = its path relative to the input, e.g. ``sub01/EP02_01``), or ``-`` for
    such paths on stdin, one per line.

    Raises:
        InputError: a missing path, a folder with no frames below it, or two clips
            with the same id.
    """
    import sys

    tokens: list[str] = []
    for t in inputs:
        if t == "-":
            stream = stdin if stdin is not None else sys.stdin
            tokens += [ln.strip() for ln in stream.read().splitlines() if ln.strip() and not ln.startswith("#")]  # type: ignore[attr-defined]
        else:
            tokens.append(t)
    if not tokens:
        raise InputError("no clips given (frame folders, videos, a dataset root, or - for paths on stdin)")
    items: dict[str, InputItem] = {}

    def add(cid: str, path: Path) -> None:
        if cid in items and items[cid].path.resolve() != path.resolve():
            raise InputError(f"two clips share the id {cid!r}: {items[cid].path} and {path}")
        items[cid] = InputItem(cid, path)

    for t in tokens:
        p = Path(t)
        if p.is_file():
            if p.suffix.lower() not in VIDEO_SUFFIXES:
                raise InputError(f"{p}: expected a folder of frames or a video ({', '.join(VIDEO_SUFFIXES)})")
            add(p.name, p)
        elif p.is_dir():
            if _has_frames(p):
                full = p.resolve()
                add(f"{full.parent.name}/{full.name}" if full.parent.name else full.name, p)
                continue
            found = sorted(d for d in p.rglob("*") if d.is_dir() and _has_frames(d))
            if not found:
                raise InputError(f"{p}: no frame folders below it ({', '.join(FRAME_SUFFIXES)})")
            for d in found:
                add(d.relative_to(p).as_posix(), d)
        elif missing == "keep":
            items.setdefault(p.as_posix(), InputItem(p.as_posix(), p, error=f"no such clip: {p}"))
        else:
            raise InputError(f"no such clip: {p}")
    return sorted(items.values())
