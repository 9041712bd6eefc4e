"""Custom CUDA kernels for hot paths (installed as ``facecli.kernels``).

The compiled FPFH and attention kernels land with issue #11. Until then every
dispatch point here reports "no kernel" and the library uses its plain-PyTorch
reference implementations, which the kernels will be tested against.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np

__all__ = ["fpfh_kernel"]

FPFHKernel = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def fpfh_kernel(device: str) -> Optional[FPFHKernel]:
    """The compiled FPFH kernel for ``device``, or ``None`` to use the reference.

    Args:
        device: a torch device string (``cpu``, ``cuda``, ``cuda:0``).

    Returns:
        ``fn(points, normals, index, dist2, count) -> (N, 33) float32`` or ``None``.
    """
    return None
