"""NME, FR and AUC against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import ValidationError
from facecli.metrics.align import auc_at, ced_curve, failure_rate, nme, normalising_distance, summarize_nme


def _face(n=98, d=100.0):
    g = np.zeros((1, n, 2))
    a, b = (60, 72) if n == 98 else (36, 45)
    g[0, a] = (10.0, 20.0)
    g[0, b] = (10.0 + d, 20.0)
    return g


def test_nme_by_hand():
    g = _face()
    p = g.copy()
    p[0, :10] += (6.0, 8.0)  # 10 of 98 points off by 10 px
    assert nme(p, g)[0] == pytest.approx(10 * 10 / 98 / 100)
    g68 = _face(68, 50.0)
    assert nme(g68 + (3.0, 4.0), g68)[0] == pytest.approx(0.1)


def test_inter_pupil_uses_pupils_or_eye_centres():
    g = _face()
    g[0, 96], g[0, 97] = (30.0, 20.0), (90.0, 20.0)
    assert normalising_distance(g, "inter-pupil")[0] == pytest.approx(60.0)
    g68 = np.zeros((1, 68, 2))
    g68[0, 36:42] = (0.0, 0.0)
    g68[0, 42:48] = (40.0, 30.0)
    assert normalising_distance(g68, "inter-pupil")[0] == pytest.approx(50.0)


def test_fr_auc_ced():
    e = np.array([0.02, 0.05, 0.08, 0.12, 0.3])
    assert failure_rate(e) == pytest.approx(0.4)
    # exact area: mean of (0.1 - e)+ / 0.1 = (0.08 + 0.05 + 0.02 + 0 + 0) / 5 / 0.1
    assert auc_at(e) == pytest.approx(0.3)
    x, y = ced_curve(e, steps=100001)
    assert np.trapezoid(y, x) / 0.1 == pytest.approx(0.3, abs=1e-4)  # the step function's area
    assert np.all(np.diff(y) >= 0) and y[-1] == pytest.approx(0.6)
    s = summarize_nme(e)
    assert s["faces"] == 5 and s["nme_pct"] == pytest.approx(11.4) and s["fr@0.1_pct"] == pytest.approx(40.0)


def test_bad_shapes_are_clear():
    with pytest.raises(ValidationError, match="98 .WFLW. or 68"):
        nme(np.zeros((1, 5, 2)), np.zeros((1, 5, 2)))
    with pytest.raises(ValidationError, match="shaped like the truth"):
        nme(np.zeros((2, 98, 2)), _face())
    with pytest.raises(ValidationError, match="zero inter-ocular"):
        nme(np.zeros((1, 98, 2)), np.zeros((1, 98, 2)))
