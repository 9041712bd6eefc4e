"""Preparing clouds: the numpy voxel grid and PCA normals against Open3D's, the two-thread pair."""

from __future__ import annotations

import numpy as np

from facecli.registration.preprocess import estimate_normals, prepare_cloud, prepare_pair, voxel_downsample

from helpers.scans import make_scan_pair


def test_voxel_grid_equals_open3d():
    import open3d as o3d

    _, tgt, _ = make_scan_pair(angle_deg=0, outliers=0.1, spacing=2.0)
    ours = voxel_downsample(tgt, 3.0)
    theirs = np.asarray(o3d.geometry.PointCloud(o3d.utility.Vector3dVector(tgt)).voxel_down_sample(3.0).points)
    assert len(ours) == len(theirs)
    key = lambda a: a[np.lexsort(np.round(a, 6).T)]  # noqa: E731
    np.testing.assert_allclose(key(ours), key(theirs), atol=1e-9)


def test_pca_normals_equal_open3d_up_to_sign():
    import open3d as o3d

    _, tgt, _ = make_scan_pair(angle_deg=0, outliers=0.0, spacing=2.0)
    ours = estimate_normals(tgt, 6.0, 30)
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(tgt))
    pc.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=6.0, max_nn=30))
    cos = np.abs(np.sum(ours * np.asarray(pc.normals), 1))
    # points with a handful of (often collinear) neighbours: Open3D leaves (0, 0, 1), facecli
    # borrows the nearest well-defined normal; everywhere else the two agree
    from facecli.features.fpfh import hybrid_neighbours

    _, _, cnt = hybrid_neighbours(tgt, 6.0, 30)
    well = cnt >= 8
    assert well.mean() > 0.85
    assert np.median(cos[well]) > 0.9999 and np.mean(cos[well] > 0.99) > 0.999
    # oriented away from the centroid, as the registration needs
    assert np.mean(np.sum(ours * (tgt - tgt.mean(0)), 1) >= 0) == 1.0


def test_pair_preparation_equals_one_by_one():
    src, tgt, _ = make_scan_pair(angle_deg=30, outliers=0.05, spacing=2.5)
    a, b = prepare_pair(src, tgt, 3.0)
    a1 = prepare_cloud(src, 3.0, full_normals=False)
    b1 = prepare_cloud(tgt, 3.0)
    np.testing.assert_array_equal(a.features, a1.features)
    np.testing.assert_array_equal(b.fine_normals, b1.fine_normals)
