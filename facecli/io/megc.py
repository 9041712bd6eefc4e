"""MEGC ``result_log.csv``: the micro-expression recognition challenge's log format.

One block per leave-one-subject-out fold: a header line ``<db> <subject>``, then one
line ``<clip> <gt> <pred>`` per test clip (class indices; for the MEGC 2019 composite
0 = negative, 1 = positive, 2 = surprise). Fields are separated by spaces::

    casme2 sub01
    EP02_01f 1 1
    EP03_02 0 2
    smic s1
    s1_ne_01 0 0
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from facecli.errors import FormatError
from facecli.typing import PathLike

__all__ = ["LogRow", "read_result_log", "rows_by_fold", "write_result_log"]


@dataclass(frozen=True)
class LogRow:
    """One test clip of a ``result_log.csv``.

    Attributes:
        db: dataset of the fold (``casme2``, ``samm``, ``smic``).
        subject: the fold's test subject.
        clip: clip name.
        gt: true class index.
        pred: predicted class index.
    """

    db: str
    subject: str
    clip: str
    gt: int
    pred: int

    @property
    def fold(self) -> str:
        return f"{self.db}/{self.subject}"


def write_result_log(path: PathLike, rows: Iterable[LogRow]) -> Path:
    """Write rows (in fold order; a header line whenever the fold changes)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    last = None
    for r in rows:
        for name, value in (("db", r.db), ("subject", r.subject), ("clip", r.clip)):
            if not value or any(c.isspace() for c in value):
                raise FormatError(f"expected a {name} without spaces for {p.name}, got {value!r}")
        if r.fold != last:
            lines.append(f"{r.db} {r.subject}")
            last = r.fold
        lines.append(f"{r.clip} {int(r.gt)} {int(r.pred)}")
    from facecli.io.atomic import write_text

    write_text(p, "\n".join(lines) + ("\n" if lines else ""))
    return p


def read_result_log(path: PathLike) -> list[LogRow]:
    """Read a ``result_log.csv`` (commas are accepted as separators too).

    Raises:
        FormatError: a clip line before any fold header, or a line that is neither
            ``db subject`` nor ``clip gt pred`` with integer classes (the message
            names the file and line).
    """
    p = Path(path)
    from facecli.io.text import read_text

    text = read_text(p, "a MEGC result_log.csv")
    rows: list[LogRow] = []
    db = subject = None
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) == 2:
            db, subject = parts
            continue
        if len(parts) != 3:
            raise FormatError(f"{p}:{n}: expected 'db subject' or 'clip gt pred', got {line.strip()!r}")
        if db is None or subject is None:
            raise FormatError(f"{p}:{n}: expected a 'db subject' header before the first clip, got {line.strip()!r}")
        try:
            gt, pred = int(parts[1]), int(parts[2])
        except ValueError:
            raise FormatError(f"{p}:{n}: expected integer classes in 'clip gt pred', got {line.strip()!r}") from None
        rows.append(LogRow(db, subject, parts[0], gt, pred))
    return rows


def rows_by_fold(rows: Sequence[LogRow]) -> dict[str, list[LogRow]]:
    """Rows grouped by fold (``db/subject``), in first-seen order."""
    out: dict[str, list[LogRow]] = {}
    for r in rows:
        out.setdefault(r.fold, []).append(r)
    return out
