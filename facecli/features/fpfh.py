"""Fast Point Feature Histograms (FPFH), vectorised in PyTorch.

The definition follows Rusu et al. (ICRA 2009) as Open3D computes it
(``open3d.pipelines.registration.compute_fpfh_feature``), so features from both agree:

1. neighbours of every point: at most ``max_nn`` nearest points within ``radius``
   (Open3D's hybrid search), the nearest one (the point itself) skipped;
2. SPFH: for each (point, neighbour) pair the Darboux-frame triple
   ``(alpha, v.n2, n1.d)``, each binned into 11 bins; each pair adds 100 / k to
   its bins, so every 11-bin block of a point sums to 100;
3. FPFH: the point's SPFH plus the sum of its neighbours' SPFH weighted by
   1 / squared distance, each 11-bin block of that sum rescaled to 100.

Neighbour search is SciPy's k-d tree (exact, the same hybrid rule); histograms are
array arithmetic (structure-of-arrays, one ``bincount`` and one sparse matrix product):
numpy and SciPy on the CPU (no torch import), torch on any other device. On a CUDA device
the compiled kernels (neighbour search included) are used when
:func:`facecli.kernels.fpfh_kernel` reports them; the plain-PyTorch path of this module
(:func:`fpfh_reference`) is the reference they, and the CPU path, are tested against.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pts = rng.normal(size=(500, 3))
    >>> nrm = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    >>> fpfh(pts, nrm, radius=0.5, max_nn=50).shape
    (500, 33)
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from facecli.errors import ValidationError
from facecli.validation import check_array

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["hybrid_neighbours", "pair_features", "spfh", "fpfh", "fpfh_reference"]

N_BINS = 11
Vec3 = tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]


def hybrid_neighbours(
    points: np.ndarray, radius: float, max_nn: int, *, queries: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At most ``max_nn`` nearest neighbours within ``radius``, nearest first.

    Args:
        points: (N, 3) float, the cloud searched.
        radius: search radius, same units as ``points``.
        max_nn: the most neighbours returned per query.
        queries: (M, 3) query points; ``points`` when ``None`` (then each point's
            own index comes first).

    Returns:
        ``(index, dist2, count)``: (M, K) int64 neighbour indices, (M, K) float64
        squared distances (both padded past ``count``; K <= max_nn) and (M,) int64
        neighbour counts.
    """
    from scipy.spatial import cKDTree

    pts = np.ascontiguousarray(points, dtype=np.float64)
    q = pts if queries is None else np.ascontiguousarray(queries, dtype=np.float64)
    kk = int(min(max_nn, len(pts)))
    d, idx = cKDTree(pts).query(q, k=kk, distance_upper_bound=float(radius), workers=-1)
    d, idx = d.reshape(len(q), kk), idx.reshape(len(q), kk)
    found = np.isfinite(d)
    cnt = found.sum(1).astype(np.int64)
    idx = np.where(found, idx, 0).astype(np.int64)
    d2 = np.where(found, d * d, 0.0)
    k = int(cnt.max()) if cnt.size else 0
    return idx[:, :k], d2[:, :k], cnt


def _namespace(x: object) -> object:
    """``torch`` for tensors, ``numpy`` for arrays: the histogram code runs on either."""
    if type(x).__module__.startswith("torch"):
        import torch

        return torch
    return np


def pair_features(p1: Vec3, n1: Vec3, p2: Vec3, n2: Vec3) -> Vec3:
    """The Darboux-frame triple of point pairs, as Open3D defines it.

    Each argument is a triple of same-shape (broadcastable) tensors or arrays, the x, y
    and z components (torch tensors for the reference, numpy arrays for the CPU path). The
    frame is anchored at the point whose normal makes the smaller angle with the line
    joining the two points. Degenerate pairs (coincident points, or a normal parallel to
    the joining line) give (0, 0, 0).

    Args:
        p1, n1, p2, n2: positions and unit normals of the two points, each (x, y, z)
            with components of shape (...).

    Returns:
        ``(alpha, cos_v, cos_d)`` of shape (...): alpha in [-pi, pi] (atan2), and two
        cosines in [-1, 1].
    """
    xp = _namespace(p1[0])
    rsqrt = xp.rsqrt if xp is not np else (lambda v: 1.0 / np.sqrt(v))
    dx, dy, dz = p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2]
    d2 = dx * dx + dy * dy + dz * dz
    ok = d2 > 0
    inv = rsqrt(xp.where(ok, d2, xp.ones_like(d2)))
    a1 = (n1[0] * dx + n1[1] * dy + n1[2] * dz) * inv
    a2 = (n2[0] * dx + n2[1] * dy + n2[2] * dz) * inv
    # acos is decreasing, so acos|a1| > acos|a2|  <=>  |a1| < |a2|
    swap = abs(a1) < abs(a2)
    dx, dy, dz = xp.where(swap, -dx, dx), xp.where(swap, -dy, dy), xp.where(swap, -dz, dz)
    ax, ay, az = (xp.where(swap, n2[i], n1[i]) for i in range(3))
    bx, by, bz = (xp.where(swap, n1[i], n2[i]) for i in range(3))
    cos_d = xp.where(swap, -a2, a1)
    vx, vy, vz = dy * az - dz * ay, dz * ax - dx * az, dx * ay - dy * ax
    vn2 = vx * vx + vy * vy + vz * vz
    ok = ok & (vn2 > 0)
    vinv = rsqrt(xp.where(ok, vn2, xp.ones_like(vn2)))
    vx, vy, vz = vx * vinv, vy * vinv, vz * vinv
    wx, wy, wz = ay * vz - az * vy, az * vx - ax * vz, ax * vy - ay * vx
    cos_v = vx * bx + vy * by + vz * bz
    alpha = xp.arctan2(wx * bx + wy * by + wz * bz, ax * bx + ay * by + az * bz)
    zero = xp.zeros_like(d2)
    return xp.where(ok, alpha, zero), xp.where(ok, cos_v, zero), xp.where(ok, cos_d, zero)


def _fpfh_cpu(
    points: np.ndarray, normals: np.ndarray, index: np.ndarray, dist2: np.ndarray, count: np.ndarray, chunk: int
) -> np.ndarray:
    """The reference's arithmetic in numpy/scipy (no torch import: a cold start is a second faster).

    Args:
        points, normals: (3, N) float32. index: (N, K) int64. dist2: (N, K). count: (N,) int64.

    Returns:
        (N, 33) float32.
    """
    from scipy.sparse import csr_matrix

    n, k = index.shape
    sp = np.zeros((n, 3 * N_BINS), np.float64)
    if k < 2:
        return sp.astype(np.float32)
    cols = np.arange(1, k)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        cnt = count[s:e]
        valid = cols[None, :] < cnt[:, None]
        nb = np.where(valid, index[s:e, 1:], 0)
        p2 = tuple(points[i][nb] for i in range(3))
        n2 = tuple(normals[i][nb] for i in range(3))
        p1 = tuple(points[i, s:e, None] for i in range(3))
        n1 = tuple(normals[i, s:e, None] for i in range(3))
        alpha, cos_v, cos_d = pair_features(p1, n1, p2, n2)
        incr = 100.0 / np.maximum(cnt - 1, 1).astype(np.float32)
        w = (valid * incr[:, None]).astype(np.float32).reshape(-1)
        base = (np.arange(e - s) * (3 * N_BINS))[:, None]
        flat = np.concatenate(
            [
                (base + _bin_np(alpha, -math.pi, 2.0 * math.pi)).reshape(-1),
                (base + N_BINS + _bin_np(cos_v, -1.0, 2.0)).reshape(-1),
                (base + 2 * N_BINS + _bin_np(cos_d, -1.0, 2.0)).reshape(-1),
            ]
        )
        hist = np.bincount(flat, weights=np.tile(w, 3), minlength=(e - s) * 3 * N_BINS)
        sp[s:e] = hist.reshape(e - s, 3 * N_BINS)
    sp = sp.astype(np.float32)
    valid = (cols[None, :] < count[:, None]) & (dist2[:, 1:] > 0)
    rows = np.repeat(np.arange(n), valid.sum(1))
    w = csr_matrix(((1.0 / dist2[:, 1:][valid]).astype(np.float32), (rows, index[:, 1:][valid])), shape=(n, n))
    acc = np.asarray(w @ sp).reshape(n, 3, N_BINS)
    sums = acc.sum(-1, keepdims=True)
    nz = sums != 0
    acc = acc * np.where(nz, 100.0 / np.where(nz, sums, 1.0), 0.0).astype(np.float32)
    out = acc.reshape(n, 3 * N_BINS) + sp
    out[count <= 1] = 0.0  # points with no neighbour stay all-zero (as in Open3D)
    return out.astype(np.float32)


def _bin_np(x: np.ndarray, lo: float, width: float) -> np.ndarray:
    return np.clip(np.floor(N_BINS * (x - lo) / width), 0, N_BINS - 1).astype(np.int64)


def _bin(x: torch.Tensor, lo: float, width: float) -> torch.Tensor:
    import torch

    return torch.floor(N_BINS * (x - lo) / width).clamp_(0, N_BINS - 1).long()


def spfh(
    points: torch.Tensor, normals: torch.Tensor, index: torch.Tensor, count: torch.Tensor, *, chunk: int = 16384
) -> torch.Tensor:
    """Simplified point feature histograms.

    Args:
        points: (3, N) positions (component-major). normals: (3, N) unit normals.
        index: (N, K) neighbour indices, nearest first; column 0 (the point itself)
            is skipped. count: (N,) valid entries per row.
        chunk: points per block, bounding memory to about ``15 * chunk * K`` values.

    Returns:
        (N, 33) histograms; each 11-bin block sums to 100 (all zero for a point
        without neighbours).
    """
    import torch

    n, k = index.shape
    out = torch.zeros((n, 3 * N_BINS), dtype=points.dtype, device=points.device)
    if k < 2:
        return out
    cols = torch.arange(1, k, device=index.device)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        cnt = count[s:e]
        valid = cols.unsqueeze(0) < cnt.unsqueeze(1)
        nb = torch.where(valid, index[s:e, 1:], torch.zeros_like(index[s:e, 1:]))
        p2 = tuple(points[i][nb] for i in range(3))
        n2 = tuple(normals[i][nb] for i in range(3))
        p1 = tuple(points[i, s:e].unsqueeze(1) for i in range(3))
        n1 = tuple(normals[i, s:e].unsqueeze(1) for i in range(3))
        alpha, cos_v, cos_d = pair_features(p1, n1, p2, n2)
        incr = 100.0 / (cnt - 1).clamp(min=1).to(points.dtype)
        w = (valid.to(points.dtype) * incr.unsqueeze(1)).reshape(-1)
        base = (torch.arange(e - s, device=index.device) * (3 * N_BINS)).unsqueeze(1)
        flat = torch.cat(
            [
                (base + _bin(alpha, -math.pi, 2.0 * math.pi)).reshape(-1),
                (base + N_BINS + _bin(cos_v, -1.0, 2.0)).reshape(-1),
                (base + 2 * N_BINS + _bin(cos_d, -1.0, 2.0)).reshape(-1),
            ]
        )
        hist = torch.bincount(flat, weights=w.repeat(3), minlength=(e - s) * 3 * N_BINS)
        out[s:e] = hist.view(e - s, 3 * N_BINS).to(points.dtype)
    return out


def _fpfh_torch(
    points: torch.Tensor,
    normals: torch.Tensor,
    index: torch.Tensor,
    dist2: torch.Tensor,
    count: torch.Tensor,
    chunk: int,
) -> torch.Tensor:
    import torch

    sp = spfh(points, normals, index, count, chunk=chunk)
    n, k = index.shape
    if k < 2:
        return torch.zeros_like(sp)
    # neighbours' SPFH weighted by 1/d^2, as one sparse (N, N) x (N, 33) product
    cols = torch.arange(1, k, device=index.device).unsqueeze(0)
    valid = (cols < count.unsqueeze(1)) & (dist2[:, 1:] > 0)
    rows_nnz = valid.sum(1)
    crow = torch.zeros(n + 1, dtype=torch.int64, device=index.device)
    crow[1:] = torch.cumsum(rows_nnz, 0)
    col = index[:, 1:][valid]
    val = 1.0 / dist2[:, 1:][valid]
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        w = torch.sparse_csr_tensor(crow, col, val.to(sp.dtype), size=(n, n), check_invariants=False)
        acc = (w @ sp).view(n, 3, N_BINS)
    sums = acc.sum(-1, keepdim=True)
    nz = sums != 0
    acc = acc * torch.where(nz, 100.0 / torch.where(nz, sums, torch.ones_like(sums)), torch.zeros_like(sums))
    out = acc.reshape(n, 3 * N_BINS) + sp
    has = (count > 1).unsqueeze(1)  # points with no neighbour stay all-zero (as in Open3D)
    return torch.where(has, out, torch.zeros_like(out))


def _check(points: np.ndarray, normals: np.ndarray, radius: float, max_nn: int) -> tuple[np.ndarray, np.ndarray]:
    pts = check_array(points, "(N, 3)", name="points", min_len=1)
    nrm = check_array(normals, "(N, 3)", name="normals")
    if nrm.shape[0] != pts.shape[0]:
        raise ValidationError(f"expected ({pts.shape[0]}, 3) normals to match the points, got {tuple(nrm.shape)}")
    if not radius > 0 or max_nn < 2:
        raise ValidationError(f"expected radius > 0 and max_nn >= 2, got radius={radius}, max_nn={max_nn}")
    return pts, nrm


def fpfh_reference(
    points: np.ndarray,
    normals: np.ndarray,
    radius: float,
    max_nn: int = 100,
    *,
    device: str = "cpu",
    dtype: str = "float32",
    chunk: int = 16384,
) -> np.ndarray:
    """FPFH by the plain-PyTorch path (never a compiled kernel); see :func:`fpfh`."""
    import torch

    pts, nrm = _check(points, normals, radius, max_nn)
    idx, d2, cnt = hybrid_neighbours(pts, radius, max_nn)
    tdt = getattr(torch, dtype)

    def t(a: np.ndarray, dt: torch.dtype = tdt) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dt, device=device)

    out = _fpfh_torch(t(pts.T), t(nrm.T), t(idx, torch.int64), t(d2), t(cnt, torch.int64), chunk)
    return out.cpu().numpy().astype(np.float32)


def fpfh(
    points: np.ndarray,
    normals: np.ndarray,
    radius: float,
    max_nn: int = 100,
    *,
    device: str = "cpu",
    dtype: str = "float32",
    chunk: int = 16384,
) -> np.ndarray:
    """FPFH descriptors of a cloud with normals.

    Args:
        points: (N, 3) float, millimetres (any unit; ``radius`` in the same one).
        normals: (N, 3) float unit normals, consistently oriented.
        radius: neighbourhood radius (usual recipe: 5 x voxel size).
        max_nn: the most neighbours per point (usual recipe: 100).
        device: torch device for the histogram arithmetic.
        dtype: ``float32`` (fast) or ``float64`` (closest to Open3D's doubles).
        chunk: points per block (memory bound).

    Returns:
        (N, 33) float32 descriptors, the layout of Open3D's ``Feature.data.T``.

    Raises:
        ValidationError: wrong shapes, non-finite values, or bad radius / max_nn.
    """
    from facecli.kernels import fpfh_kernel

    kernel = fpfh_kernel(device)
    if kernel is not None and dtype == "float32":
        pts, nrm = _check(points, normals, radius, max_nn)
        return kernel(pts, nrm, float(radius), int(max_nn))
    if str(device) == "cpu" and dtype == "float32":
        pts, nrm = _check(points, normals, radius, max_nn)
        idx, d2, cnt = hybrid_neighbours(pts, radius, max_nn)
        p32 = np.ascontiguousarray(pts.T, np.float32)
        n32 = np.ascontiguousarray(nrm.T, np.float32)
        return _fpfh_cpu(p32, n32, idx, d2.astype(np.float32), cnt, chunk)
    return fpfh_reference(points, normals, radius, max_nn, device=device, dtype=dtype, chunk=chunk)
