"""Finding the face on a scan: units, nose tip, face region."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.geometry.facefind import FACE_BOX_MM, detect_units, face_region, nose_tip


def _face():
    from facecli.synth.face_model import build_vertices, mean_identity
    from facecli.synth.template import get_template

    return build_vertices(mean_identity(), {}), get_template().faces


@pytest.mark.parametrize("unit,k", [("mm", 1.0), ("cm", 10.0), ("m", 1000.0)])
def test_units_of_a_face_and_of_a_head_with_shoulders(unit, k):
    v, _ = _face()
    assert detect_units(v / k) == unit
    head = np.concatenate([v, v + [0, -350, -50]])  # a second copy below: about 0.5 m tall
    assert detect_units(head / k) == unit


def test_nose_tip_is_the_front_of_the_face_and_ignores_a_spike():
    v, _ = _face()
    tip = nose_tip(v)
    assert tip[2] > np.percentile(v[:, 2], 99.9) - 2.0 and abs(tip[0]) < 3.0
    spiked = np.concatenate([v, [[40.0, 60.0, v[:, 2].max() + 30.0]]])  # one stray vertex far in front
    np.testing.assert_allclose(nose_tip(spiked), tip, atol=1e-9)


def _chest(v: np.ndarray, tip: np.ndarray) -> np.ndarray:
    """A dense flat surface below the chin, 40 mm further forward than the nose."""
    g = np.stack(np.meshgrid(np.linspace(-120, 120, 121), np.linspace(-230, -130, 51)), -1).reshape(-1, 2)
    return np.column_stack([g, np.full(len(g), 40.0)]) + [tip[0], tip[1], tip[2]]


def test_nose_tip_near_a_rough_nose_passes_over_a_chest_in_front():
    v, f = _face()
    tip = nose_tip(v)
    chest = _chest(v, tip)
    both = np.concatenate([v, chest])
    assert nose_tip(both)[1] < tip[1] - 100  # the most forward surface: the chest
    rough = tip + [6.0, -8.0, -5.0]  # a detector's nose point, a few mm off
    np.testing.assert_allclose(nose_tip(both, near=rough), tip, atol=1e-9)
    np.testing.assert_allclose(nose_tip(v, near=rough + [0, 0, 500]), tip, atol=1e-9)  # none close: all
    reg = face_region(both, f, near=rough)
    np.testing.assert_allclose(reg.nose_tip, tip, atol=1e-9)


def test_a_training_like_face_is_kept_whole_and_the_rest_is_cut():
    v, f = _face()
    reg = face_region(v, f)
    assert reg.removed == 0.0 and len(reg.ids) == len(np.unique(f))
    far = np.array([[0.0, -FACE_BOX_MM[1] - 80.0, 0.0], [10.0, -FACE_BOX_MM[1] - 80.0, 0.0], [0.0, -300.0, 5.0]])
    v2 = np.concatenate([v, reg.nose_tip + far])
    f2 = np.concatenate([f, [[len(v), len(v) + 1, len(v) + 2]]])
    reg2 = face_region(v2, f2)
    assert len(reg2.faces) == len(f) and reg2.removed > 0
    with pytest.raises(InputError, match="face box"):
        face_region(v2, np.array([[len(v), len(v) + 1, len(v) + 2]]), source="x.obj")
