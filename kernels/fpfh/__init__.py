"""FPFH on the GPU: radius search (uniform grid or tiled brute force), SPFH and FPFH kernels.

``fpfh_tensors`` runs the three steps on float32 tensors of one device with a
:class:`~facecli.kernels.build.Backend`: the CUDA build on CUDA tensors, or the host build of
the same per-thread code on CPU tensors (what the tests compare with
:func:`facecli.features.fpfh.fpfh_reference`). The grid search sorts the points by cell with
torch (on the same device) and each thread scans the 27 cells around its point.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from facecli.kernels.build import Backend, KernelUnavailable, build_cuda, build_host, load_library, on_device, ptr

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["SEARCHES", "cuda_backend", "fpfh_numpy", "fpfh_tensors", "grid_tables", "host_backend", "radius_search"]

HERE = Path(__file__).resolve().parent
#: Neighbour searches: ``grid`` (cells of the radius, 27 around each point) or ``brute`` (all pairs, tiled).
SEARCHES = ("grid", "brute")
DIM = 33


@functools.lru_cache(maxsize=1)
def cuda_backend() -> Backend:
    """The CUDA build (compiled at first use, cached). Raises KernelUnavailable."""
    return Backend(load_library(build_cuda("fpfh", HERE / "fpfh.cu")), host=False)


@functools.lru_cache(maxsize=1)
def host_backend() -> Backend:
    """The host build of the kernels' per-thread code (tests). Raises KernelUnavailable."""
    return Backend(load_library(build_host("fpfh", HERE / "fpfh_host.cpp")), host=True)


def grid_tables(points: torch.Tensor, radius: float) -> dict[str, torch.Tensor]:
    """Sort the points into cubic cells a little larger than ``radius``.

    Args:
        points: (N, 3) float32, any device.
        radius: the search radius, same units.

    Returns:
        ``cell`` (N, 3) int32 cell coordinates, ``dims`` (3,) int64 grid size, ``keys`` (M,)
        int64 occupied cells' linear keys (ascending), ``starts``/``sizes`` (M,) int32 their
        runs in ``order`` (N,) int32, the point indices sorted by cell.
    """
    import torch

    size = float(radius) * (1.0 + 1e-4)  # a point within the radius is at most one cell away
    lo = points.min(dim=0).values
    cell = torch.floor((points - lo) / size).to(torch.int64)
    dims = cell.max(dim=0).values + 1
    key = (cell[:, 2] * dims[1] + cell[:, 1]) * dims[0] + cell[:, 0]
    order = torch.argsort(key, stable=True)
    keys, sizes = torch.unique_consecutive(key[order], return_counts=True)
    starts = torch.cumsum(sizes, 0) - sizes
    return {
        "cell": cell.to(torch.int32).contiguous(),
        "dims": dims.contiguous(),
        "keys": keys.contiguous(),
        "starts": starts.to(torch.int32).contiguous(),
        "sizes": sizes.to(torch.int32).contiguous(),
        "order": order.to(torch.int32).contiguous(),
    }


def radius_search(
    points: torch.Tensor, radius: float, max_nn: int, backend: Backend, *, search: str = "grid"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """At most ``max_nn`` nearest points within ``radius`` of every point, nearest first
    (ties by index), the point itself included.

    Args:
        points: (N, 3) float32 contiguous, on the backend's device.
        radius: search radius. max_nn: row length K.
        backend: :func:`cuda_backend` or :func:`host_backend`.
        search: ``grid`` or ``brute``.

    Returns:
        ``(index, dist2, count)``: (N, K) int32 and float32, valid up to ``count`` (N,) int32.
    """
    import torch

    if search not in SEARCHES:
        raise ValueError(f"expected search in {SEARCHES}, got {search!r}")
    n, k = points.shape[0], int(max_nn)
    idx = torch.zeros((n, k), dtype=torch.int32, device=points.device)
    d2 = torch.zeros((n, k), dtype=torch.float32, device=points.device)
    cnt = torch.zeros(n, dtype=torch.int32, device=points.device)
    if n == 0:
        return idx, d2, cnt
    r, ci, ck = ctypes.c_float(radius), ctypes.c_int(n), ctypes.c_int(k)
    with on_device(points):
        if search == "brute":
            backend.call("radius_search_brute", ptr(points), ci, r, ck, ptr(idx), ptr(d2), ptr(cnt))
        else:
            g = grid_tables(points, radius)
            backend.call(
                "radius_search_grid",
                ptr(points),
                ptr(g["cell"]),
                ptr(g["dims"]),
                ptr(g["keys"]),
                ptr(g["starts"]),
                ptr(g["sizes"]),
                ctypes.c_int(g["keys"].shape[0]),
                ptr(g["order"]),
                ci,
                r,
                ck,
                ptr(idx),
                ptr(d2),
                ptr(cnt),
            )
    return idx, d2, cnt


def fpfh_tensors(
    points: torch.Tensor,
    normals: torch.Tensor,
    radius: float,
    max_nn: int,
    backend: Backend,
    *,
    search: str = "grid",
) -> torch.Tensor:
    """FPFH of a cloud on one device.

    Args:
        points: (N, 3) float32 positions. normals: (N, 3) float32 unit normals, same device.
        radius, max_nn: the neighbourhood (as Open3D's ``KDTreeSearchParamHybrid``).
        backend: :func:`cuda_backend` (CUDA tensors) or :func:`host_backend` (CPU tensors).
        search: ``grid`` or ``brute``.

    Returns:
        (N, 33) float32, the layout of :func:`facecli.features.fpfh.fpfh`.
    """
    import torch

    pts = points.to(torch.float32).contiguous()
    nrm = normals.to(torch.float32).contiguous()
    n, k = pts.shape[0], int(max_nn)
    idx, d2, cnt = radius_search(pts, radius, k, backend, search=search)
    sp = torch.zeros((n, DIM), dtype=torch.float32, device=pts.device)
    out = torch.zeros((n, DIM), dtype=torch.float32, device=pts.device)
    if n:
        with on_device(pts):
            backend.call("spfh", ptr(pts), ptr(nrm), ptr(idx), ptr(cnt), ctypes.c_int(n), ctypes.c_int(k), ptr(sp))
            backend.call("fpfh", ptr(sp), ptr(idx), ptr(d2), ptr(cnt), ctypes.c_int(n), ctypes.c_int(k), ptr(out))
    return out


def fpfh_numpy(
    points: np.ndarray, normals: np.ndarray, radius: float, max_nn: int, *, device: str = "cuda", search: str = "grid"
) -> np.ndarray:
    """:func:`fpfh_tensors` on ``device`` with the CUDA build, from and to numpy: (N, 33) float32."""
    import torch

    if not str(device).startswith("cuda"):
        raise KernelUnavailable(f"the FPFH kernel runs on CUDA devices, got {device!r}")
    t = lambda a: torch.as_tensor(np.ascontiguousarray(a, dtype=np.float32), device=device)  # noqa: E731
    return fpfh_tensors(t(points), t(normals), radius, max_nn, cuda_backend(), search=search).cpu().numpy()
