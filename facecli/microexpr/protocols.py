"""Recognition protocols: which datasets, which classes, and leave-one-subject-out folds.

* ``megc2019``: SMIC + CASME II + SAMM, 3 classes (negative = repression, anger,
  contempt, disgust, fear, sadness; positive = happiness; surprise), LOSO over all
  subjects of the three sets (a subject is ``dataset/subject``: the sets share no
  people).
* ``casme2``: CASME II alone, 5 classes (happiness, disgust, repression, surprise,
  others; fear and sadness have too few clips and are left out, as usual).
* ``smic``: SMIC alone, 3 classes (positive, negative, surprise).
* ``samm``: SAMM alone, 5 classes (anger, contempt, happiness, surprise, other; the
  classes with at least 10 clips in the real set).

Clips whose label falls outside the protocol's classes are dropped (and counted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from facecli.errors import InputError
from facecli.io.microexpr import MEGC_CLASSES, megc_class

if TYPE_CHECKING:  # numpy is imported where folds are made: the command line lists PROTOCOLS at start-up
    import numpy as np

__all__ = ["PROTOCOLS", "Fold", "Protocol", "get_protocol", "loso_folds", "parse_fold_range"]


def _lower(classes: Sequence[str]) -> Callable[[str], str | None]:
    keep = {c.lower(): c for c in classes}
    return lambda emotion: keep.get(emotion.strip().lower())


@dataclass(frozen=True)
class Protocol:
    """A recognition protocol.

    Attributes:
        name: its name on the command line.
        datasets: datasets it uses.
        classes: class names; a class's index is its position.
        label: emotion label (as in the coding sheet) → class name, or None to drop.
    """

    name: str
    datasets: tuple[str, ...]
    classes: tuple[str, ...]
    label: Callable[[str], str | None]

    def class_index(self, emotion: str) -> int | None:
        """Class index of an emotion label, or None when the protocol drops it."""
        c = self.label(emotion)
        return None if c is None else self.classes.index(c)


PROTOCOLS: dict[str, Protocol] = {
    "megc2019": Protocol("megc2019", ("casme2", "samm", "smic"), MEGC_CLASSES, megc_class),
    "casme2": Protocol(
        "casme2",
        ("casme2",),
        ("happiness", "disgust", "repression", "surprise", "others"),
        _lower(("happiness", "disgust", "repression", "surprise", "others")),
    ),
    "smic": Protocol(
        "smic", ("smic",), ("negative", "positive", "surprise"), _lower(("negative", "positive", "surprise"))
    ),
    "samm": Protocol(
        "samm",
        ("samm",),
        ("anger", "contempt", "happiness", "surprise", "other"),
        _lower(("anger", "contempt", "happiness", "surprise", "other")),
    ),
}


def get_protocol(name: str) -> Protocol:
    """The protocol called ``name`` (a clear error naming the choices otherwise)."""
    if name not in PROTOCOLS:
        raise InputError(f"expected --protocol {'|'.join(PROTOCOLS)}, got {name!r}")
    return PROTOCOLS[name]


@dataclass(frozen=True)
class Fold:
    """One leave-one-subject-out fold.

    Attributes:
        number: 1-based fold number (folds are ordered by dataset, then subject).
        subject: the test subject, ``dataset/subject``.
        train: (N_train,) int64 sample indices of every other subject.
        test: (N_test,) int64 sample indices of the test subject.
    """

    number: int
    subject: str
    train: np.ndarray
    test: np.ndarray


def loso_folds(subjects: Sequence[str]) -> list[Fold]:
    """One fold per subject: that subject's samples are the test set, all others train.

    Args:
        subjects: (N,) the subject (``dataset/subject``) of each sample.

    Returns:
        The folds, sorted by subject; every sample is tested exactly once.
    """
    import numpy as np

    s = np.asarray(list(subjects), dtype=object)
    folds = []
    for i, subj in enumerate(sorted(set(s.tolist()))):
        test = np.flatnonzero(s == subj)
        train = np.flatnonzero(s != subj)
        folds.append(Fold(i + 1, subj, train.astype(np.int64), test.astype(np.int64)))
    return folds


def parse_fold_range(text: str | None, n_folds: int) -> list[int]:
    """``K..L`` (1-based, inclusive), ``K`` or None (all) → fold numbers.

    Example:
        >>> parse_fold_range("3..5", 10)
        [3, 4, 5]
    """
    if text is None or text.strip() == "":
        return list(range(1, n_folds + 1))
    t = text.strip()
    try:
        if ".." in t:
            a, b = t.split("..", 1)
            lo, hi = int(a), int(b)
        else:
            lo = hi = int(t)
    except ValueError:
        raise InputError(f"expected --folds K..L (1-based, e.g. 1..17) or K, got {text!r}") from None
    if not 1 <= lo <= hi <= n_folds:
        raise InputError(f"expected folds within 1..{n_folds} with K <= L, got {text!r}")
    return list(range(lo, hi + 1))
