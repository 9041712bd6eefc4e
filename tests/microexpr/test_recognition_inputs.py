"""Recognition inputs: head motion removed from the flow, local motion kept, strain."""

from __future__ import annotations

import numpy as np

from facecli.microexpr.inputs import optical_strain, recognition_inputs
from facecli.microexpr.rois import FaceBox


def test_strain_of_a_linear_field():
    yy, xx = np.mgrid[0:20, 0:20].astype(np.float32)
    np.testing.assert_allclose(optical_strain(0.1 * xx, np.zeros_like(xx)), 0.1, atol=1e-6)
    # a pure translation has no strain; a rotation (u = -y, v = x) has none either
    assert optical_strain(np.full((9, 9), 2.0), np.zeros((9, 9))).max() == 0
    np.testing.assert_allclose(optical_strain(-0.05 * yy, 0.05 * xx), 0.0, atol=1e-6)


def test_head_shift_removed_local_motion_kept():
    import cv2

    rng = np.random.default_rng(0)
    size = 96
    tex = cv2.GaussianBlur(rng.normal(128, 60, (size, size)), (0, 0), 2.0).astype(np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    blob = np.exp(-((xx - 30) ** 2 + (yy - 64) ** 2) / (2 * 7.0**2)).astype(np.float32)
    shift = 1.5  # the whole head moves right
    local = 2.0 * blob  # and a "mouth corner" moves a further 2 px right
    apex = cv2.remap(tex, xx - shift - local, yy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    onset = tex.astype(np.uint8)
    flow, img = recognition_inputs(onset, np.clip(apex, 0, 255).astype(np.uint8), FaceBox(0, 0, size, size), 32)
    assert flow.shape == (32, 32, 3) and flow.dtype == np.float32 and img.shape == (32, 32) and img.dtype == np.uint8
    u = flow[..., 0] * size / 32  # back to input pixels
    far = np.hypot(np.arange(32)[None, :] * 3 + 1.5 - 30, np.arange(32)[:, None] * 3 + 1.5 - 64) > 25
    assert abs(float(np.median(u[far]))) < 0.3  # the shift is gone
    assert float(u[64 // 3, 30 // 3]) > 0.6  # the local motion is not (2 px at the centre, smoothed by the flow)
