"""The two graphs of 2S-SGCN over sampled points: local kNN and global super-nodes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError
from facecli.validation import check_array

__all__ = ["PointGraphs", "build_graphs", "graph_edge_indices", "knn_neighbours", "nearest_points"]


def knn_neighbours(points: np.ndarray, k: int, *, workers: int = -1) -> np.ndarray:
    """The k nearest points of every point, itself included (first).

    Args:
        points: (N, 3) float.
        k: neighbours per point (<= N).

    Returns:
        (N, k) int64, each row sorted by increasing distance.
    """
    from scipy.spatial import cKDTree

    p = check_array(points, "(N, 3)", name="points")
    if not 1 <= k <= len(p):
        raise InputError(f"expected 1 <= k <= {len(p)} points, got k={k}")
    _, nb = cKDTree(p).query(p, k=k, workers=workers)
    nb = np.asarray(nb, dtype=np.int64).reshape(len(p), k)
    nb[:, 0] = np.arange(len(p))  # ties at distance 0 (duplicate points) keep self first
    return nb


def nearest_points(points: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index of the point nearest each query (exact, brute force in blocks).

    Args:
        points: (N, 3) float.
        queries: (Q, 3) float.

    Returns:
        (Q,) int64.
    """
    import torch

    p = torch.as_tensor(np.asarray(points, dtype=np.float32))
    q = torch.as_tensor(np.asarray(queries, dtype=np.float32))
    return torch.cdist(q, p).argmin(dim=1).numpy().astype(np.int64)


@dataclass
class PointGraphs:
    """Both graphs for a batch of B point sets of N points each (M = B·N nodes).

    Attributes:
        local: GCN-normalised kNN adjacency (weights 1/k).
        global_: GCN-normalised super-node adjacency.
        batch: B.
        n: N.
    """

    local: object
    global_: object
    batch: int
    n: int

    def to(self, device: str) -> PointGraphs:
        return PointGraphs(self.local.to(device), self.global_.to(device), self.batch, self.n)


def _csr(crow: np.ndarray, col: np.ndarray, val: np.ndarray, m: int):
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(
            torch.from_numpy(crow.astype(np.int64)),
            torch.from_numpy(col.astype(np.int64)),
            torch.from_numpy(val.astype(np.float32)),
            (m, m),
        )


def _transpose(crow: np.ndarray, col: np.ndarray, val: np.ndarray, m: int):
    rows = np.repeat(np.arange(m), np.diff(crow))
    order = np.argsort(col, kind="stable")
    t_crow = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(col, minlength=m), out=t_crow[1:])
    return _csr(t_crow, rows[order], val[order], m)


def build_graphs(
    points: np.ndarray,
    super_index: np.ndarray,
    k: int = 32,
    *,
    neighbours: np.ndarray | None = None,
    grad: bool = False,
) -> PointGraphs:
    """Build the local and global GCN adjacencies of a batch.

    The normalisation is GCN's D^-1/2 (A + I_remaining·2) D^-1/2 ("improved") with
    degrees counted at the receiving node, as ``GCNConv`` does: every point of the
    local graph receives from its k neighbours (itself included), so each weight is
    1/k; on the global graph the super-nodes form a complete graph (weights 1/S)
    and every other point keeps only itself (weight 2/2 = 1).

    Args:
        points: (B, N, 3) float normalised points (used for the kNN search unless
            ``neighbours`` is given).
        super_index: (B, L) int, per point set the super-node points.
        k: neighbours per point.
        neighbours: (B, N, k) int precomputed :func:`knn_neighbours`.
        grad: also build the transposes (needed to train).

    Returns:
        The graphs over M = B·N nodes (point b·N + i is point i of set b).
    """
    from facecli.models.sgcn import SparseAdjacency

    pts = np.asarray(points)
    if pts.ndim == 2:
        pts = pts[None]
    b, n = pts.shape[:2]
    m = b * n
    if neighbours is None:
        neighbours = np.stack([knn_neighbours(pts[i], k) for i in range(b)])
    nb = np.asarray(neighbours, dtype=np.int64).reshape(b, n, -1)
    kk = nb.shape[2]
    col = np.sort(nb + (np.arange(b) * n)[:, None, None], axis=2).reshape(-1)
    crow = np.arange(0, m * kk + 1, kk, dtype=np.int64)
    val = np.full(col.shape, 1.0 / kk, dtype=np.float32)
    local = SparseAdjacency(_csr(crow, col, val, m), _transpose(crow, col, val, m) if grad else None)

    sup = np.asarray(super_index, dtype=np.int64).reshape(b, -1)
    counts = np.ones(m, dtype=np.int64)
    cols: list[np.ndarray] = []
    rows_for: dict[int, np.ndarray] = {}
    for i in range(b):
        s = np.unique(sup[i]) + i * n
        for node in s:
            rows_for[int(node)] = s
        counts[s] = len(s)
    g_crow = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=g_crow[1:])
    g_col = np.empty(int(g_crow[-1]), dtype=np.int64)
    g_val = np.ones(int(g_crow[-1]), dtype=np.float32)
    plain = counts == 1
    g_col[g_crow[:-1][plain]] = np.nonzero(plain)[0]
    for node, s in rows_for.items():
        g_col[g_crow[node] : g_crow[node + 1]] = s
        g_val[g_crow[node] : g_crow[node + 1]] = 1.0 / len(s)
    del cols
    glob = SparseAdjacency(_csr(g_crow, g_col, g_val, m), _transpose(g_crow, g_col, g_val, m) if grad else None)
    return PointGraphs(local, glob, b, n)


def graph_edge_indices(neighbours: np.ndarray, super_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same graphs as PyG ``edge_index`` arrays (source, target), for one set.

    Args:
        neighbours: (N, k) int from :func:`knn_neighbours`.
        super_index: (L,) int super-node points.

    Returns:
        ``(local (2, N·k), global (2, S²))`` int64, S the distinct super-nodes.
    """
    nb = np.asarray(neighbours, dtype=np.int64)
    n, k = nb.shape
    local = np.stack([nb.reshape(-1), np.repeat(np.arange(n), k)])
    s = np.unique(np.asarray(super_index, dtype=np.int64))
    src, dst = np.meshgrid(s, s, indexing="ij")
    return local, np.stack([src.reshape(-1), dst.reshape(-1)])
