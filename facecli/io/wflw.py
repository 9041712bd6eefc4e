"""WFLW annotation lists: 196 coordinates, rect, 6 attribute flags, image name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.io.text import read_text
from facecli.typing import PathLike
from facecli.validation import check_array

__all__ = ["WFLW_ATTRIBUTES", "WFLWRecord", "read_wflw_list", "format_wflw_line", "WFLW_LIST_DIR"]

WFLW_ATTRIBUTES = ("pose", "expression", "illumination", "make-up", "occlusion", "blur")
WFLW_LIST_DIR = "WFLW_annotations/list_98pt_rect_attr_train_test"


@dataclass(frozen=True)
class WFLWRecord:
    """One WFLW face: ``landmarks`` (98, 2) float32 px, ``rect`` (4,) x_min y_min
    x_max y_max, ``attributes`` (6,) int flags, ``image`` relative name."""

    landmarks: np.ndarray
    rect: np.ndarray
    attributes: np.ndarray
    image: str


def format_wflw_line(landmarks: np.ndarray, rect: np.ndarray, attributes: np.ndarray, image: str) -> str:
    """One list line in WFLW's format."""
    lm = check_array(landmarks, "(98, 2)", name="landmarks")
    rc = check_array(rect, "(4,)", name="rect")
    at = check_array(attributes, "(6,)", name="attributes", dtype_kind="iub")
    parts = [f"{v:.6f}" for v in lm.reshape(-1)] + [str(int(round(v))) for v in rc] + [str(int(a)) for a in at]
    return " ".join(parts + [image])


def read_wflw_list(path: PathLike) -> list[WFLWRecord]:
    """Read ``list_98pt_rect_attr_{train,test}.txt`` (or a subset list).

    Raises:
        FormatError: a line without 207 fields, naming the line.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    out: list[WFLWRecord] = []
    for n, line in enumerate(read_text(p, "a WFLW annotation list").splitlines(), 1):
        f = line.split()
        if not f:
            continue
        if len(f) != 207:
            raise FormatError(f"{p}:{n}: expected 207 fields (196 coords, 4 rect, 6 flags, name), got {len(f)}")
        try:
            vals = np.array(f[:206], dtype=np.float64)
        except ValueError as exc:
            raise FormatError(f"{p}:{n}: non-numeric field ({exc})") from exc
        out.append(
            WFLWRecord(
                vals[:196].reshape(98, 2).astype(np.float32), vals[196:200], vals[200:206].astype(np.int64), f[206]
            )
        )
    return out
