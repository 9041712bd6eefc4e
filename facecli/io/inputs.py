"""The one input resolver shared by every command.

INPUTS may be files, directories (searched recursively with ``pattern``), globs, or
``-`` (newline-separated paths on stdin). The result is sorted, de-duplicated and,
with ``shard=(k, n)``, reduced to a deterministic 1/n of the items (round-robin on the
sorted list, so the n shards partition the inputs exactly).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from facecli.errors import InputError, UsageError

__all__ = ["InputItem", "resolve_inputs", "parse_shard", "apply_shard"]

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True, order=True)
class InputItem:
    """One resolved input.

    Attributes:
        id: the sample id: the path relative to the directory it was found under,
            or the path as given for a file (POSIX separators).
        path: the file.
        error: why the input cannot be used (a listed path that does not exist, kept
            with ``missing="keep"`` so that ``--on-error skip`` records it as a failure);
            ``None`` for a usable input.
    """

    id: str
    path: Path
    error: str | None = field(default=None, compare=False)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """Parse ``"K/N"`` (1 ≤ K ≤ N) into ``(K, N)``; ``None`` passes through.

    Raises:
        UsageError: malformed text or K outside 1..N.
    """
    if text is None or text == "":
        return None
    k_str, sep, n_str = text.partition("/")
    if not sep or not k_str.strip().isdigit() or not n_str.strip().isdigit():
        raise UsageError(f"expected --shard K/N with integers (e.g. 2/8), got {text!r}")
    k, n = int(k_str), int(n_str)
    if n < 1 or not 1 <= k <= n:
        raise UsageError(f"expected --shard K/N with 1 <= K <= N, got {text!r}")
    return k, n


def apply_shard(items: Sequence, shard: tuple[int, int] | None) -> list:
    """Keep items ``k-1, k-1+n, k-1+2n, ...`` of a sorted sequence."""
    if shard is None:
        return list(items)
    k, n = shard
    return list(items[k - 1 :: n])


def _patterns(pattern: str | Sequence[str] | None) -> list[str]:
    if pattern is None:
        return ["*"]
    if isinstance(pattern, str):
        return [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
    return list(pattern) or ["*"]


def _matches(rel: Path, patterns: list[str]) -> bool:
    """Whether a file found under a directory matches one of the patterns, ignoring case
    (``*.jpg`` takes ``IMG_0001.JPG``): a pattern without ``/`` is matched against the file
    name, one with ``/`` against the path relative to the directory.

    Example:
        >>> _matches(Path("a/IMG_1.JPG"), ["*.jpg"]), _matches(Path("a/b.png"), ["a/*.PNG"])
        (True, True)
        >>> _matches(Path("x.txt"), ["*.jpg"])
        False
    """
    name, full = rel.name.lower(), rel.as_posix().lower()
    for pat in patterns:
        q = pat.lower()
        if fnmatch.fnmatchcase(full if "/" in q else name, q.removeprefix("**/")):
            return True
    return False


def _as_id(path: Path) -> str:
    return path.as_posix()


def _expand(token: str, patterns: list[str], missing: str = "error") -> list[InputItem]:
    p = Path(token).expanduser()
    if p.is_dir():
        found: dict[Path, InputItem] = {}
        for f in sorted(p.rglob("*")):
            rel = f.relative_to(p)
            if f.is_file() and _matches(rel, patterns):
                found[f] = InputItem(_as_id(rel), f)
        if not found:
            raise InputError(f"directory {p} has no files matching {','.join(patterns)}")
        return list(found.values())
    if p.is_file():
        return [InputItem(_as_id(Path(os.path.normpath(token))), p)]
    if _GLOB_CHARS.intersection(token):
        matches = sorted(m for m in glob.glob(token, recursive=True) if Path(m).is_file())
        if not matches:
            raise InputError(f"glob {token!r} matched no files")
        return [InputItem(_as_id(Path(os.path.normpath(m))), Path(m)) for m in matches]
    if missing == "keep":
        return [InputItem(_as_id(Path(os.path.normpath(token))), p, error=f"no such file or directory: {token}")]
    raise InputError(f"no such file or directory: {token}")


def resolve_inputs(
    inputs: Iterable[str],
    *,
    pattern: str | Sequence[str] | None = None,
    shard: tuple[int, int] | str | None = None,
    stdin: TextIO | None = None,
    missing: str = "error",
) -> list[InputItem]:
    """Resolve command-line INPUTS into a sorted list of files.

    Args:
        inputs: files, directories, globs, or ``-`` for paths on stdin.
        pattern: glob(s) for files inside directories, e.g. ``"*.obj,*.ply"``
            (comma-separated); files and globs given directly are taken as they are.
        shard: ``(k, n)`` or ``"k/n"``: keep a deterministic 1/n of the inputs.
        stdin: where ``-`` reads from (default ``sys.stdin``).
        missing: ``"error"`` (a path that does not exist stops here) or ``"keep"``
            (it becomes an item carrying ``error``, for ``--on-error skip``).

    Returns:
        Items sorted by id, without duplicates (same file reached twice).

    Raises:
        InputError: nothing given, a path that does not exist, an empty directory or
            glob, or duplicate ids from different files.
    """
    pats = _patterns(pattern)
    tokens = list(inputs)
    if not tokens:
        raise InputError("no inputs given (files, directories, globs, or - for paths on stdin)")
    items: list[InputItem] = []
    for token in tokens:
        if token == "-":
            stream = stdin if stdin is not None else sys.stdin
            lines = [ln.strip() for ln in stream.read().splitlines()]
            lines = [ln for ln in lines if ln and not ln.startswith("#")]
            if not lines:
                raise InputError("expected paths on stdin (one per line), got none")
            for line in lines:
                items.extend(_expand(line, pats, missing))
        else:
            items.extend(_expand(token, pats, missing))
    by_file: dict[Path, InputItem] = {}
    for it in items:
        by_file.setdefault(it.path.resolve(), it)
    by_id: dict[str, InputItem] = {}
    for it in by_file.values():
        if it.id in by_id:
            raise InputError(f"two inputs share the id {it.id!r}: {by_id[it.id].path} and {it.path}")
        by_id[it.id] = it
    ordered = sorted(by_id.values())
    if isinstance(shard, str):
        shard = parse_shard(shard)
    return apply_shard(ordered, shard)
