import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_auc_score, roc_curve

from facecli.errors import InputError
from facecli.metrics.verification import (
    best_threshold,
    equal_error_rate,
    fold_accuracy,
    roc,
    tar_at_far,
    verification_report,
)


def _scores(seed, n=400, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.5
    s = rng.normal(0, 1, n) + 1.5 * y
    if ties:
        s = np.round(s, 1)
    return s, y


@pytest.mark.parametrize("ties", [False, True])
def test_roc_matches_sklearn(ties):
    s, y = _scores(0, ties=ties)
    r = roc(s, y)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(r.far, fpr)
    np.testing.assert_allclose(r.tar, tpr)
    np.testing.assert_allclose(r.thresholds[1:], thr[1:])
    assert np.isclose(np.trapezoid(r.tar, r.far), roc_auc_score(y, s))


def test_eer_matches_interpolated_sklearn_roc():
    for seed in range(5):
        s, y = _scores(seed)
        fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
        # an independent EER: root of FAR - FRR along the piecewise-linear ROC
        curve = interp1d(fpr, tpr)
        ref = brentq(lambda x, c=curve: 1.0 - x - c(x), 0.0, 1.0)
        eer, thr = equal_error_rate(s, y)
        assert abs(eer - ref) < 1e-6
        # at the EER threshold, measured FAR and FRR straddle the EER
        far = np.mean(s[~y] >= thr)
        frr = np.mean(s[y] < thr)
        assert abs(far - eer) < 0.02 and abs(frr - eer) < 0.02


def test_eer_on_hand_made_scores():
    # genuine 0.9 0.8 0.7 0.35 ; impostor 0.6 0.4 0.3 0.1
    s = np.array([0.9, 0.8, 0.7, 0.35, 0.6, 0.4, 0.3, 0.1])
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    # thresholds 0.6 -> FAR 1/4, FRR 1/4: an exact crossing
    eer, thr = equal_error_rate(s, y)
    assert eer == pytest.approx(0.25) and thr == pytest.approx(0.6)
    # separable: EER 0
    assert equal_error_rate(np.array([0.9, 0.8, 0.2, 0.1]), np.array([1, 1, 0, 0], bool))[0] == 0.0
    # reversed: EER 1
    assert equal_error_rate(np.array([0.1, 0.2, 0.8, 0.9]), np.array([1, 1, 0, 0], bool))[0] == 1.0
    # a crossing between points: genuine 0.9 0.5, impostor 0.7 0.1
    # ROC: (0,0) (0,.5) (.5,.5) (.5,1) (1,1); FAR - FRR: -1, -.5, 0 -> EER exactly 0.5
    assert equal_error_rate(np.array([0.9, 0.5, 0.7, 0.1]), np.array([1, 1, 0, 0], bool))[0] == pytest.approx(0.5)


def test_tar_at_far_and_resolution():
    s = np.array([0.9, 0.8, 0.7, 0.35, 0.6, 0.4, 0.3, 0.1])
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    assert tar_at_far(s, y, 0.25) == 0.75
    assert tar_at_far(s, y, 0.5) == 1.0
    assert np.isnan(tar_at_far(s, y, 0.1))  # below 1/4: not measurable from 4 impostors
    s2, y2 = _scores(3, n=4000)
    fpr, tpr, _ = roc_curve(y2, s2, drop_intermediate=False)
    assert tar_at_far(s2, y2, 1e-2) == tpr[fpr <= 1e-2].max()


def test_ten_fold_accuracy_on_hand_made_folds():
    # fold 0 and 1 separable at 0.5; fold 2 has one genuine pair below 0.5
    s = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.45, 0.3, 0.2])
    y = np.array([1, 0, 1, 0, 1, 1, 0, 0], bool)
    f = np.array([0, 0, 1, 1, 2, 2, 2, 2])
    accs, thrs = fold_accuracy(s, y, f)
    # folds 0 and 1: thresholds from the other folds still separate them
    assert accs[0] == 1.0 and accs[1] == 1.0
    # fold 2: thresholds chosen on folds 0+1 lie in (0.2, 0.8): the middle of the best interval is 0.5
    assert thrs[2] == pytest.approx(0.5) and accs[2] == 0.75
    rep = verification_report(s, y, f)
    assert rep.accuracy_mean == pytest.approx(np.mean([1, 1, 0.75]))
    assert rep.accuracy_std == pytest.approx(np.std([1, 1, 0.75], ddof=1))


def test_best_threshold_maximises_accuracy_bruteforce():
    s, y = _scores(7, n=60, ties=True)
    thr = best_threshold(s, y)
    acc = np.mean((s >= thr) == y)
    brute = max(np.mean((s >= c) == y) for c in np.r_[s, s.max() + 1])
    assert acc == brute


def test_bad_inputs():
    with pytest.raises(InputError, match="both genuine and impostor"):
        roc(np.array([0.1, 0.2]), np.array([1, 1], bool))
    with pytest.raises(InputError, match="one label per score"):
        roc(np.array([0.1, 0.2]), np.array([1], bool))
    with pytest.raises(InputError, match="at least 2 folds"):
        fold_accuracy(np.array([0.1, 0.2]), np.array([1, 0], bool), np.array([0, 0]))
