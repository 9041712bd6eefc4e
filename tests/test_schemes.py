import numpy as np
import pytest

from facecli.errors import ValidationError
from facecli.schemes import FIVE, IBUG68, SCHEMES, WFLW98, WFLW98_TO_IBUG68, scheme_for


@pytest.mark.parametrize("scheme", list(SCHEMES.values()), ids=list(SCHEMES))
def test_mirror_maps_are_involutions_that_swap_the_eyes(scheme):
    m = scheme.mirror
    assert m.shape == (scheme.points,) and sorted(m.tolist()) == list(range(scheme.points))
    np.testing.assert_array_equal(m[m], np.arange(scheme.points))
    a, b = scheme.eye_corners
    assert m[a] == b
    assert sorted(int(m[i]) for i in scheme.eyes[0]) == sorted(scheme.eyes[1])
    covered = sorted(i for lo, hi in scheme.regions.values() for i in range(lo, hi))
    assert covered == list(range(scheme.points))


def test_wflw_to_ibug_subset_keeps_order_and_mirror():
    sub = WFLW98_TO_IBUG68
    assert len(sub) == 68 and len(set(sub.tolist())) == 68
    # mirroring then taking the subset = taking the subset then mirroring in iBUG terms
    np.testing.assert_array_equal(WFLW98.mirror[sub], sub[IBUG68.mirror])
    assert (sub[36], sub[45]) == WFLW98.eye_corners  # the outer eye corners agree
    for name, (lo, hi) in IBUG68.regions.items():
        w_lo, w_hi = WFLW98.regions[name]
        assert all(w_lo <= i < w_hi for i in sub[lo:hi]), name


def test_scheme_for():
    assert scheme_for(98) is WFLW98 and scheme_for(68) is IBUG68 and scheme_for(5) is FIVE
    with pytest.raises(ValidationError, match="got 12"):
        scheme_for(12)


def test_to_five_takes_eye_centres_nose_and_mouth_corners():
    from facecli.schemes import WFLW98_TO_IBUG68, to_five

    rng = np.random.default_rng(0)
    w = rng.normal(size=(98, 2))
    five98 = to_five(w)
    np.testing.assert_allclose(five98[0], w[60:68].mean(axis=0))
    np.testing.assert_allclose(five98[2:], w[[54, 76, 82]])
    i68 = w[WFLW98_TO_IBUG68]
    five68 = to_five(i68)
    np.testing.assert_allclose(five68[2:], five98[2:])  # nose tip and mouth corners are shared points
    np.testing.assert_allclose(five68[0], i68[36:42].mean(axis=0))
    np.testing.assert_allclose(to_five(five98), five98)
    assert to_five(rng.normal(size=(4, 68, 3))).shape == (4, 5, 3)
