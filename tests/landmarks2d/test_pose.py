"""Yaw from five points: recovered from projections of the 3D face; the 3D face is the synthetic mean face's."""

import numpy as np
import pytest

from facecli.geometry.transforms import euler_to_matrix
from facecli.landmarks2d.pose import FIVE_POINTS_3D, project_five, yaw_from_five


@pytest.mark.parametrize("yaw", [-70.0, -45.0, -20.0, 0.0, 30.0, 60.0])
def test_yaw_is_recovered(yaw):
    pts = project_five(euler_to_matrix(yaw, 8.0, -5.0), focal=800.0, distance=700.0)
    assert yaw_from_five(pts * 0.4 + [75.0, 80.0]) == pytest.approx(yaw, abs=4.0)


def test_the_3d_face_is_the_synthetic_mean_face():
    from facecli.schemes import to_five
    from facecli.synth import template
    from facecli.synth.face_model import build_vertices, mean_identity

    lm = build_vertices(mean_identity())[template.get_template().ibug68]
    np.testing.assert_allclose(FIVE_POINTS_3D, to_five(lm), atol=0.01)
