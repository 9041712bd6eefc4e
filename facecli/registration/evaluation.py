"""Reading registrations to score: facecli's containers and the field's ``.log`` files.

Pairs are keyed by sample id, or by fragment numbers ``"i-j"`` (target ``i``, source
``j``) when a ``.log`` file takes part (:func:`facecli.io.trajectory.pair_key`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facecli.errors import InputError
from facecli.io.trajectory import fragment_number, pair_key, read_log

__all__ = ["read_registrations", "source_fragments"]


def read_registrations(
    path: Path, *, by_numbers: bool = False, with_points: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """The transforms of a registration container or ``.log`` file.

    Args:
        path: kind ``registration`` (``register``'s output or ``synth pairs``' ``gt.h5``) or ``.log``.
        by_numbers: key by ``"i-j"`` (a container needs its ``pair`` array) instead of by id.
        with_points: also return a container's ``source_true`` (true source positions).

    Returns:
        ``(transforms, true_points)``: key → (4, 4), and key → (N, 3) or ``None``.

    Raises:
        InputError: ``by_numbers`` on a container without fragment numbers.
    """
    if path.suffix.lower() == ".log":
        return {e.key: e.transform for e in read_log(path)}, None
    from facecli.io.container import ContainerReader

    reader = ContainerReader(path, kind="registration")
    ids = list(reader.ids)
    keys = ids
    if by_numbers:
        nums = np.asarray(reader.read("pair"), np.int64).reshape(-1, 2) if "pair" in reader.keys() else None
        if nums is None or (len(nums) and (nums < 0).any()):
            raise InputError(
                f"{path}: expected fragment numbers to match a .log file (register stores them when the file names "
                f"end with numbers, as cloud_bin_3.ply), got none"
            )
        keys = [pair_key(i, j) for i, j in nums]
    transforms = dict(zip(keys, reader.read("transform")))
    points = None
    if with_points and "source_true" in reader.keys():
        points = dict(zip(keys, reader.read("source_true")))
    return transforms, points


def source_fragments(root: Path, keys: dict[str, np.ndarray] | list[str]) -> dict[str, np.ndarray]:
    """The source points of every ``"i-j"`` pair: fragment ``j`` of ``root``.

    Args:
        root: a directory of fragments whose names end with their number (``cloud_bin_3.ply``).
        keys: the pairs (``"i-j"``).

    Returns:
        key → (N, 3) points of fragment ``j``.

    Raises:
        InputError: ``root`` is not a directory, or a fragment is missing.
    """
    from facecli.io.mesh import CLOUD_SUFFIXES, read_points

    if not root.is_dir():
        raise InputError(f"--sources expects a directory of fragments, got {root}")
    files: dict[int, Path] = {}
    for f in sorted(root.iterdir()):
        n = fragment_number(f)
        if f.is_file() and f.suffix.lower() in CLOUD_SUFFIXES and n is not None:
            files.setdefault(n, f)
    out: dict[str, np.ndarray] = {}
    cache: dict[int, np.ndarray] = {}
    for key in keys:
        j = int(str(key).split("-")[1])
        if j not in files:
            raise InputError(f"{root}: no fragment numbered {j} (needed for pair {key})")
        if j not in cache:
            cache[j] = read_points(files[j]).vertices
        out[key] = cache[j]
    return out
