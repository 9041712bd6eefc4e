"""Heatmap targets, Adaptive Wing loss, top-k decoding."""

from __future__ import annotations

import pytest
import torch

from facecli.landmarks3d.heatmaps import (
    adaptive_wing_loss,
    decode_topk,
    gaussian_targets,
)


def test_adaptive_wing_zero_at_target_and_continuous_at_theta():
    y = torch.rand(500)
    assert float(adaptive_wing_loss(y, y)) == pytest.approx(0.0, abs=1e-7)
    t = torch.full((1,), 0.3)
    below = float(adaptive_wing_loss(t + 0.5 - 1e-5, t, foreground_weight=0))
    above = float(adaptive_wing_loss(t + 0.5 + 1e-5, t, foreground_weight=0))
    assert below == pytest.approx(above, abs=1e-3)
    # grows with the error, linearly far out
    l1, l2, l3 = (float(adaptive_wing_loss(t + d, t, foreground_weight=0)) for d in (1.0, 2.0, 3.0))
    assert l1 < l2 < l3 and (l3 - l2) == pytest.approx(l2 - l1, rel=1e-4)


def test_foreground_points_weigh_more():
    t = torch.tensor([0.9, 0.0])
    p = torch.tensor([0.6, 0.3])  # the same error on a peak and on the background
    per = [float(adaptive_wing_loss(p[i : i + 1], t[i : i + 1])) for i in range(2)]
    assert per[0] > 5 * per[1]


def test_targets_and_decoding_recover_a_landmark():
    g = torch.Generator().manual_seed(0)
    pts = 0.4 + 0.2 * torch.rand(1, 3000, 3, generator=g)  # about 0.014 apart
    lm = torch.tensor([[[0.5, 0.5, 0.5], [0.45, 0.55, 0.52]]])
    heat = gaussian_targets(pts, lm, 0.03)
    assert heat.shape == (1, 3000, 2) and float(heat.max()) <= 1.0
    pos, conf, idx, vals = decode_topk(heat, pts, 7)
    assert idx.shape == (1, 7, 2) and torch.all(vals[:, :-1] >= vals[:, 1:])
    assert torch.allclose(pos, lm, atol=0.015)
    assert torch.all(conf > 0.8)
    # a single hot point decodes to that point
    h = torch.zeros(1, 3000, 1)
    h[0, 42, 0] = 100.0
    assert torch.allclose(decode_topk(h, pts, 7)[0][0, 0], pts[0, 42])
