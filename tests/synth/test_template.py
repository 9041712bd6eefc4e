"""The synthetic template's landmark definitions: the two schemes agree by construction, and
each outline landmark's parallel starts at its own vertex."""

import numpy as np

from facecli.schemes import WFLW98_TO_IBUG68
from facecli.synth.template import get_template, ibug68_positions, wflw98_positions


def test_the_wflw_subset_is_the_ibug_definition():
    assert np.array_equal(wflw98_positions()[WFLW98_TO_IBUG68], ibug68_positions())
    tpl = get_template()
    assert np.array_equal(tpl.wflw98[WFLW98_TO_IBUG68], tpl.ibug68)
    odd = wflw98_positions()[1:33:2]  # the outline's other points lie half-way between iBUG's
    assert np.allclose(odd, 0.5 * (ibug68_positions()[0:16] + ibug68_positions()[1:17]))


def test_outline_parallels_start_at_the_landmark_and_run_inward():
    tpl = get_template()
    for scheme, n in (("ibug68", 17), ("wflw98", 33)):
        m = tpl.marching[scheme]
        idx = getattr(tpl, scheme)
        assert np.array_equal(m.slots, np.arange(n)) and len(m.parallels) == n
        for k, par in enumerate(m.parallels):
            assert par[0] == idx[k] and len(par) > 20 and len(np.unique(par)) == len(par)
            # inward: the template's |X| shrinks or the point rises along the parallel
            x, y = tpl.x[par], tpl.y[par]
            assert np.abs(x[-1]) < np.abs(x[0]) or y[-1] > y[0]
    w, i = tpl.marching["wflw98"], tpl.marching["ibug68"]
    assert all(np.array_equal(a, b) for a, b in zip(w.parallels[::2], i.parallels, strict=True))
    left = tpl.marching["ibug68"].directions
    assert left[0, 0] < -0.9 and left[16, 0] > 0.9 and left[8, 1] < -0.99  # sides out, chin down


def test_the_nose_line_starts_where_annotators_put_it():
    """iBUG 27 sits a few mm above the inner eye corners (annotated scans and the published
    68-point mean shapes: 2-5 mm), well below the brows, and 27-30 share the bridge equally."""
    p = ibug68_positions()
    corners_y = p[[39, 42], 1].mean()
    brows_y = p[[21, 22], 1].mean()
    assert 1.5 < p[27, 1] - corners_y < 6.0
    assert (p[27, 1] - corners_y) / (brows_y - corners_y) < 0.3
    np.testing.assert_allclose(np.diff(p[27:31, 1]), np.diff(p[27:31, 1]).mean())
    np.testing.assert_allclose(p[27:31, 0], 0.0)
