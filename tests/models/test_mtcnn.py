"""MTCNN's networks with the mtcnn package's weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from facecli.errors import DependencyError, FormatError
from facecli.models.mtcnn import ONet, PNet, RNet, load_mtcnn, mtcnn_weights_dir


def test_weights_load_into_every_layer():
    pnet, rnet, onet = load_mtcnn()
    for net in (pnet, rnet, onet):
        assert not net.training
        assert all(not p.requires_grad for p in net.parameters())
        # every parameter was replaced by a trained one (fresh PReLUs start at 0.25 everywhere)
        assert all(not torch.all(p == 0.25) for n, p in net.named_parameters() if "weight" in n)


def test_output_shapes():
    pnet, rnet, onet = load_mtcnn()
    with torch.inference_mode():
        prob, off = pnet(torch.zeros(2, 3, 30, 40))
        assert prob.shape == (2, 10, 15) and off.shape == (2, 4, 10, 15)
        p, b, pts = rnet(torch.zeros(3, 3, 24, 24))
        assert p.shape == (3,) and b.shape == (3, 4) and pts is None
        p, b, pts = onet(torch.zeros(3, 3, 48, 48))
        assert p.shape == (3,) and b.shape == (3, 4) and pts.shape == (3, 10)
        assert torch.all((p >= 0) & (p <= 1))


def test_untrained_nets_build():
    assert sum(p.numel() for p in PNet().parameters()) == 6632
    assert RNet().fc.in_features == 576 and ONet().fc.in_features == 1152


def test_missing_or_wrong_weights(tmp_path, monkeypatch):
    import joblib

    with pytest.raises(FormatError, match="expected 13 weight arrays"):
        for n in ("pnet", "rnet", "onet"):
            joblib.dump([np.zeros(1)], tmp_path / f"{n}.lz4")
        load_mtcnn(tmp_path)
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mtcnn" else real(name, *a))
    with pytest.raises(DependencyError, match="pip install mtcnn"):
        mtcnn_weights_dir()
