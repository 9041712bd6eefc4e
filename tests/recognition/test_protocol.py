"""LFW View 2's people split and the threshold chosen on the training folds only."""

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.io.lfw import LFWPair, lfw_image_path, person_of
from facecli.metrics.verification import best_threshold
from facecli.recognition.protocol import protocol_accuracy, training_images, view2_folds


def _view2(n_folds=4, people_per_fold=5, seed=0):
    rng = np.random.default_rng(seed)
    people = [{f"P{k}_{i}": int(rng.integers(1, 5)) for i in range(people_per_fold)} for k in range(n_folds)]
    pairs = []
    for k, fold in enumerate(people):
        names = list(fold)
        for i, name in enumerate(names):
            other = names[(i + 1) % len(names)]
            pairs.append(LFWPair(lfw_image_path(name, 1), lfw_image_path(name, fold[name]), True, k))
            pairs.append(LFWPair(lfw_image_path(name, 1), lfw_image_path(other, 1), False, k))
    return people, pairs


def test_no_test_fold_person_reaches_training():
    people, pairs = _view2()
    folds = view2_folds(people, pairs)
    images = [lfw_image_path(n, i) for fold in people for n, c in fold.items() for i in range(1, c + 1)]
    for f in folds:
        train = training_images(f, images)
        assert not {person_of(i) for i in train} & f.test_people
        assert {person_of(i) for i in train} == f.train_people  # everyone else is there
        assert {person_of(p.a) for p in pairs if p.fold == f.index} <= f.test_people
        assert len(f.train_people) + len(f.test_people) == sum(len(x) for x in people)


def test_a_pair_outside_its_folds_people_is_refused():
    people, pairs = _view2()
    bad = [*pairs, LFWPair(lfw_image_path("P1_0", 1), lfw_image_path("P0_0", 1), False, 0)]
    with pytest.raises(InputError, match="P1_0.*not among that fold's people"):
        view2_folds(people, bad)


def test_threshold_comes_from_the_training_pairs_only():
    rng = np.random.default_rng(1)
    same_tr = rng.random(400) < 0.5
    s_tr = rng.normal(same_tr * 2.0, 1.0)
    same_te = rng.random(100) < 0.5
    s_te = rng.normal(same_te * 2.0 + 5.0, 1.0)  # shifted: its own best threshold would differ
    acc, thr = protocol_accuracy(s_tr, same_tr, s_te, same_te)
    assert thr == best_threshold(s_tr, same_tr)
    assert acc == pytest.approx(np.mean((s_te >= thr) == same_te))
    assert thr != best_threshold(s_te, same_te)
