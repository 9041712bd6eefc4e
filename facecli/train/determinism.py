"""Repeatable CUDA work: the same inputs and ``--seed`` give the same outputs on a GPU too.

On the CPU, facecli's computations are repeatable as they are. On a GPU several of PyTorch's
kernels are not by default: cuDNN picks convolution algorithms by timing them, some backward
passes sum with atomics in whatever order the threads finish, and cuBLAS needs a fixed
workspace to give the same sums. :func:`deterministic_cuda` switches all of that to the
repeatable choices; :func:`facecli.train.resolve_device` calls it whenever work goes to a GPU.
"""

from __future__ import annotations

import os

__all__ = ["deterministic_cuda"]


def deterministic_cuda() -> None:
    """Make later CUDA work in this process repeatable (cheap; safe to call again).

    Sets ``CUBLAS_WORKSPACE_CONFIG`` (unless already set; it must be in place before the first
    cuBLAS call), turns cuDNN's benchmark mode off and its deterministic mode on, and asks
    PyTorch for deterministic algorithms, with a warning rather than an error for an operation
    that has none (unless the caller already enabled them strictly).
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    import torch

    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    if not torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(True, warn_only=True)
