"""Model files: float16 storage halves the file and loads back into float32 models."""

from __future__ import annotations

import torch

from facecli.train.checkpoint import load_model_file, save_model_file


def test_half_storage_round_trips_into_float32_parameters(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.BatchNorm1d(64))
    full = save_model_file(tmp_path / "full.pt", model="toy", config={}, state_dict=net.state_dict(), meta={})
    half = save_model_file(
        tmp_path / "half.pt", model="toy", config={}, state_dict=net.state_dict(), meta={}, half=True
    )
    assert half.stat().st_size < 0.7 * full.stat().st_size
    obj = load_model_file(half, model="toy")
    assert (
        obj["meta"]["stored_dtype"] == "float16"
        and load_model_file(full, model="toy")["meta"]["stored_dtype"] == "float32"
    )
    assert obj["state_dict"]["0.weight"].dtype == torch.float16
    assert obj["state_dict"]["1.num_batches_tracked"].dtype == torch.int64  # integers are kept
    other = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.BatchNorm1d(64))
    other.load_state_dict(obj["state_dict"])
    assert other[0].weight.dtype == torch.float32
    torch.testing.assert_close(other[0].weight, net[0].weight, atol=1e-3, rtol=1e-3)
    assert not torch.equal(other[0].weight, net[0].weight)  # it really was rounded
