"""Building the kernels: the CUDA sources compile wherever nvcc is (CI has it, no GPU needed),
builds are cached by content, and a missing or failing toolchain says what went wrong."""

import shutil
from pathlib import Path

import pytest

from facecli.kernels import build

from helpers.gpu import HAVE_CXX, needs_cxx

CUDA_SOURCES = sorted(build.KERNEL_DIR.glob("*/*.cu"))
needs_nvcc = pytest.mark.skipif(
    build.find_nvcc() is None or not HAVE_CXX, reason="nvcc (and its host compiler) not found"
)


def test_every_kernel_has_its_sources():
    assert {p.parent.name for p in CUDA_SOURCES} == {"fpfh", "attention"}
    for cu in CUDA_SOURCES:
        assert (cu.parent / f"{cu.stem}_core.cuh").exists() and (cu.parent / f"{cu.stem}_host.cpp").exists()


@needs_nvcc
@pytest.mark.parametrize("cu", CUDA_SOURCES, ids=lambda p: p.name)
def test_cuda_sources_compile(cu, monkeypatch):
    monkeypatch.setenv("FACECLI_CUDA_ARCH", "80,90")
    build.compile_check(cu)


@needs_nvcc
def test_cuda_build_is_cached_and_rebuilt_when_a_source_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("FACECLI_KERNEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FACECLI_CUDA_ARCH", "90")
    src = tmp_path / "k"
    shutil.copytree(build.KERNEL_DIR / "fpfh", src)
    first = build.build_cuda("fpfh", src / "fpfh.cu")
    assert first.exists() and build.build_cuda("fpfh", src / "fpfh.cu") == first
    (src / "fpfh_core.cuh").write_text((src / "fpfh_core.cuh").read_text() + "\n// changed\n")
    second = build.build_cuda("fpfh", src / "fpfh.cu")
    assert second != first and second.exists()
    assert build.load_library(second).facecli_fpfh  # the entry points are exported


@needs_cxx
def test_syntax_error_is_reported_with_the_compiler_output(tmp_path, monkeypatch):
    monkeypatch.setenv("FACECLI_KERNEL_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "bad" / "bad_host.cpp"
    bad.parent.mkdir()
    bad.write_text('extern "C" void host_f() { int x = ; }\n')
    with pytest.raises(build.KernelUnavailable, match="bad_host.cpp.*failed") as info:
        build.build_host("bad", bad)
    assert "error" in str(info.value)


def test_missing_nvcc_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_HOME", raising=False)
    monkeypatch.delenv("CUDA_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(build, "Path", _NoDefaultCuda)
    with pytest.raises(build.KernelUnavailable, match="nvcc not found"):
        build.build_cuda("fpfh", build.KERNEL_DIR / "fpfh" / "fpfh.cu")
    monkeypatch.setenv("CUDA_HOME", str(tmp_path / "cuda"))
    (tmp_path / "cuda" / "bin").mkdir(parents=True)
    (tmp_path / "cuda" / "bin" / "nvcc").write_text("")
    assert build.find_nvcc() == tmp_path / "cuda" / "bin" / "nvcc"


class _NoDefaultCuda(type(Path())):
    """Path, except that /usr/local/cuda/bin/nvcc does not exist."""

    def exists(self, *a, **k):
        return False if str(self) == "/usr/local/cuda/bin/nvcc" else super().exists(*a, **k)


def test_arch_flags(monkeypatch):
    monkeypatch.setenv("FACECLI_CUDA_ARCH", "8.0,90")
    flags = build.arch_flags()
    assert "-gencode=arch=compute_80,code=sm_80" in flags and flags[-1] == "-gencode=arch=compute_90,code=compute_90"
