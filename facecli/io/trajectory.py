"""The ``.log`` trajectory format of the registration benchmarks (Redwood, 3DMatch, FGR).

Each entry is a metadata line ``i j n`` (target fragment, source fragment, number of
fragments) and four lines of a 4x4 matrix that maps the points of fragment ``j`` into the
frame of fragment ``i``: with facecli's words, source ``j`` onto target ``i``. FGR's own
program takes the target first and writes its answer this way, and its evaluation
reads ground truth in the same layout.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gt.log"
    >>> _ = write_log(path, [LogEntry(0, 1, 2, np.eye(4))])
    >>> [(e.target, e.source, e.count) for e in read_log(path)]
    [(0, 1, 2)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError
from facecli.io.atomic import write_text
from facecli.io.text import read_text
from facecli.typing import PathLike

__all__ = ["LogEntry", "read_log", "write_log", "fragment_number", "pair_key"]


@dataclass
class LogEntry:
    """One registration in a ``.log`` file.

    Attributes:
        target: fragment number ``i`` (the fixed cloud).
        source: fragment number ``j`` (the moved cloud).
        count: number of fragments ``n`` of the scene.
        transform: (4, 4) float64, maps source points onto the target.
    """

    target: int
    source: int
    count: int
    transform: np.ndarray

    @property
    def key(self) -> str:
        """The pair's id in facecli's tables: ``"i-j"``."""
        return pair_key(self.target, self.source)


def pair_key(target: int, source: int) -> str:
    """The id of the pair (target ``i``, source ``j``) in tables: ``"i-j"``."""
    return f"{int(target)}-{int(source)}"


def fragment_number(path: PathLike) -> int | None:
    """The fragment number a file name ends with (``cloud_bin_12.ply`` → 12), or ``None``."""
    m = re.search(r"(\d+)$", Path(path).stem)
    return int(m.group(1)) if m else None


def read_log(path: PathLike) -> list[LogEntry]:
    """Read a ``.log`` trajectory file.

    Args:
        path: the file.

    Returns:
        The entries in file order.

    Raises:
        FormatError: a metadata line without three integers, a matrix row without four
            numbers, a non-finite matrix, or a file that ends inside an entry; the
            message names the file and the line.
    """
    p = Path(path)
    lines = [(k + 1, ln.strip()) for k, ln in enumerate(read_text(p).splitlines()) if ln.strip()]
    if not lines:
        raise FormatError(f"{p}: expected .log entries (a line 'i j n' and four matrix rows), got an empty file")
    if len(lines) % 5:
        raise FormatError(
            f"{p}: expected entries of 5 lines ('i j n' and four matrix rows), got {len(lines)} non-empty lines"
        )
    out: list[LogEntry] = []
    for s in range(0, len(lines), 5):
        no, meta = lines[s]
        parts = meta.split()
        if len(parts) < 3 or not all(re.fullmatch(r"-?\d+", t) for t in parts[:3]):
            raise FormatError(f"{p}:{no}: expected a metadata line 'i j n' of integers, got {meta!r}")
        rows = []
        for no_r, row in lines[s + 1 : s + 5]:
            try:
                vals = [float(t) for t in row.split()]
            except ValueError:
                vals = []
            if len(vals) != 4:
                raise FormatError(f"{p}:{no_r}: expected a matrix row of 4 numbers, got {row!r}")
            rows.append(vals)
        mat = np.array(rows, np.float64)
        if not np.isfinite(mat).all():
            raise FormatError(f"{p}:{no}: expected a finite 4x4 matrix after 'i j n'")
        out.append(LogEntry(int(parts[0]), int(parts[1]), int(parts[2]), mat))
    return out


def write_log(path: PathLike, entries: list[LogEntry]) -> Path:
    """Write entries as a ``.log`` file (atomically), 12 significant digits per value.

    Args:
        path: the file.
        entries: what to write, in order.
    """
    chunks = []
    for e in entries:
        mat = np.asarray(e.transform, np.float64).reshape(4, 4)
        rows = "\n".join(" ".join(f"{v:.12g}" for v in r) for r in mat)
        chunks.append(f"{e.target} {e.source} {e.count}\n{rows}\n")
    return write_text(Path(path), "".join(chunks))
