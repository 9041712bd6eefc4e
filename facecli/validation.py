"""One boundary check for arrays: shape, dtype kind and finiteness.

Every public function that takes arrays from outside calls :func:`check_array`, so
errors read the same everywhere::

    >>> import numpy as np
    >>> check_array(np.zeros((5, 3)), "(N, 3)", name="points").shape
    (5, 3)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from facecli.errors import ValidationError

__all__ = ["check_array", "check_face_millimetres", "parse_shape_spec", "format_shape", "MIN_FACE_DIAGONAL_MM"]

_DIM = re.compile(r"^\s*(\d+|[A-Za-z_][A-Za-z_0-9]*|\.\.\.)\s*$")


def parse_shape_spec(spec: str | Sequence[int | str]) -> list[int | str]:
    """Parse ``"(N, 3)"`` into ``["N", 3]``; a list is returned unchanged."""
    if not isinstance(spec, str):
        return list(spec)
    body = spec.strip().strip("()")
    if not body:
        return []
    dims: list[int | str] = []
    for part in body.split(","):
        if not part.strip():
            continue
        m = _DIM.match(part)
        if m is None:
            raise ValueError(f"bad shape spec {spec!r}")
        tok = m.group(1)
        dims.append(int(tok) if tok.isdigit() else tok)
    return dims


def format_shape(shape: Sequence[int | str]) -> str:
    """``(5, 3)`` or ``(N, 3)``, with a trailing comma for one dimension."""
    inner = ", ".join(str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def check_array(
    array: object,
    shape: str | Sequence[int | str],
    *,
    name: str = "array",
    source: str | None = None,
    dtype_kind: str | None = "fiu",
    finite: bool = True,
    min_len: int | None = None,
) -> np.ndarray:
    """Check an array at a boundary and return it as an ``np.ndarray``.

    Args:
        array: anything ``np.asarray`` accepts.
        shape: the expected shape, e.g. ``"(N, 3)"``; named dimensions match any size
            (and must agree with each other), integers must match exactly, ``...``
            stands for any number of leading dimensions.
        name: what the array is, used in the message (``points``, ``landmarks``).
        source: where it came from (a file name), appended as ``in <source>``.
        dtype_kind: allowed NumPy dtype kinds (``"f"`` float, ``"i"``/``"u"``
            integers, ``"b"`` bool); ``None`` skips the check.
        finite: reject NaN and infinity in floating arrays.
        min_len: the least size of the first axis.

    Returns:
        The array, unchanged but as ``np.ndarray``.

    Raises:
        ValidationError: ``expected (N, 3) points, got (N, 2) in scan_012.ply``.
    """
    where = f" in {source}" if source else ""
    arr = np.asarray(array)
    dims = parse_shape_spec(shape)
    got = tuple(arr.shape)
    ok = True
    if dims and dims[0] == "...":
        tail = dims[1:]
        ok = arr.ndim >= len(tail)
        compare = list(zip(tail, got[arr.ndim - len(tail) :])) if ok else []
    else:
        ok = arr.ndim == len(dims)
        compare = list(zip(dims, got)) if ok else []
    bound: dict[str, int] = {}
    for want, have in compare:
        if isinstance(want, int):
            ok = ok and want == have
        else:
            if want in bound and bound[want] != have:
                ok = False
            bound.setdefault(want, have)
    if not ok:
        raise ValidationError(f"expected {format_shape(dims)} {name}, got {format_shape(_shown(dims, got))}{where}")
    if dtype_kind is not None and arr.dtype.kind not in dtype_kind:
        raise ValidationError(f"expected {name} of numeric dtype ({_kinds(dtype_kind)}), got {arr.dtype}{where}")
    if min_len is not None and (arr.ndim == 0 or arr.shape[0] < min_len):
        n = arr.shape[0] if arr.ndim else 0
        raise ValidationError(f"expected at least {min_len} {name}, got {n}{where}")
    if finite and arr.dtype.kind == "f" and arr.size and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).sum())
        raise ValidationError(f"expected finite {name}, got {bad} NaN/inf values{where}")
    return arr


#: The least bounding-box diagonal of a face in millimetres (a face is ~150-250 mm across;
#: the same face in metres is 0.15-0.25).
MIN_FACE_DIAGONAL_MM = 30.0


def check_face_millimetres(points: np.ndarray, source: str | None = None) -> float:
    """Check that points (a face scan, mesh or depth surface) are in millimetres.

    Args:
        points: (N, 3) float, the coordinates as read.
        source: where they came from, for the message.

    Returns:
        The bounding-box diagonal.

    Raises:
        ValidationError: ``expected a face in millimetres ..., got 0.21; metres? ...``.

    Example:
        >>> round(check_face_millimetres(np.array([[0.0, 0, 0], [150, 200, 90]])))
        266
    """
    pts = np.asarray(points, dtype=np.float64)
    if pts.size == 0:
        return 0.0
    diag = float(np.linalg.norm(pts.max(axis=0) - pts.min(axis=0)))
    if diag < MIN_FACE_DIAGONAL_MM:
        where = f"{source}: " if source else ""
        hint = "metres? scale it by 1000" if diag < 1.0 else "centimetres? scale it by 10" if diag < 30 else ""
        raise ValidationError(
            f"{where}expected a face in millimetres (a bounding-box diagonal of "
            f"{MIN_FACE_DIAGONAL_MM:.0f} mm or more), got {diag:.3g}; {hint}"
        )
    return diag


def _kinds(kinds: str) -> str:
    names = {"f": "float", "i": "int", "u": "uint", "b": "bool"}
    return "/".join(names.get(k, k) for k in kinds)


def _shown(dims: list[int | str], got: tuple[int, ...]) -> list[int | str]:
    """The received shape, with a named dimension kept by name where it lines up.

    ``expected (N, 3), got (N, 2)`` reads better than ``got (5000, 2)``.
    """
    tail = dims[1:] if dims[:1] == ["..."] else dims
    if len(got) < len(tail) or (dims[:1] != ["..."] and len(got) != len(tail)):
        return list(got)
    lead = list(got[: len(got) - len(tail)])
    return lead + [d if isinstance(d, str) else g for d, g in zip(tail, got[len(got) - len(tail) :])]
