"""Face boxes between commands: the ``image,x0,y0,x1,y1`` CSV, a ``faces`` container from
``facecli detect``, and one sample per face.

An image with several faces gives one sample per face, ids ``image``, ``image#1``,
``image#2``... in the file's order (best detection first for ``faces`` containers).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from facecli.errors import FormatError
from facecli.io.inputs import InputItem

__all__ = ["expand_faces", "face_id", "read_boxes", "read_face_boxes"]


def read_boxes(path: Path) -> dict[str, list[np.ndarray]]:
    """Face boxes from a CSV: ``image,x0,y0,x1,y1`` per line (a header line is allowed; more
    columns, such as ``facecli detect --csv``'s score, are ignored).

    The image is matched by its id (the path relative to the input folder) or file name.
    An image may have several lines, one per face, kept in file order
    (:func:`expand_faces` gives each its own sample).

    Returns:
        image → its boxes, each (4,) float64 x0, y0, x1, y1.

    Raises:
        InputError: the file is missing.
        FormatError: a binary or empty file, no box at all, a line without 5 fields or
            with non-numeric coordinates (naming the file and line).
    """
    import io

    from facecli.io.text import read_text

    out: dict[str, list[np.ndarray]] = {}
    text = read_text(path, "a face-box CSV (image,x0,y0,x1,y1 per line)", allow_empty=False)
    with io.StringIO(text, newline="") as fh:
        for n, row in enumerate(csv.reader(fh), 1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 5:
                raise FormatError(f"{path}:{n}: expected image,x0,y0,x1,y1, got {len(row)} fields")
            try:
                box = np.array([float(v) for v in row[1:5]], dtype=np.float64)
            except ValueError:
                if n == 1:
                    continue  # header
                raise FormatError(f"{path}:{n}: expected numeric x0,y0,x1,y1, got {','.join(row[1:5])}") from None
            if box[2] <= box[0] or box[3] <= box[1]:
                raise FormatError(f"{path}:{n}: expected x1 > x0 and y1 > y0, got {','.join(row[1:5])}")
            out.setdefault(row[0].strip(), []).append(box)
    if not out:
        raise FormatError(f"{path}: expected face boxes (image,x0,y0,x1,y1 per line), got none")
    return out


def face_id(image_id: str, k: int) -> str:
    """The sample id of face ``k`` (0-based) of an image: the image's id, then ``id#1``, ``id#2``...
    (the convention of the dataset readers, so that one face per image keeps its plain id)."""
    return f"{image_id}#{k}" if k else image_id


def expand_faces(
    items: list[InputItem], boxes: Mapping[str, list[np.ndarray]]
) -> tuple[list[InputItem], dict[str, np.ndarray]]:
    """One sample per face: an image with ``n`` boxes becomes ``n`` items (:func:`face_id`).

    Args:
        items: the images. boxes: image id or file name → its boxes (:func:`read_boxes`).

    Returns:
        ``(items, box of each item id)``; images without a box stay one item, without a box.
    """
    out: list[InputItem] = []
    box_of: dict[str, np.ndarray] = {}
    for it in items:
        found = boxes.get(it.id, boxes.get(it.path.name)) if it.error is None else None
        if not found:
            out.append(it)
            continue
        for k, box in enumerate(found):
            fid = face_id(it.id, k)
            out.append(InputItem(fid, it.path))
            box_of[fid] = box
    return out, box_of


def read_face_boxes(path: Path) -> dict[str, list[np.ndarray]]:
    """Face boxes from a ``faces`` container (``facecli detect``) or a CSV (:func:`read_boxes`).

    Returns:
        image → its boxes, each (4,) float64 x0, y0, x1, y1, best detection first; an
        image where the detector found no face has an empty list.

    Raises:
        InputError: the file is missing; FormatError: neither a faces container nor a box CSV.
    """
    from facecli.errors import InputError
    from facecli.io.container import ContainerReader, is_container

    path = Path(path)
    if not path.exists():
        raise InputError(f"no such face-box file: {path}")
    if not is_container(path):
        return read_boxes(path)
    with ContainerReader(path, kind="faces") as reader:
        ids, all_boxes = reader.ids, list(reader.read("boxes"))
    out: dict[str, list[np.ndarray]] = {}
    for sid, boxes in zip(ids, all_boxes):
        out[sid] = list(np.asarray(boxes, np.float64).reshape(-1, 4))
    return out
