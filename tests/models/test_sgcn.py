"""2S-SGCN: size, and the fast CSR propagation against PyG's own GCNConv path."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from facecli.landmarks3d.graph import build_graphs, graph_edge_indices, knn_neighbours
from facecli.models.sgcn import SGCN, SGCNConfig


def test_parameter_count_under_100k():
    n = sum(p.numel() for p in SGCN(SGCNConfig()).parameters())
    assert 40_000 < n < 100_000


@pytest.fixture()
def batch():
    rng = np.random.default_rng(0)
    pts = rng.random((2, 400, 3)).astype(np.float32)
    sup = rng.integers(0, 400, (2, 68))
    sup[0, 5] = sup[0, 6]  # a shared super-node (two landmarks nearest one point)
    return pts, sup


def test_csr_path_matches_pyg_gcnconv_forward_and_backward(batch):
    pts, sup = batch
    torch.manual_seed(0)
    net = SGCN(SGCNConfig())
    g = build_graphs(pts, sup, k=12, grad=True)
    x = torch.from_numpy(np.concatenate([pts, pts[..., ::-1]], -1).reshape(-1, 6)).requires_grad_(True)
    y = net(x, g.local, g.global_)
    (y.square().sum()).backward()
    g_fast = x.grad.clone()
    x.grad = None
    loc, glob = [], []
    for b in range(2):
        li, gi = graph_edge_indices(knn_neighbours(pts[b], 12), sup[b])
        loc.append(li + b * 400)
        glob.append(gi + b * 400)
    y_ref = net.forward_edges(x, torch.from_numpy(np.concatenate(loc, 1)), torch.from_numpy(np.concatenate(glob, 1)))
    y_ref.square().sum().backward()
    assert torch.allclose(y, y_ref, atol=1e-5)
    assert torch.allclose(g_fast, x.grad, atol=1e-4)


def test_adjacency_equals_gcn_norm(batch):
    from torch_geometric.nn.conv.gcn_conv import gcn_norm
    from torch_geometric.utils import to_dense_adj

    pts, sup = batch
    g = build_graphs(pts[:1], sup[:1], k=8)
    li, gi = graph_edge_indices(knn_neighbours(pts[0], 8), sup[0])
    for adj, ei in ((g.local, li), (g.global_, gi)):
        idx, w = gcn_norm(torch.from_numpy(ei), None, 400, improved=True)
        ref = to_dense_adj(idx, edge_attr=w, max_num_nodes=400)[0].T  # rows = receiving node
        assert torch.allclose(adj.matrix.to_dense(), ref, atol=1e-6)


def test_inference_adjacency_refuses_backward(batch):
    pts, sup = batch
    g = build_graphs(pts[:1], sup[:1], k=8)  # no transposes
    x = torch.randn(400, 6, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad=True"):
        SGCN()(x, g.local, g.global_).sum().backward()
