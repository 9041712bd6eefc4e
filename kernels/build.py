"""Build the CUDA kernels at first use with the machine's toolchain, and cache them.

Each kernel is a ``.cu`` file with ``extern "C"`` entry points taking device pointers and a
stream, compiled by ``nvcc`` into a shared library and called through :mod:`ctypes`, so it
works with any PyTorch build (no C++ extension ABI). The library is cached under
``$FACECLI_KERNEL_CACHE`` (default ``~/.cache/facecli/kernels``), keyed by the sources,
the nvcc version and the target architectures; a change to any of them rebuilds it.

The per-thread code of every kernel is also compiled for the host (``*_host.cpp``, any C++
compiler), which is how the tests check the kernels' arithmetic on machines without a GPU.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from facecli.errors import FaceCLIError

__all__ = [
    "Backend",
    "KernelUnavailable",
    "cache_dir",
    "compile_check",
    "find_nvcc",
    "build_cuda",
    "build_host",
    "load_library",
    "on_device",
    "ptr",
    "KERNEL_DIR",
]

#: The folder holding the kernel sources (``fpfh/``, ``attention/``).
KERNEL_DIR = Path(__file__).resolve().parent


class KernelUnavailable(FaceCLIError):
    """A compiled kernel cannot be built or loaded here; the message says why."""


def cache_dir() -> Path:
    """Where built libraries are kept (``$FACECLI_KERNEL_CACHE`` or ``~/.cache/facecli/kernels``)."""
    env = os.environ.get("FACECLI_KERNEL_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "facecli" / "kernels"


def find_nvcc() -> Path | None:
    """nvcc from ``$CUDA_HOME``/``$CUDA_PATH``, else from PATH, else ``/usr/local/cuda``."""
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if os.environ.get(var):
            p = Path(os.environ[var]) / "bin" / "nvcc"
            if p.exists():
                return p
    which = shutil.which("nvcc")
    if which:
        return Path(which)
    p = Path("/usr/local/cuda/bin/nvcc")
    return p if p.exists() else None


def arch_flags() -> list[str]:
    """``-gencode`` flags: ``$FACECLI_CUDA_ARCH`` (e.g. ``90`` or ``80,90``), else the current
    GPU's compute capability, else sm_80 and sm_90; PTX of the highest is embedded too."""
    env = os.environ.get("FACECLI_CUDA_ARCH")
    if env:
        archs = [a.strip().replace(".", "") for a in env.split(",") if a.strip()]
    else:
        archs = []
        try:
            import torch

            if torch.cuda.is_available():
                major, minor = torch.cuda.get_device_capability()
                archs = [f"{major}{minor}"]
        except Exception:  # noqa: BLE001 - no usable GPU: the defaults
            archs = []
        archs = archs or ["80", "90"]
    flags = [f"-gencode=arch=compute_{a},code=sm_{a}" for a in archs]
    return flags + [f"-gencode=arch=compute_{archs[-1]},code=compute_{archs[-1]}"]


def _digest(paths: list[Path], extra: str) -> str:
    h = hashlib.sha256(extra.encode())
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _sources(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.suffix in (".cu", ".cuh", ".cpp", ".h")]


def _run(cmd: list[str], what: str) -> None:
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KernelUnavailable(f"{what}: cannot run {cmd[0]} ({exc})") from exc
    if res.returncode != 0:
        tail = "\n".join((res.stderr or res.stdout).strip().splitlines()[-12:])
        raise KernelUnavailable(f"{what} failed ({cmd[0]} exit {res.returncode}):\n{tail}")


def _build(name: str, folder: Path, cmd_for: callable[[Path], list[str]], key_extra: str, what: str) -> Path:
    out = cache_dir() / f"{name}-{_digest(_sources(folder), key_extra)}.so"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        tmp_out = Path(tmp) / out.name
        _run(cmd_for(tmp_out), what)
        os.replace(tmp_out, out)  # atomic: a concurrent build never sees half a library
    return out


def build_cuda(name: str, cu: Path) -> Path:
    """Compile ``cu`` (with the headers beside it) into a cached shared library.

    Raises:
        KernelUnavailable: no nvcc, or the compilation failed (nvcc's last lines attached).
    """
    nvcc = find_nvcc()
    if nvcc is None:
        raise KernelUnavailable("no CUDA toolchain: nvcc not found (set CUDA_HOME, or put nvcc on PATH)")
    flags = ["-O3", "-shared", "-Xcompiler", "-fPIC", "-std=c++17", *arch_flags()]
    version = subprocess.run([str(nvcc), "--version"], capture_output=True, text=True).stdout
    return _build(
        name,
        cu.parent,
        lambda o: [str(nvcc), *flags, f"-I{cu.parent}", str(cu), "-o", str(o)],
        version + " ".join(flags),
        f"building {cu.name} with nvcc",
    )


def build_host(name: str, cpp: Path) -> Path:
    """Compile the host build ``cpp`` of a kernel's per-thread code with the C++ compiler
    (``$CXX``, else g++/c++/clang++).

    Raises:
        KernelUnavailable: no C++ compiler, or the compilation failed.
    """
    cxx = os.environ.get("CXX") or next((c for c in ("g++", "c++", "clang++") if shutil.which(c)), None)
    if cxx is None:
        raise KernelUnavailable("no C++ compiler (g++, c++ or clang++) for the kernels' host build")
    flags = ["-O2", "-shared", "-fPIC", "-std=c++17"]
    return _build(
        f"{name}-host",
        cpp.parent,
        lambda o: [cxx, *flags, f"-I{cpp.parent}", str(cpp), "-o", str(o)],
        cxx + " ".join(flags),
        f"building {cpp.name} for the host",
    )


def compile_check(cu: Path) -> None:
    """Compile ``cu`` to an object file and throw it away: a syntax or type error in the
    CUDA sources fails here, on machines with nvcc but no GPU (CI).

    Raises:
        KernelUnavailable: no nvcc, or the compilation failed.
    """
    nvcc = find_nvcc()
    if nvcc is None:
        raise KernelUnavailable("no CUDA toolchain: nvcc not found")
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            [
                str(nvcc),
                "-c",
                "-std=c++17",
                "-Xcompiler",
                "-fPIC",
                *arch_flags(),
                f"-I{cu.parent}",
                str(cu),
                "-o",
                str(Path(tmp) / "check.o"),
            ],
            f"compiling {cu.name}",
        )


def load_library(path: Path) -> ctypes.CDLL:
    """Load a built library.

    Raises:
        KernelUnavailable: the loader refused it (e.g. a missing runtime library).
    """
    try:
        return ctypes.CDLL(str(path))
    except OSError as exc:
        raise KernelUnavailable(f"cannot load {path.name}: {exc}") from exc


class Backend:
    """A loaded kernel library: the CUDA build (``facecli_<name>`` entry points, launched on
    torch's current stream, error code checked) or the host build (``host_<name>``).

    Args:
        lib: the loaded library.
        host: True for the host build.
    """

    def __init__(self, lib: ctypes.CDLL, *, host: bool) -> None:
        self.lib = lib
        self.host = host
        self._fns: dict[str, Any] = {}

    def _fn(self, name: str) -> Any:
        fn = self._fns.get(name)
        if fn is None:
            fn = getattr(self.lib, f"host_{name}" if self.host else f"facecli_{name}")
            fn.restype = None if self.host else ctypes.c_int
            self._fns[name] = fn
        return fn

    def call(self, name: str, *args: object) -> None:
        """Call entry point ``name`` with ctypes-ready ``args`` (pointers, c_int, c_float).

        Raises:
            KernelUnavailable: the CUDA launch reported an error.
        """
        fn = self._fn(name)
        if self.host:
            fn(*args)
            return
        import torch

        rc = fn(*args, ctypes.c_void_p(torch.cuda.current_stream().cuda_stream))
        if rc != 0:
            raise KernelUnavailable(f"CUDA kernel {name} failed to launch (cudaError {rc})")


def on_device(t: object) -> contextlib.AbstractContextManager[object]:
    """Make ``t``'s GPU the current one while its kernels launch (a no-op for CPU tensors), so
    launches and torch's current stream belong to the device that holds the data."""
    import torch

    if not t.is_cuda or t.device.index == torch.cuda.current_device():  # type: ignore[attr-defined]
        return contextlib.nullcontext()
    return torch.cuda.device(t.device)  # type: ignore[attr-defined]


def ptr(t: object) -> ctypes.c_void_p:
    """The address of a contiguous tensor's data, for a kernel argument."""
    return ctypes.c_void_p(t.data_ptr())  # type: ignore[attr-defined]
