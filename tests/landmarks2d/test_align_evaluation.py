"""Scoring alignment predictions against a dataset: matching, subsets, exits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.landmarks2d.evaluation import align_report


@dataclass
class _Face:
    id: str
    landmarks: np.ndarray
    subsets: tuple


def _faces():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 100, size=(98, 2))
    return [_Face(f"f{i}", base + i, ("test", "pose") if i % 2 else ("test",)) for i in range(4)]


def test_subsets_matching_and_exits():
    faces = _faces()
    pred = {f.id: f.landmarks + (1.0 if f.id == "f1" else 0.0) for f in faces[:3]}
    pred["stray"] = faces[0].landmarks
    rep = align_report(pred, faces, norm="inter-ocular", threshold=0.1, exit_iterations={"f0": 6, "f1": 5})
    s = rep.summary
    assert s["matched"] == 3 and s["unmatched_predictions"] == 1
    assert set(s["subsets"]) == {"all", "pose", "test"} and s["subsets"]["pose"]["faces"] == 1
    assert rep.errors[0] == 0.0 and rep.errors[1] > 0.0
    assert s["exit_iterations"] == {"5": 1, "6": 1}


def test_no_match_and_wrong_scheme_name_both_files():
    faces = _faces()
    with pytest.raises(InputError, match="no face of p.h5 is in WFLW"):
        align_report({"x": faces[0].landmarks}, faces, norm="inter-ocular", threshold=0.1, source="p.h5", truth="WFLW")
    with pytest.raises(InputError, match="expected 98 landmarks"):
        align_report({"f0": faces[0].landmarks[:68]}, faces, norm="inter-ocular", threshold=0.1)
