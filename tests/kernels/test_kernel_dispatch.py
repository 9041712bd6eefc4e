"""The one place that picks kernel or reference: by device, the FACECLI_KERNELS switch, and a
clean fallback (with a warning saying why) when a GPU is there but the kernel is not."""

import numpy as np
import pytest
import torch

import facecli.kernels as kernels
from facecli.kernels import fpfh as kf
from facecli.kernels.build import KernelUnavailable


@pytest.fixture(autouse=True)
def _fresh_backends():
    kernels._backend.cache_clear()
    yield
    kernels._backend.cache_clear()


def test_cpu_device_uses_the_reference():
    assert kernels.fpfh_kernel("cpu") is None and kernels.attention_kernel("cpu") is None


def test_switch_forces_the_reference(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(kf, "cuda_backend", lambda: pytest.fail("must not build when switched off"))
    for value in ("reference", "off", "0"):
        monkeypatch.setenv("FACECLI_KERNELS", value)
        assert kernels.kernels_disabled() and kernels.fpfh_kernel("cuda") is None
        assert all(v.startswith("off") for v in kernels.status().values())


def test_gpu_without_toolchain_falls_back_with_a_warning(monkeypatch):
    monkeypatch.delenv("FACECLI_KERNELS", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)

    def no_nvcc():
        raise KernelUnavailable("no CUDA toolchain: nvcc not found")

    monkeypatch.setattr(kf, "cuda_backend", no_nvcc)
    with pytest.warns(kernels.KernelFallbackWarning, match="nvcc not found"):
        assert kernels.fpfh_kernel("cuda:0") is None
    assert kernels.status()["fpfh"] == "reference (no CUDA toolchain: nvcc not found)"


def test_gpu_with_kernel_gets_it(monkeypatch):
    monkeypatch.delenv("FACECLI_KERNELS", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(kf, "cuda_backend", lambda: object())
    fn = kernels.fpfh_kernel("cuda")
    assert fn is not None and fn.func is kf.fpfh_numpy and fn.keywords == {"device": "cuda", "search": "grid"}
    monkeypatch.setenv("FACECLI_FPFH_SEARCH", "brute")
    kernels._backend.cache_clear()
    assert kernels.fpfh_kernel("cuda").keywords["search"] == "brute"


def test_status_without_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    st = kernels.status()
    assert set(st) == {"fpfh", "attention"} and all(v.startswith("reference (no CUDA device") for v in st.values())


def test_fpfh_numpy_refuses_a_cpu_device():
    with pytest.raises(KernelUnavailable, match="CUDA devices"):
        kf.fpfh_numpy(np.zeros((2, 3)), np.zeros((2, 3)), 1.0, 4, device="cpu")
