"""Apex spotting: the score peaks at a planted apex despite head jitter and noise."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.microexpr.rois import FaceBox, grid_rois, parse_face_box
from facecli.microexpr.spotting import SpotSettings, chi2, spot_apex

from helpers.clips import planted_clip


@pytest.mark.parametrize("method", ["lbp", "flow", "both", "residual"])
def test_score_peaks_at_planted_apex(method):
    frames = planted_clip()
    res = spot_apex(frames, onset=8, offset=44, settings=SpotSettings(method=method, cells=4))
    assert abs(res.apex_index - 20) <= 2, res.apex_index
    assert res.score.shape == (50,) and res.window == (8, 44)
    # the midpoint of onset and offset (26) would be 6 frames off
    assert abs(res.apex_index - 20) < abs((8 + 44) // 2 - 20)


def test_whole_clip_searched_without_coding():
    res = spot_apex(planted_clip(seed=1), settings=SpotSettings(method="flow", cells=4))
    assert abs(res.apex_index - 20) <= 2 and res.window == (0, 49)


def test_bad_clips_are_clear_errors():
    frames = planted_clip(n=12, onset=2, apex=5, offset=9)
    with pytest.raises(InputError, match="onset <= offset"):
        spot_apex(frames, onset=9, offset=2, source="sub01/EP01")
    with pytest.raises(InputError, match="inside the clip"):
        spot_apex(frames, onset=2, offset=30)
    with pytest.raises(InputError, match="at least 3 frames"):
        spot_apex(frames[:2])
    with pytest.raises(InputError, match="lbp\\|flow\\|both\\|residual"):
        spot_apex(frames, settings=SpotSettings(method="magic"))
    with pytest.raises(InputError, match="face box"):
        spot_apex(frames, box=FaceBox(200, 200, 50, 50))


def test_helpers():
    assert chi2(np.array([0.5, 0.5, 0.0]), np.array([0.5, 0.5, 0.0])) == 0.0
    assert chi2(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)
    rois = grid_rois(FaceBox(10, 20, 60, 30), 3)
    assert rois.shape == (9, 4) and tuple(rois[0]) == (10, 20, 30, 30) and tuple(rois[-1]) == (50, 40, 70, 50)
    assert parse_face_box("1,2,30,40") == FaceBox(1, 2, 30, 40)
    with pytest.raises(InputError, match="x,y,w,h"):
        parse_face_box("1,2,3")


def test_face_box_crop_is_used():
    frames = planted_clip(size=120)
    res = spot_apex(
        frames, onset=8, offset=44, box=FaceBox(10, 30, 80, 85), settings=SpotSettings(method="both", cells=4)
    )
    assert abs(res.apex_index - 20) <= 2


def test_expression_component_recovers_the_intensity_curve():
    from facecli.microexpr.spotting import expression_component
    from facecli.synth.microexpr import clip_envelope

    rng = np.random.default_rng(3)
    env = clip_envelope(60, 5, 22, 50)
    pattern = rng.normal(size=(16, 2))
    motion = env[:, None, None] * pattern[None] + rng.normal(0, 0.05, (60, 16, 2))
    curve = expression_component(motion, 5, 50)
    assert np.corrcoef(curve, env)[0, 1] > 0.97  # signed: rises after the onset, whatever the SVD's sign
    assert abs(int(np.argmax(curve[5:51])) + 5 - 22) <= 3
    np.testing.assert_array_equal(expression_component(np.zeros((10, 4, 2)), 0, 9), np.zeros(10))


def test_too_many_cells_for_the_box_is_a_clear_error():
    with pytest.raises(InputError, match="grid cells per side"):
        spot_apex(planted_clip(n=12, onset=2, apex=5, offset=9), settings=SpotSettings(cells=60), source="sub01/EP01")
