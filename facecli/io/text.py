"""Reading text and JSON inputs with one kind of error for every way they can be wrong.

Every reader of a text annotation (box CSVs, ``pairs.txt``, pose lists, results logs,
JSON records) goes through :func:`read_text` or :func:`read_json`, so a missing file, a
binary file given by mistake, or a truncated JSON record gives one line naming the file
and what was expected, never a ``UnicodeDecodeError`` or ``JSONDecodeError``.

Example:
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "boxes.csv")
    >>> _ = open(p, "wb").write(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\xff")
    >>> try:
    ...     read_text(p, "a face-box CSV")
    ... except Exception as e:
    ...     print(type(e).__name__)
    FormatError
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike

__all__ = ["read_text", "read_json"]


def read_text(path: PathLike, what: str = "a text file", *, allow_empty: bool = True) -> str:
    """The contents of a UTF-8 (or ASCII) text file.

    Args:
        path: the file.
        what: what the file should be, for messages (``"a face-box CSV"``).
        allow_empty: accept a file with nothing but white space.

    Raises:
        InputError: the file does not exist or cannot be read.
        FormatError: it is binary or not UTF-8, or empty when ``allow_empty`` is false.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} is a directory; expected {what}")
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file: {p} (expected {what})") from None
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from exc
    if b"\x00" in data[:8192]:
        raise FormatError(f"{p}: expected {what}, got a binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{p}: expected {what} (UTF-8 text), got undecodable bytes at offset {exc.start}") from None
    if not allow_empty and not text.strip():
        raise FormatError(f"{p}: expected {what}, got an empty file")
    return text


def read_json(path: PathLike, what: str = "a JSON file") -> Any:
    """A JSON document, with :func:`read_text`'s errors plus one for malformed JSON.

    Raises:
        InputError: as :func:`read_text`.
        FormatError: not text, or not valid JSON (line and column named).
    """
    text = read_text(path, what, allow_empty=False)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"{path}: expected {what}, got invalid JSON at line {exc.lineno} column {exc.colno} "
            f"({exc.msg}); the file may be truncated"
        ) from None
