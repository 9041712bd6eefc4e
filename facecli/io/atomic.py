"""Outputs that are never half-written: a lock per output, temporary files renamed into place.

Every file a command writes goes through here:

* :class:`OutputLock` takes an exclusive lock on ``.<name>.lock`` beside the output
  *before* anything is created or truncated, so a second run with the same ``-o``
  fails at once and the first one is left alone;
* :func:`atomic_write` (text, CSV, JSON, ``torch.save``...) writes to a temporary file
  in the same folder, flushes it to disk (``fsync``) and renames it over the target:
  a reader sees the old file or the new one, never a mixture;
* :func:`check_distinct` refuses an output that is also one of the command's inputs
  before anything is touched;
* :func:`resolve_output` makes ``-o DIR`` mean ``DIR/<default name>``.

HDF5 containers use the same pieces through :class:`facecli.io.container.ContainerWriter`,
whose work file is ``<output>.part`` (kept after an interruption for ``--resume``).

Example:
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "table.csv")
    >>> with atomic_write(target) as fh:
    ...     _ = fh.write("a,b\\n1,2\\n")
    >>> open(target).read()
    'a,b\\n1,2\\n'
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from facecli.errors import InputError, OutputError
from facecli.typing import PathLike

__all__ = [
    "OutputLock",
    "atomic_write",
    "check_distinct",
    "resolve_output",
    "partial_path",
    "fsync_path",
    "describe_os_error",
    "write_text",
    "write_bytes",
    "save_figure",
]


def partial_path(target: PathLike) -> Path:
    """The work file of an HDF5 output: ``out.h5`` → ``out.h5.part``."""
    p = Path(target)
    return p.with_name(p.name + ".part")


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def describe_os_error(exc: BaseException) -> str:
    """A short reason for a failed write: ``disk full``, ``file too large``, or the OS text."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "No space left" in text or "errno = 28" in text:
        return "disk full (no space left on device)"
    if code == errno.EFBIG or "File too large" in text or "errno = 27" in text:
        return "file too large (a size limit was reached)"
    if code == errno.EDQUOT or "Disk quota" in text:
        return "disk quota exceeded"
    if code == errno.EACCES or code == errno.EPERM:
        return "permission denied"
    if code == errno.EROFS:
        return "read-only file system"
    return f"{exc.__class__.__name__}: {text.splitlines()[0] if text else ''}".strip()


class OutputLock:
    """An exclusive, non-blocking lock on an output path (``.<name>.lock`` beside it).

    Held for the lifetime of a writer; released (and the lock file removed) by
    :meth:`release`. A second process asking for the same output gets an
    :class:`~facecli.errors.OutputError` at once, before it has touched anything.

    Args:
        target: the output file the lock protects.
    """

    def __init__(self, target: PathLike) -> None:
        self.target = Path(target)
        self.path = _lock_path(self.target)
        self._fd: int | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, run unguarded
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                holder = ""
                with contextlib.suppress(OSError, ValueError):
                    holder = f" (process {int(self.path.read_text().strip())})"
                raise OutputError(
                    f"{self.target} is being written by another facecli run{holder}; "
                    f"wait for it or choose another -o (lock: {self.path})"
                ) from None
            # the holder before us may have removed the file between our open and lock
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and release the lock (safe to call twice)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def fsync_path(path: PathLike) -> None:
    """Flush a written file (and its folder entry) to disk.

    Raises:
        OutputError: the flush failed (a full disk reports here on some file systems).
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {p}: {describe_os_error(exc)}") from exc
    with contextlib.suppress(OSError):
        dfd = os.open(p.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextlib.contextmanager
def atomic_write(
    target: PathLike,
    mode: str = "w",
    *,
    newline: str | None = None,
    encoding: str | None = "utf-8",
    lock: bool = True,
    durable: bool = True,
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``target``; on success it replaces ``target``.

    On an exception (or Ctrl-C) the temporary file is removed and ``target`` is left
    as it was. Write errors (disk full...) become one :class:`OutputError` naming
    ``target``.

    Args:
        target: the file to (re)write.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        newline: as :func:`open` (``""`` for the csv module).
        encoding: text encoding (ignored for bytes).
        lock: take the output's lock while writing.
        durable: flush the file to disk (``fsync``) before the rename. A killed process
            never leaves half a file either way; ``fsync`` also covers a power cut, and
            costs milliseconds per file (side files such as previews skip it).
    """
    p = Path(target)
    if p.is_dir():
        raise OutputError(f"cannot write {p}: it is a directory; expected a file name")
    p.parent.mkdir(parents=True, exist_ok=True)
    guard = OutputLock(p) if lock else None
    tmp = p.with_name(f".{p.stem}.{os.getpid()}.tmp{p.suffix}")  # the suffix kept: writers pick formats by it
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"newline": newline, "encoding": encoding}
        try:
            fh = open(tmp, mode, **kwargs)
        except OSError as exc:
            raise OutputError(f"cannot write {p}: {describe_os_error(exc)}") from exc
        try:
            with fh:
                yield fh
        except OSError as exc:
            raise OutputError(f"cannot write {p}: {describe_os_error(exc)}") from exc
        if durable:
            fsync_path(tmp)
        os.replace(tmp, p)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if guard is not None:
            guard.release()


def write_text(target: PathLike, text: str, *, lock: bool = True, durable: bool = True) -> Path:
    """Write ``text`` to ``target`` atomically (see :func:`atomic_write`)."""
    with atomic_write(target, lock=lock, durable=durable) as fh:
        fh.write(text)
    return Path(target)


def write_bytes(target: PathLike, data: bytes, *, lock: bool = True, durable: bool = True) -> Path:
    """Write ``data`` to ``target`` atomically (see :func:`atomic_write`)."""
    with atomic_write(target, "wb", lock=lock, durable=durable) as fh:
        fh.write(data)
    return Path(target)


def save_figure(fig: Any, target: PathLike, **kwargs: Any) -> Path:
    """``fig.savefig`` into a temporary file renamed onto ``target`` (format from its suffix)."""
    p = Path(target)
    fmt = p.suffix.lstrip(".").lower() or "png"
    with atomic_write(p, "wb", lock=False, durable=False) as fh:
        fig.savefig(fh, format=fmt, **kwargs)
    return p


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_distinct(
    outputs: Iterable[PathLike | None], inputs: Iterable[PathLike | None], *, what: str = "output"
) -> None:
    """Refuse an output that is also an input (before anything is written).

    Args:
        outputs: the files the command will write (``None`` entries are ignored).
        inputs: every file the command reads (the resolved input items, model and
            annotation files...); directories are ignored.

    Raises:
        InputError: ``-o n.h5 is also an input of this command; ...``.
        OutputError: an output names an existing directory.
    """
    outs = [Path(o) for o in outputs if o is not None]
    ins = [Path(i) for i in inputs if i is not None]
    for o in outs:
        if o.is_dir():
            raise OutputError(f"{what} {o} is a directory; expected a file name")
        o_abs = Path(os.path.abspath(o))
        for i in ins:
            if i.is_dir():
                continue
            if o_abs == Path(os.path.abspath(i)) or _same_file(o, i):
                raise InputError(
                    f"{what} {o} is also an input of this command; writing it would destroy the "
                    f"input: choose another output path"
                )


def resolve_output(output: PathLike, default_name: str) -> Path:
    """``-o`` as given, or ``DIR/default_name`` when it names an existing directory
    (or ends with a path separator)."""
    text = os.fspath(output)
    p = Path(text)
    if p.is_dir() or text.endswith(os.sep):
        return p / default_name
    return p
