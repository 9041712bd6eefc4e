"""Distances from the data: the voxel follows the clouds' size and units."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.registration import RegistrationConfig
from facecli.registration.scale import SCALE_COLUMNS, auto_voxel, resolve_scales, robust_diagonal

from helpers.scans import make_scan_pair


def test_a_face_in_mm_gets_about_3_mm_and_metres_scale_with_it():
    src, tgt, _ = make_scan_pair(angle_deg=0, outliers=0.0, spacing=2.0)
    v = auto_voxel(tgt, src)
    assert 2.5 < v < 4.0
    assert auto_voxel(tgt / 1000.0, src / 1000.0) == pytest.approx(v / 1000.0, rel=1e-6)
    assert auto_voxel(tgt / 10.0, src / 10.0) == pytest.approx(v / 10.0, rel=1e-6)


def test_the_voxel_is_never_finer_than_the_points():
    rng = np.random.default_rng(0)
    sparse = rng.uniform(0, 100, size=(300, 3))  # spacing far above 1/80 of the box
    v = auto_voxel(sparse)
    from facecli.geometry.normals import median_spacing

    assert v >= median_spacing(sparse) > robust_diagonal(sparse) / 80


def test_stray_points_do_not_change_the_size():
    _, tgt, _ = make_scan_pair(angle_deg=0, outliers=0.0, spacing=2.0)
    far = np.concatenate([tgt, np.full((5, 3), 1e5)])
    assert robust_diagonal(far) == pytest.approx(robust_diagonal(tgt), rel=0.05)


def test_given_distances_are_kept_and_the_rest_follow_the_voxel():
    _, tgt, _ = make_scan_pair(angle_deg=0, outliers=0.0, spacing=2.0)
    s = RegistrationConfig(voxel=2.0, fine_delta=0.7).scales(tgt)
    assert (s.voxel, s.normal_radius, s.feature_radius, s.delta, s.fine_delta) == (2.0, 4.0, 10.0, 3.0, 0.7)
    assert s.fine_max_distance == 6.0 and s.inlier_threshold == 3.0
    assert len(s.as_array()) == len(SCALE_COLUMNS) and "voxel 2" in s.describe()
    assert resolve_scales(tgt, voxel=2.0) == RegistrationConfig(voxel=2.0).scales(tgt)
