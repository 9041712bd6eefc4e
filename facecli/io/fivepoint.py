"""Five-point face labels as a CSV: ``image,lex,ley,rex,rey,nx,ny,lmx,lmy,rmx,rmy`` per face
(left eye centre, right eye centre, nose tip, left and right mouth corner, image pixels;
"left" is the image's left, MTFL/CUHK order). Image paths are relative to the CSV's folder
unless absolute; a header line is allowed. ``align train --five-point`` reads it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from facecli.errors import FormatError
from facecli.typing import PathLike

__all__ = ["read_five_points", "write_five_points"]


def read_five_points(path: PathLike) -> list[tuple[Path, np.ndarray]]:
    """The faces of a five-point CSV.

    Returns:
        ``(image path, (5, 2) float64 points)`` per line, in file order.

    Raises:
        InputError: the file is missing; FormatError: a line without 11 fields, a
        non-numeric coordinate, or no face at all (naming the file and line).
    """
    from facecli.io.text import read_text

    p = Path(path)
    text = read_text(p, "a five-point CSV (image and 10 coordinates per line)", allow_empty=False)
    out: list[tuple[Path, np.ndarray]] = []
    with io.StringIO(text, newline="") as fh:
        for n, row in enumerate(csv.reader(fh), 1):
            if not row or not "".join(row).strip():
                continue
            if len(row) != 11:
                raise FormatError(f"{p}:{n}: expected image and 10 coordinates, got {len(row)} fields")
            try:
                pts = np.array([float(v) for v in row[1:]], dtype=np.float64).reshape(5, 2)
            except ValueError:
                if n == 1:
                    continue  # header
                raise FormatError(f"{p}:{n}: expected numeric coordinates, got {','.join(row[1:])}") from None
            image = Path(row[0].strip())
            out.append((image if image.is_absolute() else p.parent / image, pts))
    if not out:
        raise FormatError(f"{p}: expected five-point faces, got none")
    return out


def write_five_points(path: PathLike, faces: list[tuple[PathLike, np.ndarray]]) -> Path:
    """Write faces as a five-point CSV (with a header), atomically.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "f.csv")
        >>> _ = write_five_points(p, [("a.jpg", np.arange(10.0).reshape(5, 2))])
        >>> read_five_points(p)[0][1][2].tolist()
        [4.0, 5.0]
    """
    from facecli.io.atomic import write_text

    lines = ["image,lex,ley,rex,rey,nx,ny,lmx,lmy,rmx,rmy"]
    for image, pts in faces:
        lines.append(",".join([str(image), *(f"{v:.3f}" for v in np.asarray(pts, np.float64).reshape(10))]))
    return write_text(path, "\n".join(lines) + "\n")
