"""Multi-stream capsule network: shapes, squash, margin loss, routing, learning."""

from __future__ import annotations

import pytest
import torch

from facecli.errors import InputError
from facecli.models.capsnet import MECapsConfig, MECapsNet, margin_loss, squash


def _net(streams=("flow", "apex"), k=3, size=32):
    torch.manual_seed(0)
    return MECapsNet(MECapsConfig(streams=streams, n_classes=k, size=size, width=8))


def test_shapes_and_lengths():
    net = _net().eval()
    out = net({"flow": torch.randn(4, 3, 32, 32), "apex": torch.rand(4, 1, 32, 32)})
    assert out.shape == (4, 3) and bool(((out >= 0) & (out < 1)).all())
    # other input sizes are resized to the configured one
    assert net({"flow": torch.randn(1, 3, 40, 40), "apex": torch.rand(1, 1, 40, 40)}).shape == (1, 3)
    with pytest.raises(InputError, match="missing apex"):
        net({"flow": torch.randn(1, 3, 32, 32)})
    with pytest.raises(InputError, match="streams"):
        MECapsNet(MECapsConfig(streams=("flow", "depth")))
    with pytest.raises(InputError, match="multiple of 8"):
        MECapsNet(MECapsConfig(size=30))


def test_squash_keeps_direction_and_bounds_length():
    s = torch.tensor([[3.0, 4.0], [0.0, 0.0], [0.03, 0.04]])
    v = squash(s)
    assert v[0].norm().item() == pytest.approx(25 / 26, rel=1e-5)
    assert torch.allclose(v[0] / v[0].norm(), s[0] / 5)
    assert v[1].norm().item() == 0.0 and v[2].norm().item() == pytest.approx(0.0025 / 1.0025, rel=1e-4)


def test_margin_loss_by_hand():
    lengths = torch.tensor([[0.95, 0.05, 0.5]])
    # true class 0 above 0.9: 0; class 1 below 0.1: 0; class 2: 0.5 * (0.5 - 0.1)^2 = 0.08
    assert margin_loss(lengths, torch.tensor([0])).item() == pytest.approx(0.08)
    lengths = torch.tensor([[0.5, 0.0], [0.95, 0.0]])
    w = torch.tensor([3.0, 1.0])
    # per sample (0.4^2 = 0.16, 0); weighted by the true class: (3*0.16 + 3*0) / 6
    assert margin_loss(lengths, torch.tensor([0, 0]), class_weight=w).item() == pytest.approx(0.08)


def test_routing_passes_gradients_and_learns_a_separable_toy_task():
    torch.manual_seed(1)
    net = _net(streams=("flow",), k=2, size=16)
    x = torch.randn(32, 3, 16, 16) * 0.1
    y = torch.arange(32) % 2
    x[y == 1, 0, 4:8, 4:8] += 2.0  # class 1: a patch of rightward flow
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        loss = margin_loss(net({"flow": x}), y)
        opt.zero_grad()
        loss.backward()
        if first is None:
            assert net.route_weight.grad is not None and net.route_weight.grad.abs().sum() > 0
            assert net.streams["flow"][0].weight.grad.abs().sum() > 0  # through the routing to the CNN
            first = loss.item()
        opt.step()
    net.eval()
    acc = (net({"flow": x}).argmax(1) == y).float().mean().item()
    assert loss.item() < 0.5 * first and acc == 1.0


def test_stream_dropout_only_acts_in_training():
    torch.manual_seed(0)
    a = MECapsNet(MECapsConfig(streams=("flow", "apex"), n_classes=3, size=16, width=4, dropout=0.0))
    b = MECapsNet(
        MECapsConfig(streams=("flow", "apex"), n_classes=3, size=16, width=4, dropout=0.0, stream_dropout=1.0)
    )
    b.load_state_dict(a.state_dict())
    x = {"flow": torch.randn(6, 3, 16, 16), "apex": torch.rand(6, 1, 16, 16)}
    a.eval(), b.eval()
    assert torch.equal(a(x), b(x))
    a.train(), b.train()
    torch.manual_seed(1)
    pa = a.primary_capsules(x)
    torch.manual_seed(1)
    pb = b.primary_capsules(x)
    assert not torch.allclose(pa, pb)  # every sample lost one stream
