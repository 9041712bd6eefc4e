"""Shared type aliases, defined once for the whole package."""

from __future__ import annotations

import os
from typing import Union

import numpy as np
import numpy.typing as npt

__all__ = [
    "PathLike",
    "FloatArray",
    "IntArray",
    "BoolArray",
    "UInt8Array",
    "Seed",
]

#: A filesystem path given as text or as a path object.
PathLike = Union[str, "os.PathLike[str]"]
#: Any floating-point NumPy array (float16/32/64); shapes are documented per argument.
FloatArray = npt.NDArray[np.floating]
#: Any integer NumPy array.
IntArray = npt.NDArray[np.integer]
#: A boolean NumPy array.
BoolArray = npt.NDArray[np.bool_]
#: An 8-bit image array.
UInt8Array = npt.NDArray[np.uint8]
#: A seed accepted by :func:`facecli.seeding.rng_for`.
Seed = int | np.random.SeedSequence
