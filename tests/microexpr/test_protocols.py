"""Protocols and leave-one-subject-out folds."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.microexpr.protocols import PROTOCOLS, get_protocol, loso_folds, parse_fold_range


def test_loso_folds_cover_every_subject_and_clip_exactly_once():
    rng = np.random.default_rng(0)
    subjects = [f"{d}/{s}" for d, s in zip(rng.choice(["casme2", "samm", "smic"], 200), rng.integers(1, 12, 200))]
    folds = loso_folds(subjects)
    assert sorted(f.subject for f in folds) == sorted(set(subjects))
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested.tolist()) == list(range(200))  # each clip tested once
    s = np.asarray(subjects, dtype=object)
    for f in folds:
        assert set(s[f.test]) == {f.subject}
        assert f.subject not in set(s[f.train])
        assert f.train.size + f.test.size == 200
    assert [f.number for f in folds] == list(range(1, len(folds) + 1))


def test_megc_mapping_and_dropped_labels():
    megc = get_protocol("megc2019")
    assert megc.classes == ("negative", "positive", "surprise")
    assert [megc.class_index(e) for e in ("repression", "Anger", "contempt", "happiness", "Surprise", "others")] == [
        0,
        0,
        0,
        1,
        2,
        None,
    ]
    c2 = PROTOCOLS["casme2"]
    assert len(c2.classes) == 5 and c2.class_index("fear") is None and c2.class_index("Others") == 4
    assert PROTOCOLS["smic"].class_index("positive") == 1
    with pytest.raises(InputError, match="megc2019"):
        get_protocol("casme3")


def test_fold_ranges():
    assert parse_fold_range(None, 4) == [1, 2, 3, 4]
    assert parse_fold_range("2..3", 4) == [2, 3] and parse_fold_range("4", 4) == [4]
    for bad in ("0..2", "3..2", "1..9", "a..b"):
        with pytest.raises(InputError, match="folds"):
            parse_fold_range(bad, 4)
