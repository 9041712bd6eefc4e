"""The head-motion helpers shared by the apex methods and the recognition inputs."""

import numpy as np

from facecli.microexpr.rois import FaceBox, grid_rois


def test_cell_means_match_a_loop():
    rng = np.random.default_rng(0)
    field = rng.normal(size=(37, 29, 2))
    rois = grid_rois(FaceBox(0, 0, 29, 37), 5)
    from facecli.microexpr.motion import cell_means

    want = np.array([field[y0:y1, x0:x1].reshape(-1, 2).mean(axis=0) for x0, y0, x1, y1 in rois])
    np.testing.assert_allclose(cell_means(field, rois), want, atol=1e-12)


def test_head_motion_model_removes_a_quadratic_field_but_keeps_a_local_expression():
    from facecli.microexpr.motion import remove_head_motion

    rois = grid_rois(FaceBox(0, 0, 160, 200), 8)
    c = np.stack([(rois[:, 0] + rois[:, 2]) / 2.0, (rois[:, 1] + rois[:, 3]) / 2.0], axis=1)
    u = (c - c.mean(axis=0)) / 80.0
    head = np.stack(
        [
            0.7 + 0.3 * u[:, 0] - 0.2 * u[:, 1] + 0.25 * u[:, 1] ** 2,
            -0.4 + 0.1 * u[:, 0] * u[:, 1] + 0.2 * u[:, 0] ** 2,
        ],
        axis=1,
    )
    expr = np.zeros_like(head)
    expr[[50, 51]] = (0.6, -0.4)  # two "mouth corner" cells
    resid = remove_head_motion(head + expr, c)
    np.testing.assert_allclose(resid[[50, 51]], expr[[50, 51]], atol=0.05)
    others = np.delete(np.arange(len(c)), [50, 51])
    assert np.abs(resid[others]).max() < 0.05
    # an affine model cannot take the quadratic part out
    assert np.abs(remove_head_motion(head, c, order=1)).max() > 0.05
