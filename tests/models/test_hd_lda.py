"""The projection network: parts of different descriptors, the mean cosine, the model-file round trip."""

from __future__ import annotations

import pytest
import torch

from facecli.models.hd_lda import PART_BLOCK, PART_NORM, HDDescriptorConfig, HDDescriptorLDA


def _random(net: HDDescriptorLDA, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    for buf in net.buffers():
        buf.copy_(torch.randn(buf.shape, generator=g))


def test_parts_give_the_mean_cosine():
    net = HDDescriptorLDA(HDDescriptorConfig(parts=("lbp1", "sift"), blocks=(1, 2), per_block=4, dim=3))
    _random(net)
    g = torch.Generator().manual_seed(1)
    x = [torch.randint(0, 60, (2, 944), generator=g, dtype=torch.uint8), torch.rand(2, 256, generator=g) * 300]
    e = net(x)
    assert e.shape == (2, 6)
    halves = [torch.nn.functional.normalize(e[:, k * 3 : (k + 1) * 3], dim=1) for k in range(2)]
    mean_cos = sum(float(h[0] @ h[1]) for h in halves) / 2
    assert float(e[0] @ e[1]) == pytest.approx(mean_cos, abs=1e-5)
    with pytest.raises(ValueError, match="2 descriptors"):
        net(x[:1])
    with pytest.raises(ValueError, match="sift descriptors"):
        net([x[0], x[1][:, :128]])
    with pytest.raises(ValueError, match="parts among"):
        HDDescriptorLDA(HDDescriptorConfig(parts=("hog",), blocks=(1,)))


def test_part_tables_agree_with_the_descriptors():
    from facecli.recognition.hdparts import HD_PARTS

    assert {p: (b, n) for p, (_, b, n) in HD_PARTS.items()} == {p: (PART_BLOCK[p], PART_NORM[p]) for p in PART_BLOCK}


def test_model_file_round_trip(tmp_path):
    from facecli.models.registry import load
    from facecli.train.checkpoint import save_model_file

    net = HDDescriptorLDA(HDDescriptorConfig(parts=("gabor", "lbp2"), blocks=(1, 1), per_block=2, dim=3))
    _random(net)
    path = save_model_file(
        tmp_path / "p.pt", model="hd-lda", config=net.config.as_dict(), state_dict=net.state_dict(), meta={}
    )
    loaded, obj = load(path, expect="hd-lda")
    assert loaded.config == net.config and obj["model"] == "hd-lda"
    x = [torch.rand(4, 640), torch.randint(0, 60, (4, 944), dtype=torch.uint8)]
    torch.testing.assert_close(loaded(x), net(x))
