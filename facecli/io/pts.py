"""300W ``.pts`` landmark files (1-based pixel coordinates) and the 300W layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.io.text import read_text
from facecli.typing import PathLike
from facecli.validation import check_array

__all__ = ["read_pts", "write_pts", "W300_SUBSETS", "W300Sample", "read_300w"]

#: 300W subsets: folder → (split, subset) as in the usual protocol.
W300_SUBSETS: dict[str, tuple[str, str]] = {
    "afw": ("train", "train"),
    "helen/trainset": ("train", "train"),
    "lfpw/trainset": ("train", "train"),
    "helen/testset": ("test", "common"),
    "lfpw/testset": ("test", "common"),
    "ibug": ("test", "challenging"),
}


def read_pts(path: PathLike) -> np.ndarray:
    """Read a ``.pts`` file.

    Returns:
        (K, 2) float32 landmark coordinates, 0-based (the file's 1-based values − 1).

    Raises:
        FormatError: missing header, braces, or a point count that does not match.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    lines = [ln.strip() for ln in read_text(p, "a .pts landmark file").splitlines() if ln.strip()]
    try:
        n_line = next(ln for ln in lines if ln.lower().startswith("n_points"))
        n = int(n_line.split(":")[1])
        start = lines.index("{") + 1
        end = lines.index("}")
    except (StopIteration, ValueError, IndexError) as exc:
        raise FormatError(f"{p}: expected a .pts file (n_points header and braces)") from exc
    try:
        pts = np.array([[float(v) for v in ln.split()[:2]] for ln in lines[start:end]], dtype=np.float32)
    except ValueError as exc:
        raise FormatError(f"{p}: non-numeric coordinates ({exc})") from exc
    if pts.shape != (n, 2):
        raise FormatError(f"{p}: expected {n} points (n_points), got {pts.shape[0]}")
    return pts - 1.0


def write_pts(path: PathLike, points: np.ndarray) -> Path:
    """Write (K, 2) 0-based coordinates as a 1-based ``.pts`` file."""
    p = Path(path)
    pts = check_array(points, "(K, 2)", name="landmarks", source=str(p)) + 1.0
    body = "\n".join(f"{x:.3f} {y:.3f}" for x, y in pts)
    p.parent.mkdir(parents=True, exist_ok=True)
    from facecli.io.atomic import write_text

    write_text(p, f"version: 1\nn_points:  {len(pts)}\n{{\n{body}\n}}\n", lock=False, durable=False)
    return p


@dataclass(frozen=True)
class W300Sample:
    """One 300W image: ``image`` path, ``pts`` path, ``split`` (train/test), ``subset``
    (train/common/challenging), ``id`` (path relative to the root)."""

    id: str
    image: Path
    pts: Path
    split: str
    subset: str


def read_300w(root: PathLike, *, split: str | None = None) -> list[W300Sample]:
    """List a 300W tree (``afw``, ``helen/{trainset,testset}``, ``lfpw/...``, ``ibug``).

    Args:
        root: the folder holding the subset folders.
        split: ``train``, ``test``, ``common``, ``challenging`` or ``full`` (= test);
            ``None`` lists everything.
    """
    r = Path(root)
    if not r.is_dir():
        raise InputError(f"no such directory: {r}")
    out: list[W300Sample] = []
    for folder, (sp, subset) in W300_SUBSETS.items():
        d = r / folder
        if not d.is_dir():
            continue
        for pts in sorted(d.glob("*.pts")):
            img = next((pts.with_suffix(s) for s in (".png", ".jpg", ".jpeg") if pts.with_suffix(s).exists()), None)
            if img is None:
                raise FormatError(f"{pts}: no image next to it (.png/.jpg)")
            out.append(W300Sample(img.relative_to(r).as_posix(), img, pts, sp, subset))
    if not out:
        raise FormatError(f"{r}: no 300W subsets found (expected {', '.join(W300_SUBSETS)})")
    if split in (None, "all"):
        return out
    if split in ("train", "test"):
        return [s for s in out if s.split == split]
    if split == "full":
        return [s for s in out if s.split == "test"]
    if split in ("common", "challenging"):
        return [s for s in out if s.subset == split]
    raise InputError(f"expected split train|test|common|challenging|full, got {split!r}")
