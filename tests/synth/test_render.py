import numpy as np

from facecli.synth.face_model import mean_identity
from facecli.synth.scene import Pose, SceneOptions, render_person


def _render(pose, **kw):
    return render_person(
        mean_identity(),
        None,
        pose,
        np.random.default_rng(0),
        size=(128, 128),
        options=SceneOptions(clutter=False, **kw),
    )


def test_landmarks_land_on_their_features():
    res, _ = _render(Pose())
    lm = res.landmarks
    img = res.image.astype(float)
    assert res.visible[27:48].all()
    # pupils are darker than the cheeks; eye corners project into the eye region
    pupil = (lm[37] + lm[38] + lm[40] + lm[41]) / 4
    cheek = lm[2] * 0.5 + lm[31] * 0.5
    assert img[int(pupil[1]), int(pupil[0])].mean() < img[int(cheek[1]), int(cheek[0])].mean()
    assert lm[36, 0] < lm[39, 0] < lm[42, 0] < lm[45, 0]  # subject's right eye on the image left
    assert lm[27, 1] < lm[30, 1] < lm[33, 1] < lm[62, 1] < lm[8, 1]  # top to bottom
    # normal map: unit length on the face, zero elsewhere, frontal normals face the camera
    n = res.normals[res.mask]
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-3)
    assert n[:, 2].mean() > 0.6 and (res.normals[~res.mask] == 0).all()
    assert (res.depth[res.mask] > 300).all() and (res.depth[~res.mask] == 0).all()


def test_profile_hides_far_side_and_occluders_hide_landmarks():
    res, _ = _render(Pose(yaw=70))
    far = (
        [36, 37, 38, 39, 40, 41, 0, 1, 2]
        if res.landmarks[36, 0] > res.landmarks[45, 0]
        else [42, 43, 44, 45, 46, 47, 16, 15, 14]
    )
    near = [45, 46, 16] if far[0] == 36 else [36, 41, 0]
    assert (~res.visible[far]).sum() >= 5 and res.visible[near].sum() >= 2
    res, _ = _render(Pose(), occluders=("glasses",))
    assert res.occluded.any() and not res.occluded[[8, 57]].any()
