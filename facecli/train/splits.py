"""Subject-wise splits: no person is on both sides."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facecli.errors import InputError
from facecli.seeding import rng_for

__all__ = ["group_split", "subject_of"]


def subject_of(sample_id: str, mode: str = "auto") -> str:
    """The subject an image id belongs to.

    Args:
        sample_id: a path relative to the dataset root, e.g. ``Ada_Arden/Ada_Arden_0003.jpg``.
        mode: ``folder`` (the parent folder is the person, as in LFW), ``image`` (every
            image is its own person, as in the synthetic 300W/WFLW sets) or ``auto``
            (``folder`` when the file name starts with its folder's name).
    """
    parts = sample_id.replace("\\", "/").split("/")
    folder = "/".join(parts[:-1])
    if mode == "image" or not folder:
        return sample_id
    if mode == "folder":
        return folder
    if mode != "auto":
        raise InputError(f"expected subjects folder|image|auto, got {mode!r}")
    return folder if parts[-1].startswith(parts[-2]) else sample_id


def group_split(groups: Sequence[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split sample indices so that every group (subject) lies on one side.

    Args:
        groups: (N,) the subject of each sample.
        fraction: share of subjects held out (0 gives an empty held-out side).
        seed: the run's seed.

    Returns:
        (train_indices, heldout_indices), each sorted int64.
    """
    if not 0 <= fraction < 1:
        raise InputError(f"expected a held-out fraction in [0, 1), got {fraction}")
    uniq = sorted(set(groups))
    n_out = int(round(fraction * len(uniq)))
    if fraction > 0 and len(uniq) >= 2:
        n_out = max(1, min(n_out, len(uniq) - 1))
    perm = rng_for(seed, "group-split").permutation(len(uniq))
    out = {uniq[i] for i in perm[:n_out]}
    g = np.asarray(groups, dtype=object)
    held = np.array([x in out for x in g], dtype=bool)
    return np.flatnonzero(~held), np.flatnonzero(held)
