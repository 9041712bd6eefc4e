"""The projection network: per-radius parts, the model-file round trip."""

from __future__ import annotations

import pytest
import torch

from facecli.models.hdlbp_lda import HDLBPLDA, HDLBPConfig
from facecli.recognition.hdlbp import HD_BLOCK


def test_two_radii_give_the_mean_cosine():
    net = HDLBPLDA(HDLBPConfig(radii=(1, 2), blocks=1, per_block=4, dim=3))
    g = torch.Generator().manual_seed(0)
    for buf in net.buffers():
        buf.copy_(torch.randn(buf.shape, generator=g))
    x = torch.randint(0, 60, (2, 2, HD_BLOCK), generator=g, dtype=torch.uint8)
    e = net(x)
    halves = [torch.nn.functional.normalize(e[:, k * 3 : (k + 1) * 3], dim=1) for k in range(2)]
    mean_cos = sum(float(h[0] @ h[1]) for h in halves) / 2
    assert float(e[0] @ e[1]) == pytest.approx(mean_cos, abs=1e-5)
    with pytest.raises(ValueError, match="descriptors"):
        net(x[:, :1])


def test_model_file_round_trip(tmp_path):
    from facecli.models.registry import load
    from facecli.train.checkpoint import save_model_file

    net = HDLBPLDA(HDLBPConfig(radii=(2,), blocks=1, per_block=2, dim=3))
    torch.manual_seed(0)
    for buf in net.buffers():
        buf.copy_(torch.randn(buf.shape))
    path = save_model_file(
        tmp_path / "p.pt", model="hdlbp-lda", config=net.config.as_dict(), state_dict=net.state_dict(), meta={}
    )
    loaded, obj = load(path, expect="hdlbp-lda")
    assert loaded.config == net.config and obj["model"] == "hdlbp-lda"
    x = torch.randint(0, 60, (4, 1, HD_BLOCK), dtype=torch.uint8)
    torch.testing.assert_close(loaded(x), net(x))
