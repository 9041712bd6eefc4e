"""Registration metrics against independent references (scipy's rotation magnitude)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from facecli.metrics import (
    correspondence_rmse,
    registration_recall,
    rotation_error_deg,
    score_registrations,
    summarize_registrations,
    translation_error,
)


def _t(rot: np.ndarray, trans) -> np.ndarray:
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = rot, trans
    return out


def test_rotation_error_matches_scipy_magnitude():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = Rotation.random(random_state=rng), Rotation.random(random_state=rng)
        ref = np.degrees((a.inv() * b).magnitude())
        assert rotation_error_deg(_t(a.as_matrix(), 0), _t(b.as_matrix(), 0)) == pytest.approx(ref, abs=1e-6)
    assert rotation_error_deg(np.eye(4), np.eye(4)) == 0.0


def test_translation_error_and_recall():
    assert translation_error(_t(np.eye(3), [3, 4, 0]), np.eye(4)) == pytest.approx(5.0)
    assert registration_recall([1.0, 3.0, 1.0], [1.0, 1.0, 2.5]) == pytest.approx(1 / 3)
    assert registration_recall([1.0, 3.0], [1.0, 1.0], max_re=5.0) == 1.0


def test_rmse_over_true_correspondences():
    rng = np.random.default_rng(1)
    g = rng.normal(size=(50, 3)) * 50
    truth = _t(Rotation.random(random_state=rng).as_matrix(), [10, 0, 0])
    assert correspondence_rmse(g, truth, truth) == pytest.approx(0.0, abs=1e-9)
    est = truth.copy()
    est[:3, 3] += [0, 0.5, 0]  # a pure 0.5 mm shift
    g[3] = np.nan  # an outlier without a true position
    assert correspondence_rmse(g, est, truth) == pytest.approx(0.5)


def test_missing_pairs_count_as_misses():
    truths = {"a": np.eye(4), "b": np.eye(4), "c": np.eye(4)}
    est = {"a": np.eye(4), "b": _t(np.eye(3), [5, 0, 0])}
    rows = score_registrations(est, truths)
    assert [r["found"] for r in rows] == [True, True, False]
    s = summarize_registrations(rows)
    assert s["recall"] == pytest.approx(1 / 3)
    assert s["found"] == 2 and s["pairs"] == 3
    assert math.isinf(s["te_p95_mm"]) and s["te_median_mm"] == pytest.approx(5.0)


def test_transform_rmse_equals_the_correspondence_rmse_and_counts_recall():
    from facecli.metrics.registration import (
        correspondence_rmse,
        score_registrations,
        summarize_registrations,
        transform_rmse,
    )

    rng = np.random.default_rng(4)
    src = rng.normal(size=(100, 3)) * 50
    truth = np.eye(4)
    truth[:3, :3] = Rotation.random(random_state=4).as_matrix()
    truth[:3, 3] = [10, -4, 7]
    est = truth.copy()
    est[:3, 3] += [0.3, 0.0, 0.4]  # 0.5 off everywhere
    assert transform_rmse(src, est, truth) == pytest.approx(0.5)
    true_pos = src @ truth[:3, :3].T + truth[:3, 3]
    assert correspondence_rmse(true_pos, est, truth) == pytest.approx(transform_rmse(src, est, truth))
    rows = score_registrations(
        {"a": est, "b": truth}, {"a": truth, "b": truth, "c": truth}, source_points={"a": src, "b": src}
    )
    s = summarize_registrations(rows, max_rmse=0.4)
    assert s["recall_rmse"] == pytest.approx(1 / 3)  # b only; c is missing
    assert "recall_rmse" not in summarize_registrations(score_registrations({"a": est}, {"a": truth}), max_rmse=1.0)
