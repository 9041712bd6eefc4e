"""Shared fixtures: small, seeded, fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def facecli_bin() -> str:
    """The installed console script (next to the running Python)."""
    exe = Path(sys.executable).parent / "facecli"
    if not exe.exists():
        pytest.fail(f"facecli console script not installed next to {sys.executable}")
    return str(exe)


@pytest.fixture(scope="session")
def faces3d_dir(tmp_path_factory) -> Path:
    """Two synthetic people × two expressions in the FaceScape layout."""
    from facecli.synth.faces3d import write_faces3d

    out = tmp_path_factory.mktemp("faces3d")
    write_faces3d(out, subjects=2, expressions=2, seed=0)
    return out


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", os.environ.get("COLUMNS", "100"))
