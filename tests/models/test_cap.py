"""CAPNet: shapes, unit outputs, the cascade's receptive field, the angular loss."""

from __future__ import annotations

import math

import pytest
import torch

from facecli.models.cap import CAPNet, CascadedAtrousPyramid, angular_loss


def test_outputs_are_unit_normals_at_three_scales():
    torch.manual_seed(0)
    net = CAPNet(width=4).eval()
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.normals.shape) for o in outs] == [(2, 3, 32, 32), (2, 3, 16, 16), (2, 3, 8, 8)]
    assert [tuple(o.mask_logits.shape) for o in outs] == [(2, 1, 32, 32), (2, 1, 16, 16), (2, 1, 8, 8)]
    for o in outs:
        torch.testing.assert_close(o.normals.norm(dim=1), torch.ones_like(o.normals[:, 0]), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="divisible by 8"):
        net(torch.rand(1, 3, 30, 30))


def test_ablation_has_the_same_parameters_but_a_smaller_receptive_field():
    a, b = CAPNet(width=4), CAPNet(width=4, dilations=(1, 1, 1, 1))
    assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())

    def reach(dilations):
        torch.manual_seed(0)
        cap = CascadedAtrousPyramid(8, dilations).eval()
        x = (torch.rand(1, 8, 41, 41) + 0.5).requires_grad_(True)
        cap(x)[0, :, 20, 20].sum().backward()
        cols = (x.grad.abs().sum(dim=(0, 1, 2)) > 0).nonzero()
        return int(cols.max() - cols.min() + 1)

    assert reach((1, 2, 4, 8)) == 31 and reach((1, 1, 1, 1)) == 9


def test_angular_loss():
    n = torch.nn.functional.normalize(torch.randn(2, 3, 4, 4), dim=1)
    mask = torch.ones(2, 1, 4, 4)
    assert float(angular_loss(n, n, mask)) < 1e-2
    assert float(angular_loss(n, -n, mask)) == pytest.approx(math.pi, abs=1e-2)
    assert float(angular_loss(n, -n, torch.zeros_like(mask))) == 0.0
