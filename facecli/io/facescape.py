"""The FaceScape TU-model layout: ``<id>/<k>_<expr>.obj`` + ``landmark_indices.npz``.

All models of a FaceScape release share one topology, in millimetres; the 68
landmarks are vertex indices stored under key ``v10``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike

__all__ = [
    "FaceScapeScan",
    "read_facescape",
    "read_landmark_indices",
    "write_landmark_indices",
    "FACESCAPE_EXPRESSIONS",
]

#: FaceScape's 20 expression names by index.
FACESCAPE_EXPRESSIONS = {
    1: "neutral",
    2: "smile",
    3: "mouth_stretch",
    4: "anger",
    5: "jaw_left",
    6: "jaw_right",
    7: "jaw_forward",
    8: "mouth_left",
    9: "mouth_right",
    10: "dimpler",
    11: "chin_raiser",
    12: "lip_puckerer",
    13: "lip_funneler",
    14: "sadness",
    15: "lip_roll",
    16: "grin",
    17: "cheek_blowing",
    18: "eye_closed",
    19: "brow_raiser",
    20: "brow_lower",
}
_NAME = re.compile(r"^(\d+)_([A-Za-z_]+)\.(obj|ply)$")


@dataclass(frozen=True)
class FaceScapeScan:
    """One model: ``subject`` id, expression ``index`` and ``name``, ``path``, and
    ``id`` (path relative to the root)."""

    id: str
    subject: str
    index: int
    expression: str
    path: Path


def read_landmark_indices(path: PathLike, key: str = "v10") -> np.ndarray:
    """The (68,) int64 landmark vertex indices from ``landmark_indices.npz``."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    try:
        with np.load(p) as data:
            if key not in data.files:
                raise FormatError(f"{p}: no key {key!r} (has {', '.join(data.files)})")
            idx = np.asarray(data[key]).astype(np.int64).reshape(-1)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{p}: not a readable NPZ file ({exc})") from exc
    if idx.shape != (68,):
        raise FormatError(f"{p}: expected 68 landmark indices under {key!r}, got {idx.shape[0]}")
    return idx


def write_landmark_indices(path: PathLike, indices: np.ndarray, key: str = "v10") -> Path:
    """Write landmark vertex indices the way FaceScape stores them."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    from facecli.io.atomic import atomic_write

    if p.suffix != ".npz":
        p = p.with_name(p.name + ".npz")  # as np.savez names it
    with atomic_write(p, "wb") as fh:
        np.savez(fh, **{key: np.asarray(indices, dtype=np.int64)})
    return p


def read_facescape(root: PathLike) -> list[FaceScapeScan]:
    """List the models under a FaceScape-layout root, sorted by subject and index.

    Accepts ``<root>/<id>/<k>_<expr>.obj`` and the released
    ``<root>/<id>/models_reg/<k>_<expr>.obj``.
    """
    r = Path(root)
    if not r.is_dir():
        raise InputError(f"no such directory: {r}")
    out: list[FaceScapeScan] = []
    for sub in sorted(d for d in r.iterdir() if d.is_dir()):
        for folder in (sub, sub / "models_reg"):
            if not folder.is_dir():
                continue
            for f in sorted(folder.iterdir()):
                m = _NAME.match(f.name)
                if m:
                    out.append(FaceScapeScan(f.relative_to(r).as_posix(), sub.name, int(m.group(1)), m.group(2), f))
    if not out:
        raise FormatError(f"{r}: no FaceScape models found (expected <id>/<k>_<expr>.obj)")
    return sorted(out, key=lambda s: (_natural(s.subject), s.index))


def _natural(text: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))
