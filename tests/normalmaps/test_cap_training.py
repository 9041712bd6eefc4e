"""CAP training: it learns, it is deterministic, and an interrupted run resumes to the same model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from facecli.models.cap import CAPNet
from facecli.normalmaps.renders import CAPDataset, cap_step, load_render_set
from facecli.train.loop import TrainConfig, fit


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    from facecli.synth.images import write_images

    out = tmp_path_factory.mktemp("renders")
    write_images(out, scheme="ibug68", count=8, seed=0, size=32)
    return out


def _train(data, cfg, progress=None):
    torch.manual_seed(0)
    net = CAPNet(width=4)
    hist = fit(net, CAPDataset(data, crop=24, seed=0), cap_step, cfg, progress=progress)
    return net, hist


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_learns_and_is_deterministic(renders):
    data = load_render_set(renders)
    assert data.images.shape == (8, 32, 32, 3) and data.normals.shape == (8, 32, 32, 3)
    cfg = TrainConfig(epochs=4, batch_size=4, lr=5e-3)
    a, hist = _train(data, cfg)
    b, _ = _train(data, cfg)
    assert hist[-1]["angle_deg"] < hist[0]["angle_deg"]
    assert _same(a, b)


def test_resume_after_interruption_gives_the_same_model(renders, tmp_path):
    data = load_render_set(renders)
    ck = tmp_path / "m.ckpt"
    full, _ = _train(data, TrainConfig(epochs=3, batch_size=4, checkpoint=tmp_path / "full.ckpt"))

    class Stop(Exception):
        pass

    def interrupt(loader, total, desc):
        if desc.startswith("epoch 3"):
            raise Stop  # killed at the start of the third epoch
        return loader

    with pytest.raises(Stop):
        _train(data, TrainConfig(epochs=3, batch_size=4, checkpoint=ck), progress=interrupt)
    resumed, hist = _train(data, TrainConfig(epochs=3, batch_size=4, checkpoint=ck, resume=True))
    assert [int(h["epoch"]) for h in hist] == [1, 2, 3]
    assert _same(full, resumed)


def test_flip_augmentation_negates_x(renders):
    data = load_render_set(renders)
    ds = CAPDataset(data, crop=32, seed=0)
    flips = 0
    for e in range(6):
        ds.set_epoch(e)
        _, n, m = ds[0]
        ref = torch.from_numpy(data.normals[0].transpose(2, 0, 1).copy())
        if torch.allclose(n, torch.stack([-ref[0].flip(-1), ref[1].flip(-1), ref[2].flip(-1)])):
            flips += 1
        else:
            torch.testing.assert_close(n, ref)
    assert 0 < flips < 6
    np.testing.assert_array_equal(data.masks.shape, (8, 32, 32))
