"""Stage two: refinement onto the mesh surface by geodesic distances."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.geometry.geodesics import HeatGeodesics
from facecli.landmarks3d.refine import RefineSettings, refine_landmarks
from facecli.synth.face_model import build_vertices, mean_identity
from facecli.synth.template import get_template


@pytest.fixture(scope="module")
def face():
    tpl = get_template()
    return build_vertices(mean_identity(), {}), tpl.faces, tpl.ibug68


@pytest.mark.parametrize("metric", ["geodesic", "euclidean"])
def test_refinement_recovers_the_vertex_that_explains_the_heatmap(face, metric):
    v, f, lm_idx = face
    sigma = 3.0
    rng = np.random.default_rng(0)
    targets = lm_idx[[30, 36, 48, 8]]  # nose tip, eye corner, mouth corner, chin
    est, tops, vals = [], [], []
    g = HeatGeodesics(v, f)
    for t in targets:
        d = g.distances([t])[0]
        near = np.flatnonzero(d < 4.0)
        pick = rng.choice(near, 7, replace=False)
        tops.append(v[pick])
        vals.append(np.exp(-(d[pick] ** 2) / (2 * sigma**2)))
        est.append(v[pick].mean(0) + rng.normal(0, 0.3, 3))  # off the surface
    pos, idx = refine_landmarks(
        v, f, np.array(est), np.array(tops), np.array(vals), sigma, RefineSettings(metric=metric)
    )
    # on the surface: every output is a mesh vertex
    assert np.array_equal(pos, v[idx])
    err = np.linalg.norm(pos - v[targets], axis=1)
    assert err.max() < 1.5  # within about one vertex spacing of the truth
    before = np.linalg.norm(np.array(est) - v[targets], axis=1)
    assert err.mean() < before.mean()


def test_flat_heatmap_is_bounded(face):
    v, f, lm_idx = face
    est = v[lm_idx[:2]]
    tops = np.repeat(v[lm_idx[:2]][:, None], 7, axis=1) + np.linspace(-60, 60, 7)[None, :, None]
    pos, idx = refine_landmarks(v, f, est, tops, np.full((2, 7), 0.01), 3.0)
    # the search radius is capped at 3 sigma (+ the patch margin)
    assert np.linalg.norm(pos - est, axis=1).max() <= 9.0 + 1e-6
