"""2S-SGCN stage two: move each landmark onto the original mesh by geodesic distances.

Stage one gives, per landmark, heatmap values y_j at points p_j sampled on the
surface. A vertex v explains them well when a Gaussian of its *geodesic* distance to
each p_j reproduces the observed values up to the heatmap's height a:

    v* = argmin_v min_a Σ_j (y_j − a · exp(−d_g(v, p_j)² / 2σ²))²

(a in closed form), over the vertices within ``radius`` σ of the stage-one estimate.
The network's peak heights are not calibrated (they fall short of 1 where it is
unsure), so fitting a fixed height of 1 pulls landmarks off; the free height makes
the fit depend on the shape of the heatmap only. The top ``points`` heatmap points
(20, more than the 7 of the decoding) constrain the fit. Distances come from the
heat method (potpourri3d) on the patch of the original mesh around the estimate,
with each p_j at its nearest vertex. The result is a mesh vertex, so it lies on the
surface.

The released source code describes geodesic refinement but scores candidates with
Euclidean distances; facecli follows the paper by default (``metric="geodesic"``)
and keeps ``"euclidean"`` for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError

__all__ = ["RefineSettings", "refine_landmarks"]


@dataclass
class RefineSettings:
    """Stage-two settings.

    Attributes:
        points: heatmap points per landmark used by the fit.
        radius: candidate vertices lie within this many σ of the stage-one estimate.
        metric: ``geodesic`` (heat method) or ``euclidean``.
        margin: the geodesic patch reaches this many σ beyond the candidates and the points.
        robust: the heat method's intrinsic-Delaunay Laplacian (slower; for scans
            with badly shaped triangles).
    """

    points: int = 20
    radius: float = 2.0
    metric: str = "geodesic"
    margin: float = 1.0
    robust: bool = False


def refine_landmarks(
    vertices: np.ndarray,
    faces: np.ndarray,
    estimate: np.ndarray,
    top_points: np.ndarray,
    top_values: np.ndarray,
    sigma_mm: float,
    settings: RefineSettings | None = None,
    tree: object | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Refine landmarks onto mesh vertices.

    Args:
        vertices: (V, 3) float, mm, the original mesh.
        faces: (F, 3) int.
        estimate: (L, 3) float, stage-one landmarks, mm.
        top_points: (L, k, 3) float, each landmark's highest heatmap points, mm.
        top_values: (L, k) float, their heatmap values.
        sigma_mm: the heatmap σ in mm (σ normalised / scale).
        settings: stage-two settings.
        tree: a ``scipy.spatial.cKDTree`` over ``vertices`` (built if None).

    Returns:
        ``(positions (L, 3) float64 mm, vertex_index (L,) int64)``.
    """
    from scipy.spatial import cKDTree

    from facecli.geometry.geodesics import HeatGeodesics, VertexFaces

    st = settings or RefineSettings()
    if st.metric not in ("geodesic", "euclidean"):
        raise InputError(f"expected refinement metric geodesic|euclidean, got {st.metric!r}")
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    est = np.asarray(estimate, dtype=np.float64)
    tp = np.asarray(top_points, dtype=np.float64)[:, : st.points]
    ty = np.asarray(top_values, dtype=np.float64)[:, : st.points]
    kd = tree if tree is not None else cKDTree(v)
    n_lm = est.shape[0]
    out_idx = np.empty(n_lm, dtype=np.int64)
    two_s2 = 2.0 * sigma_mm * sigma_mm
    radius = st.radius * sigma_mm
    reach = np.minimum(np.linalg.norm(tp - est[:, None], axis=2).max(axis=1), radius)
    keep = np.zeros(len(v), dtype=bool)
    local_of = np.full(len(v), -1, dtype=np.int64)
    around = VertexFaces(f, len(v)) if st.metric == "geodesic" else None
    cands = kd.query_ball_point(est, radius)
    patches = kd.query_ball_point(est, radius + reach + st.margin * sigma_mm) if around is not None else None

    def best(dist: np.ndarray, y: np.ndarray) -> int:  # dist (k, C) → index of the best column
        h = np.exp(-dist * dist / two_s2)
        amp = (y[:, None] * h).sum(axis=0) / np.maximum((h * h).sum(axis=0), 1e-12)
        return int(np.argmin(((y[:, None] - amp * h) ** 2).sum(axis=0)))

    for i in range(n_lm):
        cand_g = np.asarray(cands[i], dtype=np.int64)
        if cand_g.size == 0:
            cand_g = np.array([kd.query(est[i])[1]], dtype=np.int64)
        if around is None:
            d = np.linalg.norm(v[cand_g][None] - tp[i][:, None], axis=2)  # (k, C)
            out_idx[i] = cand_g[best(d, ty[i])]
            continue
        pv = np.union1d(np.asarray(patches[i], dtype=np.int64), cand_g)
        keep[pv] = True
        sub_f, ids = around.patch(pv, keep)
        keep[pv] = False
        if len(sub_f) == 0:
            out_idx[i] = int(kd.query(est[i])[1])
            continue
        local_of[ids] = np.arange(len(ids))
        cand = local_of[cand_g]
        cand = cand[cand >= 0]
        local_of[ids] = -1
        if cand.size == 0:
            out_idx[i] = int(kd.query(est[i])[1])
            continue
        sub_v = v[ids]
        src = cKDTree(sub_v).query(tp[i])[1]
        dist = HeatGeodesics(sub_v, sub_f, robust=st.robust).distances(src)[:, cand]
        out_idx[i] = ids[cand[best(dist, ty[i])]]
    return v[out_idx].copy(), out_idx
