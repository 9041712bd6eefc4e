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


@pytest.fixture(scope="session")
def smic4_dir(tmp_path_factory) -> Path:
    """Four synthetic SMIC-layout clips, one per person (surprise, positive, surprise, negative)."""
    from facecli.synth.microexpr import write_microexpr

    out = tmp_path_factory.mktemp("smic4")
    write_microexpr(out, subjects=4, clips=1, seed=0, layout="smic", size=48, frames=(10, 12))
    return out


@pytest.fixture(scope="session")
def wflw_dir(tmp_path_factory) -> Path:
    """Eight synthetic faces in the WFLW layout (6 train, 2 test), 96 px."""
    from facecli.synth.images import write_images

    out = tmp_path_factory.mktemp("wflw")
    write_images(out, scheme="wflw98", count=8, seed=0, size=96)
    return out


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", os.environ.get("COLUMNS", "100"))


@pytest.fixture(scope="session")
def pairs_dir(tmp_path_factory) -> Path:
    """Three synthetic registration pairs in the synth pairs layout (with gt.h5)."""
    from facecli.synth.pairs import write_pairs_dataset

    out = tmp_path_factory.mktemp("pairs")
    write_pairs_dataset(out, count=3, seed=3, overlap=(0.7, 0.95))
    return out
