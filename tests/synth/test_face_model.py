import numpy as np

from facecli.synth import template as T
from facecli.synth.face_model import build_vertices, mean_identity, sample_identity


def test_topology_and_landmark_schemes():
    tpl = T.get_template()
    assert 10_000 <= tpl.n_vertices <= 30_000
    assert len(set(tpl.ibug68.tolist())) == 68 and len(set(tpl.wflw98.tolist())) == 98
    # the synthetic layouts are left/right symmetric exactly as the schemes' mirror maps say
    from facecli.schemes import IBUG68_MIRROR, WFLW98_MIRROR

    for positions, mirror in ((T.ibug68_positions(), IBUG68_MIRROR), (T.wflw98_positions(), WFLW98_MIRROR)):
        flipped = positions * np.array([-1.0, 1.0])
        nearest = np.linalg.norm(positions[None] - flipped[:, None], axis=2).argmin(axis=1)
        np.testing.assert_array_equal(nearest, mirror)


def test_mean_face_anthropometrics():
    v = build_vertices(mean_identity())[T.get_template().ibug68]
    d = lambda a, b: float(np.linalg.norm(v[a] - v[b]))  # noqa: E731
    assert 80 <= d(36, 45) <= 100  # outer eye-corner width ≈ 90 mm
    assert 28 <= d(39, 42) <= 36  # inner ≈ 32 mm
    assert 45 <= d(48, 54) <= 58  # mouth ≈ 52 mm
    assert 45 <= d(27, 33) <= 58  # nasion–subnasale ≈ 52 mm
    assert 110 <= d(27, 8) <= 130  # nasion–chin ≈ 120 mm
    assert v[30, 2] - v[36, 2] > 15  # the nose tip sticks out in front of the eye corners


def test_identities_differ_by_millimetres_and_are_seeded():
    a = build_vertices(sample_identity(np.random.default_rng(1)))
    b = build_vertices(sample_identity(np.random.default_rng(2)))
    a2 = build_vertices(sample_identity(np.random.default_rng(1)))
    np.testing.assert_array_equal(a, a2)
    lm = T.get_template().ibug68
    diff = np.linalg.norm(a[lm] - b[lm], axis=1)
    assert diff.mean() > 2.0


def test_expressions_move_the_expected_landmarks():
    ident = sample_identity(np.random.default_rng(5))
    lm = T.get_template().ibug68
    neutral = build_vertices(ident)[lm]

    def moved(aus):
        return build_vertices(ident, aus)[lm] - neutral

    smile = moved({"AU12": 1.0})
    assert smile[[48, 54], 1].min() > 2.0  # mouth corners go up
    assert smile[54, 0] > 2.0 and smile[48, 0] < -2.0  # and outward
    assert np.abs(smile[17:27]).max() < 0.5  # brows stay
    brows = moved({"AU1": 1.0, "AU2": 1.0})
    assert brows[17:27, 1].min() > 2.0 and np.abs(brows[48:68]).max() < 0.5
    jaw = moved({"AU26": 1.0})
    assert jaw[8, 1] < -8.0 and jaw[66, 1] < -8.0 and abs(jaw[62, 1]) < 1.0  # lower lip drops, upper stays
    closed = moved({"AU43": 1.0})
    gap_neutral = neutral[37, 1] - neutral[41, 1]
    gap_closed = (neutral[37, 1] + closed[37, 1]) - (neutral[41, 1] + closed[41, 1])
    assert gap_closed < 0.25 * gap_neutral
    micro = moved({"AU12": 0.2, "AU6": 0.2})
    assert 0.3 < np.linalg.norm(micro, axis=1).max() < 3.0


def test_mesh_is_not_folded_under_expressions():
    from facecli.geometry.mesh_ops import face_normals

    tpl = T.get_template()
    for aus in [{}, {"AU26": 1.0}, {"AU43": 1.0, "AU12": 1.0, "AU4": 1.0}]:
        v = build_vertices(sample_identity(np.random.default_rng(9)), aus)
        n = face_normals(v, tpl.faces)
        front = (np.abs(tpl.theta[tpl.faces[:, 0]]) < 1.0) & (tpl.y[tpl.faces[:, 0]] > -100)
        assert (n[front, 2] > -0.2).mean() > 0.995  # front triangles keep facing the viewer


def test_shape_spread_exaggerates_the_same_person():
    import pytest

    from facecli.errors import ValidationError
    from facecli.synth.face_model import SHAPE_PARAMS

    a = sample_identity(np.random.default_rng(5))
    b = sample_identity(np.random.default_rng(5), spread=1.7)
    for k in SHAPE_PARAMS:
        assert np.isclose(b.shape[k], 1.7 * a.shape[k])
    assert b.albedo.keys() == a.albedo.keys() and b.sex_scale == a.sex_scale
    # a wider spread reaches proportions the default range does not: mouth widths over 40 people
    lm = T.get_template().ibug68

    def mouths(spread: float) -> np.ndarray:
        out = []
        for s in range(40):
            v = build_vertices(sample_identity(np.random.default_rng(100 + s), spread=spread))[lm]
            out.append(np.linalg.norm(v[48] - v[54]))
        return np.array(out)

    assert mouths(1.7).std() > 1.4 * mouths(1.0).std()
    for bad in (0.0, -1.0, 3.5):
        with pytest.raises(ValidationError, match="shape spread"):
            sample_identity(np.random.default_rng(0), spread=bad)
