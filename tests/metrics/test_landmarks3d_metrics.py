"""3D landmark error metrics against an independent computation (scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import euclidean

from facecli.errors import ValidationError
from facecli.metrics.landmarks3d import (
    IBUG68_REGIONS,
    landmark_error_report,
    landmark_errors,
)


def test_errors_match_scipy_and_report_pools_all_landmarks():
    rng = np.random.default_rng(0)
    gt = rng.normal(0, 30, (5, 68, 3))
    pred = gt + rng.normal(0, 2, gt.shape)
    e = landmark_errors(pred, gt)
    ref = np.array([[euclidean(pred[m, k], gt[m, k]) for k in range(68)] for m in range(5)])
    assert np.allclose(e, ref)
    rep = landmark_error_report(e, ["a", "a", "b", "b", "b"])
    assert rep.mean == pytest.approx(ref.mean()) and rep.std == pytest.approx(ref.ravel().std(ddof=1))
    assert rep.median == pytest.approx(np.median(ref)) and rep.max == pytest.approx(ref.max())
    assert rep.subjects["a"] == pytest.approx(ref[:2].mean()) and rep.subjects["b"] == pytest.approx(ref[2:].mean())
    a, b = IBUG68_REGIONS["mouth"]
    assert rep.regions["mouth"] == pytest.approx(ref[:, a:b].mean())
    assert np.allclose(rep.per_landmark_mean, ref.mean(0))
    assert sum(b - a for a, b in IBUG68_REGIONS.values()) == 68


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValidationError, match=r"\(N, 3\)|\(M, L, 3\)"):
        landmark_errors(np.zeros((2, 68, 2)), np.zeros((2, 68, 2)))
    with pytest.raises(ValidationError, match="ground truth of shape"):
        landmark_errors(np.zeros((2, 68, 3)), np.zeros((3, 68, 3)))
