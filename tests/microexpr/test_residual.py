"""The residual method: stabilised residual images and the envelope fit."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.microexpr.residual import envelope, envelope_cost, fit_envelope, stabilised_residuals
from facecli.microexpr.rois import FaceBox
from facecli.microexpr.spotting import SpotSettings, spot_apex
from facecli.synth.microexpr import clip_envelope

from helpers.clips import planted_clip


def test_envelope_matches_the_generator_on_integer_positions():
    np.testing.assert_allclose(envelope(60, 5, 22, 50), clip_envelope(60, 5, 22, 50), atol=1e-12)
    # by hand: a raised cosine over 5 frames up, 5 down
    want = (
        [0.0]
        + [0.5 - 0.5 * np.cos(np.pi * i / 5) for i in range(1, 6)]
        + [0.5 + 0.5 * np.cos(np.pi * i / 5) for i in range(1, 6)]
        + [0.0]
    )
    np.testing.assert_allclose(envelope(12, 0, 5, 10), want, atol=1e-12)
    e = envelope(40, 4, 17.5, 33)
    assert e[:5].max() == 0 and e[33:].max() == 0 and 0.99 < e[17] < 1 and 0.99 < e[18] < 1


def _nuisance_clip(apex=23, n=60, onset=6, offset=50, pixels=800, rank=5, seed=0, amp=1.0):
    """Residual rows: an expression image times the envelope, plus `rank` random-walk
    components (what the head leaves), plus white noise."""
    rng = np.random.default_rng(seed)
    expr = np.zeros(pixels)
    expr[:40] = rng.normal(0, 1, 40)  # a local pattern
    walks = np.cumsum(rng.normal(0, 1, (n, rank)), axis=0)
    walks -= walks[onset]
    heads = rng.normal(0, 1, (rank, pixels))
    x = (
        amp * envelope(n, onset, apex, offset)[:, None] * expr[None] * 3.0
        + 0.3 * walks @ heads
        + rng.normal(0, 0.3, (n, pixels))
    )
    x[onset] = 0
    return x


def test_fit_recovers_the_apex_despite_random_walk_nuisance():
    for seed, apex in [(0, 23), (1, 31), (2, 18)]:
        x = _nuisance_clip(apex=apex, seed=seed)
        fit = fit_envelope(x, 6, 6, 50, k=8, spread=0)
        assert abs(fit.apex - apex) <= 1, (seed, fit.apex)
        assert fit.components == 8
        # summed over 6, 8, 10, 12 and 14 components (all above the nuisance's rank 5)
        assert abs(fit_envelope(x, 6, 6, 50, k=10, spread=2).apex - apex) <= 1
        assert np.corrcoef(fit.score, envelope(60, 6, apex, 50))[0, 1] > 0.9


def test_without_free_components_the_random_walk_wins():
    errs = [
        abs(fit_envelope(_nuisance_clip(apex=a, seed=s), 6, 6, 50, k=0, spread=0).apex - a)
        for s, a in [(0, 23), (1, 31), (2, 18), (3, 40)]
    ]
    errs_k = [
        abs(fit_envelope(_nuisance_clip(apex=a, seed=s), 6, 6, 50, k=8, spread=0).apex - a)
        for s, a in [(0, 23), (1, 31), (2, 18), (3, 40)]
    ]
    assert np.mean(errs) > np.mean(errs_k) + 1


def test_cost_is_least_at_the_true_apex_and_batched_equals_direct():
    x = _nuisance_clip(apex=25, seed=4)
    rows = np.flatnonzero(np.arange(60) != 6)
    g = x[rows] @ x[rows].T
    cands = np.array([(6, a, 50) for a in range(8, 48)], dtype=float)
    cost = envelope_cost(g, cands, rows, 60, k=8, chunk=7)
    assert abs(cands[int(np.argmin(cost))][1] - 25) <= 1
    # one candidate by hand: energy outside span[1, e] less the 8 largest eigenvalues
    d = np.stack([np.ones(len(rows)), envelope(60, 6, 30, 50)[rows]], axis=1)
    q, _ = np.linalg.qr(d)
    p = np.eye(len(rows)) - q @ q.T
    w = np.linalg.eigvalsh(p @ g @ p)
    assert cost[30 - 8] == pytest.approx(w[:-8].sum(), rel=1e-9)


def test_unknown_onset_and_offset_are_searched():
    x = _nuisance_clip(apex=30, onset=10, offset=48, seed=5, amp=2.0)
    x = x - x[0]  # the first frame as the reference, as spot_apex does without coding
    fit = fit_envelope(x, 0, None, None, k=10, spread=2)  # 6 to 14 components
    assert abs(fit.apex - 30) <= 2 and abs(fit.onset - 10) <= 4 and abs(fit.offset - 48) <= 4


def test_stabilised_residuals_take_out_a_drifting_head():
    frames = planted_clip(amp=0.0, jitter=0.3, noise=0.0)  # no expression: only drift
    x = stabilised_residuals(frames, FaceBox(0, 0, 96, 96), 8, weighted=False, stride=1)
    assert x.shape == (50, 90 * 90) and not x[8].any()
    plain = (frames[20, 3:93, 3:93].astype(np.float32) - frames[8, 3:93, 3:93]).ravel()
    assert np.linalg.norm(x[20]) < 0.15 * np.linalg.norm(plain)  # the drift is mostly taken out (0.43 without the warp)
    moving = planted_clip(amp=2.5, jitter=0.3, noise=0.0)  # the same texture and drift, plus the bulge
    y = stabilised_residuals(moving, FaceBox(0, 0, 96, 96), 8, weighted=False, stride=1)
    assert np.linalg.norm(y[20]) > 3 * np.linalg.norm(x[20])  # ... and the expression is kept
    assert stabilised_residuals(frames, FaceBox(0, 0, 96, 96), 8).shape == (50, 45 * 45)


def test_threads_do_not_change_the_result():
    frames = planted_clip(seed=2)
    one = stabilised_residuals(frames, FaceBox(0, 0, 96, 96), 8, threads=1)
    two = stabilised_residuals(frames, FaceBox(0, 0, 96, 96), 8, threads=2)
    np.testing.assert_array_equal(one, two)


def test_residual_beats_the_midpoint_on_planted_clips_and_is_deterministic():
    errs, mids = [], []
    for seed, (on, ap, off) in enumerate([(8, 20, 44), (5, 30, 45), (10, 22, 46)]):
        frames = planted_clip(onset=on, apex=ap, offset=off, seed=seed, amp=1.5)
        res = spot_apex(frames, onset=on, offset=off, settings=SpotSettings(method="residual", cells=4))
        again = spot_apex(frames, onset=on, offset=off, settings=SpotSettings(method="residual", cells=4))
        np.testing.assert_array_equal(res.score, again.score)
        errs.append(abs(res.apex_index - ap))
        mids.append(abs((on + off) // 2 - ap))
    assert max(errs) <= 1 and np.mean(errs) < 0.5 * np.mean(mids)


def test_bad_settings_are_clear_errors():
    from facecli.errors import InputError

    with pytest.raises(InputError, match="head-motion components"):
        spot_apex(
            planted_clip(n=12, onset=2, apex=5, offset=9), settings=SpotSettings(method="residual", components=-1)
        )


def test_too_long_a_clip_is_a_clear_error():
    from facecli.errors import InputError
    from facecli.microexpr.residual import MAX_FRAMES

    frames = np.zeros((MAX_FRAMES + 1, 32, 32), dtype=np.uint8)
    with pytest.raises(InputError, match="at most 1000 frames for --method residual.*long.mp4"):
        spot_apex(frames, settings=SpotSettings(method="residual", cells=4), source="long.mp4")


def test_short_windows_work():
    frames = planted_clip(n=12, onset=2, apex=5, offset=9)
    res = spot_apex(frames, onset=4, offset=5, settings=SpotSettings(method="residual", cells=4))
    assert res.apex_index in (4, 5) and res.score.shape == (12,)
    res = spot_apex(frames, onset=3, offset=3, settings=SpotSettings(method="residual", cells=4))
    assert res.apex_index == 3
