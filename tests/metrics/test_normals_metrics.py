"""Angular error: matches arccos of the dot product, counts empty predictions as 90 degrees."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.metrics.normals import angular_errors, summarize_angles


def test_angles_match_arccos_reference():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 6, 3))
    b = rng.normal(size=(5, 6, 3))
    mask = rng.random((5, 6)) > 0.3
    got = angular_errors(a, b, mask)
    au = a / np.linalg.norm(a, axis=-1, keepdims=True)
    bu = b / np.linalg.norm(b, axis=-1, keepdims=True)
    want = np.degrees(np.arccos(np.clip(np.sum(au * bu, -1), -1, 1)))[mask]
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_empty_prediction_is_90_degrees_and_summary():
    gt = np.zeros((1, 2, 2, 3))
    gt[..., 2] = 1
    pred = gt.copy()
    pred[0, 0, 0] = 0
    pred[0, 0, 1] = [np.sin(np.radians(20)), 0, np.cos(np.radians(20))]
    e = angular_errors(pred, gt, np.ones((1, 2, 2), bool))
    np.testing.assert_allclose(np.sort(e), [0, 0, 20, 90], atol=1e-9)
    s = summarize_angles(e)
    assert s["mean_deg"] == pytest.approx(27.5)
    assert s["median_deg"] == pytest.approx(10.0)
    assert s["pct_under_11.25"] == 50.0 and s["pct_under_22.5"] == 75.0 and s["pct_under_30"] == 75.0
