"""The success flag's checks and the normal agreement."""

from __future__ import annotations

import numpy as np

from facecli.registration.quality import QUALITY_COLUMNS, SuccessCriteria, failed_checks, is_success, normal_agreement

GOOD = {"coarse_inliers": 80.0, "coarse_ratio": 0.05, "fitness": 0.7, "rmse_voxels": 0.5, "normal_agreement": 0.9}


def test_each_check_can_fail_alone():
    c = SuccessCriteria()
    assert is_success(GOOD, c) and failed_checks(GOOD, c) == []
    for key, bad in (("coarse_inliers", 2.0), ("fitness", 0.1), ("rmse_voxels", 1.0), ("normal_agreement", 0.2)):
        q = dict(GOOD, **{key: bad})
        assert not is_success(q, c)
        assert len(failed_checks(q, c)) == 1
    # the stored (5,) array form reads the same
    assert is_success(np.array([GOOD[k] for k in QUALITY_COLUMNS]), c)


def test_normal_agreement_is_one_in_place_and_low_when_turned():
    from scipy.spatial import cKDTree

    g = np.stack(np.meshgrid(np.linspace(0, 50, 26), np.linspace(0, 50, 26)), -1).reshape(-1, 2)
    pts = np.c_[g, 5 * np.sin(g[:, 0] / 8)]
    nrm = np.c_[-5 / 8 * np.cos(g[:, 0] / 8), np.zeros(len(g)), np.ones(len(g))]
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    tree = cKDTree(pts)
    assert normal_agreement(pts, nrm, np.eye(4), tree, nrm, 3.0) == 1.0
    turn = np.eye(4)
    c, s = np.cos(np.radians(60)), np.sin(np.radians(60))
    turn[:3, :3] = [[1, 0, 0], [0, c, -s], [0, s, c]]
    assert normal_agreement(pts, nrm, turn, tree, nrm, 3.0) < 0.3
    far = np.eye(4)
    far[2, 3] = 100.0
    assert normal_agreement(pts, nrm, far, tree, nrm, 3.0) == 0.0
