"""2S-SGCN stage one: a stratified graph convolutional network that regresses one
heatmap per landmark over points sampled on a face mesh.

Two graphs share the nodes (the sampled points, input features xyz + normal in
normalised units):

* a *local* graph: each point aggregates its k nearest points (itself included);
* a *global* graph: a complete graph over the super-nodes (the points nearest the
  mean landmarks), every other point only keeps itself.

Each of ``depth`` layers runs a GCN convolution on both graphs (PyTorch Geometric's
``GCNConv`` with the "improved" self-loop weight 2), a per-node LayerNorm and ReLU,
LayerNorm over each graph's nodes and channels (PyG's graph mode, as in the
source; a per-node norm would make a point's features blind to its distance from
the centroid) and ReLU, adds the layer input (from the second layer on), concatenates the two branches and
mixes them back to ``hidden`` channels with a linear layer. A last linear layer gives
68 heatmap values per point. Depth 4 and hidden 64 make about 64k parameters.

The propagation normally goes through :class:`SparseAdjacency`: the GCN-normalised
adjacency as a CSR matrix built once per graph, with its transpose kept for the
backward pass (PyTorch would otherwise transpose the CSR matrix on every backward
call, about 10x slower on CPU). :meth:`SGCN.forward_edges` runs the same weights
through ``GCNConv``'s own message passing and normalisation from an ``edge_index``;
tests check the two agree.

Example:
    >>> import torch
    >>> from facecli.landmarks3d.graph import build_graphs
    >>> pts = torch.rand(1, 500, 3)
    >>> g = build_graphs(pts.numpy(), super_index=torch.arange(68)[None].numpy(), k=8)
    >>> net = SGCN(SGCNConfig(n_landmarks=68))
    >>> net(torch.cat([pts, pts], -1).reshape(500, 6), g.local, g.global_).shape
    torch.Size([500, 68])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from facecli.configs import SGCNConfig

__all__ = ["SGCN", "SGCNConfig", "SparseAdjacency", "spmm"]


@dataclass
class SparseAdjacency:
    """A normalised adjacency as CSR, rows = receiving nodes.

    Attributes:
        matrix: (M, M) sparse CSR float32.
        transpose: (M, M) sparse CSR of ``matrix.T`` (for gradients), or None when
            no gradient will flow (inference).
    """

    matrix: Tensor
    transpose: Tensor | None = None

    def to(self, device: str | torch.device) -> SparseAdjacency:
        return SparseAdjacency(self.matrix.to(device), None if self.transpose is None else self.transpose.to(device))


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, matrix: Tensor, transpose: Tensor | None, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.transpose = transpose
        return matrix @ x

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[None, None, Tensor]:  # type: ignore[override]
        if ctx.transpose is None:
            raise RuntimeError("SparseAdjacency built without its transpose; build it with grad=True to train")
        return None, None, ctx.transpose @ grad


def spmm(adj: SparseAdjacency, x: Tensor) -> Tensor:
    """``adj.matrix @ x`` with a cheap backward pass.

    Args:
        adj: the adjacency, (M, M).
        x: (M, C) float32.

    Returns:
        (M, C).
    """
    if torch.is_grad_enabled() and x.requires_grad:
        return _SpMM.apply(adj.matrix, adj.transpose, x)
    return adj.matrix @ x


class SGCN(nn.Module):
    """The stage-one heatmap network (see the module docstring).

    Args:
        config: hyper-parameters.

    Buffers:
        mean_landmarks: (L, 3) float32, the training set's mean landmarks in
            normalised units; the super-nodes are the points nearest them.
    """

    def __init__(self, config: SGCNConfig | None = None) -> None:
        super().__init__()
        from torch_geometric.nn import GCNConv
        from torch_geometric.nn.norm import LayerNorm

        self.config = c = config or SGCNConfig()
        self.local_convs = nn.ModuleList()
        self.global_convs = nn.ModuleList()
        self.local_norms = nn.ModuleList()
        self.global_norms = nn.ModuleList()
        self.mixers = nn.ModuleList()
        for i in range(c.depth):
            cin = c.in_channels if i == 0 else c.hidden
            self.local_convs.append(GCNConv(cin, c.hidden, improved=True, normalize=False))
            self.global_convs.append(GCNConv(cin, c.hidden, improved=True, normalize=False))
            self.local_norms.append(LayerNorm(c.hidden, mode="graph"))
            self.global_norms.append(LayerNorm(c.hidden, mode="graph"))
            self.mixers.append(nn.Linear(2 * c.hidden, c.hidden))
        self.head = nn.Linear(c.hidden, c.n_landmarks)
        self.register_buffer("mean_landmarks", torch.zeros(c.n_landmarks, 3))

    @staticmethod
    def _conv(conv: nn.Module, x: Tensor, adj: SparseAdjacency) -> Tensor:
        out = spmm(adj, conv.lin(x))
        return out + conv.bias if conv.bias is not None else out

    def _layers(self, x: Tensor, run_local: Any, run_global: Any, batch: Tensor | None) -> Tensor:
        size = None if batch is None else int(batch.max()) + 1
        if self.config.xyz_scale != 1.0:
            x = torch.cat([x[:, :3] * self.config.xyz_scale, x[:, 3:]], dim=1)
        for i in range(self.config.depth):
            xl = F.relu(self.local_norms[i](run_local(self.local_convs[i], x), batch, size))
            xg = F.relu(self.global_norms[i](run_global(self.global_convs[i], x), batch, size))
            if i > 0:
                xl = xl + x
                xg = xg + x
            x = self.mixers[i](torch.cat([xg, xl], dim=1))
        return self.head(x)

    def forward(
        self, x: Tensor, local: SparseAdjacency, global_: SparseAdjacency, batch: Tensor | None = None
    ) -> Tensor:
        """Heatmaps for every point.

        Args:
            x: (M, 6) float32 point features (M = points of all graphs in the batch).
            local: the local kNN adjacency (M, M).
            global_: the super-node adjacency (M, M).
            batch: (M,) int64 graph of each point (None: one graph).

        Returns:
            (M, L) float32 heatmap values (≈ 1 at a landmark, 0 far from it).
        """
        return self._layers(
            x, lambda conv, h: self._conv(conv, h, local), lambda conv, h: self._conv(conv, h, global_), batch
        )

    def forward_edges(
        self, x: Tensor, local_edge_index: Tensor, global_edge_index: Tensor, batch: Tensor | None = None
    ) -> Tensor:
        """The same network through ``GCNConv``'s own normalisation and message passing.

        Args:
            x: (M, 6) float32.
            local_edge_index: (2, E) int64 (source, target) local edges, self loops included.
            global_edge_index: (2, E') int64 super-node edges (all pairs, self pairs included).
            batch: (M,) int64 graph of each point (None: one graph).

        Returns:
            (M, L) float32.
        """
        from torch_geometric.nn.conv.gcn_conv import gcn_norm

        m = x.shape[0]
        li, lw = gcn_norm(local_edge_index, None, m, improved=True, add_self_loops=True)
        gi, gw = gcn_norm(global_edge_index, None, m, improved=True, add_self_loops=True)
        return self._layers(x, lambda conv, h: conv(h, li, lw), lambda conv, h: conv(h, gi, gw), batch)

    def extra_repr(self) -> str:
        c = self.config
        return f"depth={c.depth}, hidden={c.hidden}, k={c.k}, landmarks={c.n_landmarks}"
