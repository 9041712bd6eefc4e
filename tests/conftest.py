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


def make_scan_pair(*, angle_deg: float, outliers: float, seed: int = 0, spacing: float = 2.0):
    """A small scan pair of the mean face: (source, target, true 4x4 source→target).

    The target is one ray-cast view, the source a second view moved by a rotation of
    ``angle_deg`` about a random axis, with ``outliers`` x N uniform outliers added.
    """
    import numpy as np

    from facecli.geometry.transforms import euler_to_matrix
    from facecli.synth.face_model import build_vertices, mean_identity
    from facecli.synth.pairs import scan_points
    from facecli.synth.template import get_template

    rng = np.random.default_rng(seed)
    tpl = get_template()
    verts = build_vertices(mean_identity(), {})
    tgt = scan_points(verts, tpl.faces, euler_to_matrix(10, 0, 0), spacing)
    src = scan_points(verts, tpl.faces, euler_to_matrix(-15, 5, 0), spacing * 1.1)
    src = src + rng.normal(0, 0.2, src.shape)
    n_out = int(outliers * len(src))
    src = np.concatenate([src, rng.uniform(src.min(0), src.max(0), size=(n_out, 3))])
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    ang = np.deg2rad(angle_deg)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rot = np.eye(3) + np.sin(ang) * k + (1 - np.cos(ang)) * k @ k
    move = np.eye(4)
    move[:3, :3] = rot
    move[:3, 3] = rng.uniform(-100, 100, 3)
    src_moved = src @ rot.T + move[:3, 3]
    return src_moved, tgt, np.linalg.inv(move)


@pytest.fixture(scope="session")
def pairs_dir(tmp_path_factory) -> Path:
    """Three synthetic registration pairs in the synth pairs layout (with gt.h5)."""
    from facecli.synth.pairs import write_pairs_dataset

    out = tmp_path_factory.mktemp("pairs")
    write_pairs_dataset(out, count=3, seed=3, overlap=(0.7, 0.95))
    return out
