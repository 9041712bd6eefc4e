"""UF1/UAR: against scikit-learn, and pooled vs per-fold on a hand-made log."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import f1_score, recall_score

from facecli.errors import ValidationError
from facecli.metrics.mer import confusion_matrix, mer_report, per_class_recall, per_fold_average, uar, uf1


@pytest.mark.parametrize("seed", range(5))
def test_uf1_uar_match_sklearn_on_pooled_predictions(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, 120)
    p = np.where(rng.random(120) < 0.6, t, rng.integers(0, 3, 120))
    labels = sorted(set(t.tolist()))
    assert uf1(t, p, 3) == pytest.approx(f1_score(t, p, average="macro", labels=labels, zero_division=0))
    assert uar(t, p, 3) == pytest.approx(recall_score(t, p, average="macro", labels=labels, zero_division=0))
    np.testing.assert_array_equal(confusion_matrix(t, p, 3), sk_confusion(t, p, labels=[0, 1, 2]))


def test_class_absent_from_truth_is_left_out_but_its_false_positives_count():
    t = np.array([0, 0, 1, 1])
    p = np.array([0, 2, 1, 1])  # class 2 never true: not averaged, but hurts class 0's recall
    assert uar(t, p, 3) == pytest.approx(0.75)
    assert uf1(t, p, 3) == pytest.approx(f1_score(t, p, average="macro", labels=[0, 1]))
    assert np.isnan(per_class_recall(t, p, 3)[2])


def test_pooled_is_not_the_average_of_folds():
    # fold A: one subject, two negatives, both right; fold B: one surprise, wrong; fold C: one positive, right
    t = np.array([0, 0, 2, 1])
    p = np.array([0, 0, 0, 1])
    folds = np.array(["A", "A", "B", "C"])
    # pooled: F1 neg = 2*2/(2*2+1+0) = 0.8, pos = 1, sur = 0 -> 0.6; recall 1, 1, 0 -> 2/3
    assert uf1(t, p, 3) == pytest.approx(0.6)
    assert uar(t, p, 3) == pytest.approx(2 / 3)
    # per fold: A -> 1, B -> 0 (its only class missed), C -> 1 => 2/3 for both
    pf = per_fold_average(t, p, folds, 3)
    assert pf["uf1"] == pytest.approx(2 / 3) and pf["uar"] == pytest.approx(2 / 3)
    rep = mer_report(
        t, p, ["negative", "positive", "surprise"], datasets=["casme2", "casme2", "smic", "samm"], folds=folds
    )
    assert rep["uf1"] == pytest.approx(0.6) and rep["per_fold_average_not_megc"]["uf1"] == pytest.approx(2 / 3)
    assert rep["per_dataset"]["casme2"]["uf1"] == 1.0 and rep["per_dataset"]["smic"]["uar"] == 0.0
    assert rep["confusion"] == [[2, 0, 0], [0, 1, 0], [1, 0, 0]]


def test_all_negative_baseline_values():
    # MEGC 2019 composite class balance: 250 negative, 109 positive, 83 surprise
    t = np.array([0] * 250 + [1] * 109 + [2] * 83)
    p = np.zeros_like(t)
    assert uar(t, p, 3) == pytest.approx(1 / 3)
    assert uf1(t, p, 3) == pytest.approx((2 * 250 / (2 * 250 + 192)) / 3, abs=1e-12)  # ~0.24


def test_bad_inputs_are_clear():
    with pytest.raises(ValidationError, match="as many predictions"):
        uf1(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValidationError, match=r"class indices in \[0, 2\)"):
        uf1(np.array([0, 1]), np.array([0, 5]), 2)
