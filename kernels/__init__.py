"""Custom CUDA kernels for hot paths (installed as ``facecli.kernels``), and the one place
that decides whether they are used.

- ``fpfh/``: radius search (uniform grid or tiled brute force), SPFH and FPFH, one thread
  per point, for float32 clouds on a CUDA device.
- ``attention/``: the DGPA dual-path attention forward fused into one launch (backward
  through the PyTorch reference).

A kernel is used when the data is on a CUDA device, a CUDA toolchain (nvcc) is found to
build it at first use (cached: see :mod:`facecli.kernels.build`), and it is not switched
off with ``FACECLI_KERNELS=reference`` (or ``--device cpu``). Otherwise the library uses its
plain-PyTorch reference on any device; when a GPU is present but the kernel cannot be built
or loaded, a :class:`KernelFallbackWarning` says why, once.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable

import numpy as np

__all__ = ["KernelFallbackWarning", "attention_fits", "attention_kernel", "fpfh_kernel", "kernels_disabled", "status"]

#: ``fn(points (N, 3), normals (N, 3), radius, max_nn) -> (N, 33) float32``, all numpy.
FPFHKernel = Callable[[np.ndarray, np.ndarray, float, int], np.ndarray]


class KernelFallbackWarning(UserWarning):
    """A GPU is there but a compiled kernel is not: the PyTorch reference is used."""


def kernels_disabled() -> bool:
    """True when ``FACECLI_KERNELS`` is ``reference`` (also ``off``, ``0``, ``none``)."""
    return os.environ.get("FACECLI_KERNELS", "auto").strip().lower() in ("reference", "off", "0", "none")


def _on_cuda(device: str) -> bool:
    if kernels_disabled() or not str(device).startswith("cuda"):
        return False
    import torch

    return torch.cuda.is_available()


@functools.cache
def _backend(name: str) -> object:
    """The loaded CUDA backend of kernel ``name``, or the reason (str) it is unavailable."""
    from facecli.kernels.build import KernelUnavailable

    try:
        if name == "fpfh":
            from facecli.kernels.fpfh import cuda_backend
        else:
            from facecli.kernels.attention import cuda_backend
        return cuda_backend()
    except KernelUnavailable as exc:
        warnings.warn(
            f"facecli: the {name} CUDA kernel is unavailable, using the PyTorch reference: {exc}",
            KernelFallbackWarning,
            stacklevel=3,
        )
        return str(exc)


def fpfh_kernel(device: str) -> FPFHKernel | None:
    """The compiled FPFH (with its GPU neighbour search) for ``device``, or ``None`` to use
    the reference.

    Args:
        device: a torch device string (``cpu``, ``cuda``, ``cuda:0``).
    """
    if not _on_cuda(device) or isinstance(_backend("fpfh"), str):
        return None
    from facecli.kernels.fpfh import fpfh_numpy

    search = os.environ.get("FACECLI_FPFH_SEARCH", "grid")
    return functools.partial(fpfh_numpy, device=device, search=search)


def attention_kernel(device: str) -> Callable[..., tuple] | None:
    """The fused dual-path attention for tensors on ``device``, or ``None`` for the reference."""
    if not _on_cuda(device) or isinstance(_backend("attention"), str):
        return None
    from facecli.kernels.attention import fused_dual_path_attention

    return fused_dual_path_attention


def attention_fits(x: object, w1: object) -> bool:
    """Whether one sample's scratch of the fused attention fits a GPU block (else the reference runs)."""
    from facecli.kernels.attention import fits

    return bool(fits(x, w1))


def status() -> dict[str, str]:
    """What each kernel does here, in words (for reports and benchmarks)."""
    from facecli.kernels.build import find_nvcc

    out: dict[str, str] = {}
    if kernels_disabled():
        return {"fpfh": "off (FACECLI_KERNELS=reference)", "attention": "off (FACECLI_KERNELS=reference)"}
    try:
        import torch

        gpu = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        gpu = False
    nvcc = find_nvcc()
    for name in ("fpfh", "attention"):
        if not gpu:
            out[name] = f"reference (no CUDA device; nvcc {'found' if nvcc else 'not found'})"
        else:
            b = _backend(name)
            out[name] = f"reference ({b})" if isinstance(b, str) else "CUDA kernel"
    return out
