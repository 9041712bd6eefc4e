"""LFW View 2 under the "image-unrestricted, no outside labelled identities" protocol.

View 2 has 10 folds of 300 matched and 300 mismatched pairs, and ``people.txt`` splits
LFW's people into the same 10 folds: the pairs of fold k use only the people of fold k.
Whatever learns from identities for fold k (a PCA + LDA, a network) sees only the people
of the nine other folds; the threshold is chosen on the nine other folds' pairs; fold k's
pairs are scored once.

Example:
    >>> people = [{"A": 2, "B": 1}, {"C": 2, "D": 1}]
    >>> pairs = [LFWPair("A/A_0001.jpg", "A/A_0002.jpg", True, 0), LFWPair("C/C_0001.jpg", "D/D_0001.jpg", False, 1)]
    >>> [sorted(f.train_people) for f in view2_folds(people, pairs)]
    [['C', 'D'], ['A', 'B']]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facecli.errors import InputError
from facecli.io.lfw import LFWPair, person_of

__all__ = ["ViewTwoFold", "protocol_accuracy", "training_images", "view2_folds"]


@dataclass(frozen=True)
class ViewTwoFold:
    """One fold of View 2.

    Attributes:
        index: 0-based fold number. test_people: the fold's own people (its pairs use only
        them). train_people: everyone in the other folds: all a model for this fold may
        learn identities from.
    """

    index: int
    test_people: frozenset[str]
    train_people: frozenset[str]


def view2_folds(people: Sequence[dict[str, int]], pairs: Sequence[LFWPair]) -> list[ViewTwoFold]:
    """The folds of ``people.txt``, checked against ``pairs.txt``.

    Args:
        people: one ``{name: images}`` per fold (:func:`facecli.io.lfw.read_people`).
        pairs: View 2's pairs (:func:`facecli.io.lfw.read_pairs`).

    Raises:
        InputError: a pair of fold k with a person who is not in fold k of ``people``, or
            a fold of the pairs that ``people`` does not have.
    """
    sets = [frozenset(f) for f in people]
    everyone = frozenset().union(*sets) if sets else frozenset()
    for p in pairs:
        if p.fold >= len(sets):
            raise InputError(f"pairs use fold {p.fold + 1}, the people file has {len(sets)} folds")
        for image in (p.a, p.b):
            if person_of(image) not in sets[p.fold]:
                raise InputError(
                    f"pair {p.a} / {p.b} of fold {p.fold + 1} shows {person_of(image)}, "
                    "who is not among that fold's people"
                )
    return [ViewTwoFold(k, s, everyone - s) for k, s in enumerate(sets)]


def training_images(fold: ViewTwoFold, images: Sequence[str]) -> list[str]:
    """The images a model for ``fold`` may learn from: those of its training people."""
    return [i for i in images if person_of(i) in fold.train_people]


def protocol_accuracy(
    train_scores: np.ndarray, train_same: np.ndarray, test_scores: np.ndarray, test_same: np.ndarray
) -> tuple[float, float]:
    """Accuracy on the test fold at the threshold that is best on the training folds' pairs.

    Args:
        train_scores: (N,) similarity of the nine other folds' pairs, scored by the fold's
            model. train_same: (N,) bool. test_scores: (M,) the fold's own pairs. test_same: (M,) bool.

    Returns:
        ``(accuracy, threshold)``.
    """
    from facecli.metrics.verification import best_threshold

    thr = best_threshold(np.asarray(train_scores, np.float64), np.asarray(train_same, bool))
    acc = float(np.mean((np.asarray(test_scores, np.float64) >= thr) == np.asarray(test_same, bool)))
    return acc, thr
