"""Shared assertions for the CLI tests (imported by the test modules of this folder)."""

from __future__ import annotations

from typing import Any


def ok(r: Any) -> Any:
    """The CliRunner result of a successful command (stderr shown otherwise)."""
    assert r.exit_code == 0, r.stderr
    return r


def one_line_error(r: Any, *needles: str, code: int = 1) -> None:
    """Exit ``code`` (1: runtime failure, 2: usage error) with exactly one stderr line
    containing every needle."""
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
