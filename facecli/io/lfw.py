"""The LFW layout: ``<name>/<name>_<nnnn>.jpg`` and ``pairs.txt`` (10 folds)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike

__all__ = ["LFWPair", "lfw_image_path", "person_of", "read_pairs", "read_people", "write_pairs"]


@dataclass(frozen=True)
class LFWPair:
    """One verification pair: the two image ids (``<name>/<name>_0001.jpg``),
    ``same`` identity or not, and its ``fold`` (0-based)."""

    a: str
    b: str
    same: bool
    fold: int


def lfw_image_path(name: str, number: int, suffix: str = ".jpg") -> str:
    """``Aaron_Eckhart``, 1 → ``Aaron_Eckhart/Aaron_Eckhart_0001.jpg``."""
    return f"{name}/{name}_{number:04d}{suffix}"


def person_of(image_id: str) -> str:
    """``Aaron_Eckhart/Aaron_Eckhart_0001.jpg`` → ``Aaron_Eckhart`` (the folder, else the
    file name without its number)."""
    head, _, tail = image_id.replace("\\", "/").rpartition("/")
    if head:
        return head.rpartition("/")[2]
    return tail.rsplit("_", 1)[0]


def read_people(path: PathLike) -> list[dict[str, int]]:
    """Read LFW's ``people.txt``: the number of folds, then per fold a count line and that
    many ``name images`` lines.

    Returns:
        One ``{name: number of images}`` per fold, in file order.

    Raises:
        FormatError: a malformed line (with its line number), a count that does not match,
            or a person in two folds.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    from facecli.io.text import read_text

    lines = [(i + 1, ln.split()) for i, ln in enumerate(read_text(p, "an LFW people.txt").splitlines()) if ln.strip()]
    if not lines or len(lines[0][1]) != 1 or not lines[0][1][0].isdigit():
        raise FormatError(f"{p}:1: expected the number of folds on the first line")
    folds: list[dict[str, int]] = []
    seen: dict[str, int] = {}
    k = 1
    for _ in range(int(lines[0][1][0])):
        if k >= len(lines) or len(lines[k][1]) != 1 or not lines[k][1][0].isdigit():
            line = lines[k][0] if k < len(lines) else "end"
            raise FormatError(f"{p}:{line}: expected the number of people of fold {len(folds) + 1}")
        n, k = int(lines[k][1][0]), k + 1
        fold: dict[str, int] = {}
        for lineno, f in lines[k : k + n]:
            if len(f) != 2 or not f[1].isdigit():
                raise FormatError(f"{p}:{lineno}: expected 'name images', got {' '.join(f)!r}")
            if f[0] in seen:
                raise FormatError(f"{p}:{lineno}: {f[0]} is in fold {seen[f[0]] + 1} already")
            fold[f[0]] = int(f[1])
            seen[f[0]] = len(folds)
        if len(fold) != n:
            raise FormatError(f"{p}: fold {len(folds) + 1} announces {n} people, found {len(fold)}")
        folds.append(fold)
        k += n
    if k != len(lines):
        raise FormatError(f"{p}:{lines[k][0]}: expected the end of the file after {len(folds)} folds")
    return folds


def read_pairs(path: PathLike) -> list[LFWPair]:
    """Read LFW's ``pairs.txt``: a ``folds  n`` header, then per fold ``n`` matched
    lines (``name i j``) followed by ``n`` mismatched lines (``name1 i name2 j``).

    Raises:
        FormatError: a malformed header or line (with its line number), or a count
            that does not match the header.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    from facecli.io.text import read_text

    lines = [ln.split() for ln in read_text(p, "an LFW pairs.txt").splitlines() if ln.strip()]
    if not lines or len(lines[0]) != 2 or not all(t.isdigit() for t in lines[0]):
        raise FormatError(f"{p}:1: expected the header 'folds pairs_per_fold'")
    folds, n = int(lines[0][0]), int(lines[0][1])
    body = lines[1:]
    if len(body) != folds * 2 * n:
        raise FormatError(f"{p}: header says {folds} folds x {2 * n} pairs, found {len(body)} lines")
    out: list[LFWPair] = []
    for k, f in enumerate(body):
        fold = k // (2 * n)
        same = (k % (2 * n)) < n
        try:
            if same and len(f) == 3:
                out.append(LFWPair(lfw_image_path(f[0], int(f[1])), lfw_image_path(f[0], int(f[2])), True, fold))
            elif not same and len(f) == 4:
                out.append(LFWPair(lfw_image_path(f[0], int(f[1])), lfw_image_path(f[2], int(f[3])), False, fold))
            else:
                raise ValueError("wrong number of fields")
        except ValueError as exc:
            kind = "matched (name i j)" if same else "mismatched (name1 i name2 j)"
            raise FormatError(f"{p}:{k + 2}: expected a {kind} pair line ({exc})") from exc
    return out


def write_pairs(
    path: PathLike, folds: Sequence[tuple[Sequence[tuple[str, int, int]], Sequence[tuple[str, int, str, int]]]]
) -> Path:
    """Write ``pairs.txt`` from per-fold (matched, mismatched) lists of equal size."""
    n = len(folds[0][0])
    if any(len(m) != n or len(u) != n for m, u in folds):
        raise FormatError("every fold needs the same number of matched and mismatched pairs")
    lines = [f"{len(folds)}\t{n}"]
    for matched, mismatched in folds:
        lines += [f"{a}\t{i}\t{j}" for a, i, j in matched]
        lines += [f"{a}\t{i}\t{b}\t{j}" for a, i, b, j in mismatched]
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    from facecli.io.atomic import write_text

    write_text(p, "\n".join(lines) + "\n")
    return p
