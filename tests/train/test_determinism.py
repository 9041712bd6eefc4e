import os

import torch

from facecli.train import resolve_device
from facecli.train.determinism import deterministic_cuda


def _flags():
    return (
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )


def _restore(saved):
    env, bench, det, algos, warn = saved
    if env is None:
        os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
    else:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = env
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = bench, det
    torch.use_deterministic_algorithms(algos, warn_only=warn)


def test_cuda_work_is_made_repeatable(monkeypatch):
    saved = _flags()
    try:
        monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.benchmark = True
        assert resolve_device("cuda") == "cuda"  # no GPU needed: only the switches are set
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        assert not torch.backends.cudnn.benchmark and torch.backends.cudnn.deterministic
        assert torch.are_deterministic_algorithms_enabled() and torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        _restore(saved)


def test_a_strict_setting_and_an_explicit_workspace_are_kept(monkeypatch):
    saved = _flags()
    try:
        monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
        torch.use_deterministic_algorithms(True)
        deterministic_cuda()
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
        assert (
            torch.are_deterministic_algorithms_enabled() and not torch.is_deterministic_algorithms_warn_only_enabled()
        )
    finally:
        _restore(saved)


def test_cpu_leaves_the_switches_alone(monkeypatch):
    saved = _flags()
    try:
        torch.use_deterministic_algorithms(False)
        assert resolve_device("cpu") == "cpu"
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        _restore(saved)
