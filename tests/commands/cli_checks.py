"""Shared assertions for the CLI tests (imported by the test modules of this folder)."""

from __future__ import annotations

from typing import Any


def ok(r: Any) -> Any:
    """The CliRunner result of a successful command (stderr shown otherwise)."""
    assert r.exit_code == 0, r.stderr
    return r


def one_line_error(r: Any, *needles: str) -> None:
    """Exit 1 with exactly one stderr line containing every needle."""
    assert r.exit_code == 1, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
