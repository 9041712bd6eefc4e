"""Landmark schemes: one home for the facts every 2D/3D landmark module needs.

iBUG-68 (300W, FaceScape's ``v10``), WFLW-98 and the 5-point scheme (MTFL/CUHK and
face-recognition templates): names, the left/right mirror map used by flip
augmentation, the eye points that normalise NME, the regions errors are reported per,
and the standard WFLW-98 → iBUG-68 subset. Indices are 0-based; "left" and "right"
are the subject's, as the datasets define them (iBUG point 36 is the outer corner of
the eye on the image's left).

Example:
    >>> s = SCHEMES["wflw98"]
    >>> s.points, s.eye_corners, int(s.mirror[60])
    (98, (60, 72), 72)
    >>> len(WFLW98_TO_IBUG68)
    68
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from facecli.errors import ValidationError

__all__ = [
    "Scheme",
    "SCHEMES",
    "IBUG68",
    "WFLW98",
    "FIVE",
    "IBUG68_MIRROR",
    "WFLW98_MIRROR",
    "IBUG68_REGIONS",
    "WFLW98_TO_IBUG68",
    "convert",
    "five_weights",
    "scheme_for",
    "to_five",
]


def _mirror(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """A mirror map from its left/right pairs; every other point maps to itself."""
    m = np.arange(n)
    for a, b in pairs:
        m[a], m[b] = b, a
    return m


def _runs(*spans: tuple[int, int]) -> list[tuple[int, int]]:
    """Pairs ``(a + i, b - i)`` of mirrored runs, e.g. a jaw line from both ends."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        while a < b:
            out.append((a, b))
            a, b = a + 1, b - 1
    return out


#: iBUG-68: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, outer lips 48-59, inner lips 60-67.
IBUG68_MIRROR = _mirror(
    68,
    _runs((0, 16), (17, 26), (31, 35), (48, 54), (60, 64))
    + [
        (36, 45),
        (37, 44),
        (38, 43),
        (39, 42),
        (40, 47),
        (41, 46),  # eyes
        (55, 59),
        (56, 58),  # lower outer lip
        (65, 67),  # lower inner lip
    ],
)

#: WFLW-98: jaw 0-32, brows 33-50, nose 51-59, eyes 60-75, mouth 76-95, pupils 96-97.
WFLW98_MIRROR = _mirror(
    98,
    _runs((0, 32), (33, 46), (55, 59), (76, 82), (88, 92))
    + [
        (38, 50),
        (39, 49),
        (40, 48),
        (41, 47),  # lower edges of the brows
        (60, 72),
        (61, 71),
        (62, 70),
        (63, 69),
        (64, 68),
        (65, 75),
        (66, 74),
        (67, 73),  # eyes
        (83, 87),
        (84, 86),  # lower outer lip
        (93, 95),  # lower inner lip
        (96, 97),  # pupils
    ],
)

#: iBUG-68 regions (0-based index ranges ``[a, b)``), as the 3D-landmark literature reports them.
IBUG68_REGIONS: dict[str, tuple[int, int]] = {
    "jaw": (0, 17),
    "brows": (17, 27),
    "nose": (27, 36),
    "eyes": (36, 48),
    "mouth": (48, 68),
}

#: The standard WFLW-98 → iBUG-68 subset: ``wflw[WFLW98_TO_IBUG68]`` is in iBUG order (jaw
#: 0,2,...,32; brows 33-37 and 42-46; nose 51-59; eyes 60,61,63,64,65,67 and
#: 68,69,71,72,73,75; mouth 76-95).
WFLW98_TO_IBUG68 = np.array(
    [
        *range(0, 33, 2),
        *range(33, 38),
        *range(42, 47),
        *range(51, 60),
        60,
        61,
        63,
        64,
        65,
        67,
        68,
        69,
        71,
        72,
        73,
        75,
        *range(76, 96),
    ],
    dtype=np.int64,
)


@dataclass(frozen=True)
class Scheme:
    """One landmark scheme.

    Attributes:
        name: ``ibug68``, ``wflw98`` or ``five``.
        points: L, the number of landmarks.
        mirror: (L,) index of each point's left/right counterpart.
        eye_corners: the outer eye corners (the inter-ocular NME normaliser).
        eyes: the point groups whose centres are the eye centres (inter-pupil NME).
        regions: name → ``[a, b)`` index range, for per-region reports.
        five: the point groups whose centres are the 5 points of MTFL/CUHK and of face
            detectors (left eye centre = mean of its contour, right eye centre, nose tip,
            left and right mouth corner); see :func:`to_five`.
    """

    name: str
    points: int
    mirror: np.ndarray = field(repr=False)
    eye_corners: tuple[int, int]
    eyes: tuple[tuple[int, ...], tuple[int, ...]]
    regions: dict[str, tuple[int, int]] = field(default_factory=dict)
    five: tuple[tuple[int, ...], ...] = ()


IBUG68 = Scheme(
    "ibug68",
    68,
    IBUG68_MIRROR,
    (36, 45),
    (tuple(range(36, 42)), tuple(range(42, 48))),
    IBUG68_REGIONS,
    (tuple(range(36, 42)), tuple(range(42, 48)), (30,), (48,), (54,)),
)
WFLW98 = Scheme(
    "wflw98",
    98,
    WFLW98_MIRROR,
    (60, 72),
    ((96,), (97,)),
    {"jaw": (0, 33), "brows": (33, 51), "nose": (51, 60), "eyes": (60, 76), "mouth": (76, 96), "pupils": (96, 98)},
    (tuple(range(60, 68)), tuple(range(68, 76)), (54,), (76,), (82,)),
)
#: MTFL/CUHK order: left eye, right eye, nose tip, left and right mouth corner (eye
#: centres, so the "corners" are the eyes themselves).
FIVE = Scheme(
    "five",
    5,
    np.array([1, 0, 2, 4, 3]),
    (0, 1),
    ((0,), (1,)),
    {"eyes": (0, 2), "nose": (2, 3), "mouth": (3, 5)},
    ((0,), (1,), (2,), (3,), (4,)),
)

SCHEMES: dict[str, Scheme] = {s.name: s for s in (IBUG68, WFLW98, FIVE)}


def scheme_for(points: int) -> Scheme:
    """The scheme with ``points`` landmarks (98 WFLW, 68 iBUG, 5).

    Raises:
        ValidationError: no scheme has that many points.
    """
    for s in SCHEMES.values():
        if s.points == points:
            return s
    raise ValidationError(f"expected 98 (WFLW), 68 (iBUG) or 5 landmarks, got {points}")


def to_five(landmarks: np.ndarray) -> np.ndarray:
    """The 5 points (eye centres, nose tip, mouth corners) of 98, 68 or 5 landmarks.

    Args:
        landmarks: (..., L, 2) or (..., L, 3) with L = 98, 68 or 5.

    Returns:
        (..., 5, D) float64: left eye centre (mean of its contour), right eye centre, nose
        tip, left and right mouth corner, in MTFL/CUHK order.

    Example:
        >>> pts = np.zeros((68, 2)); pts[36:42] = [10, 20]; pts[42:48] = [30, 20]
        >>> to_five(pts)[:2].tolist()
        [[10.0, 20.0], [30.0, 20.0]]
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim < 2:
        raise ValidationError(f"expected (..., L, 2) landmarks, got shape {lm.shape}")
    scheme = scheme_for(lm.shape[-2])
    return np.stack([lm[..., list(g), :].mean(axis=-2) for g in scheme.five], axis=-2)


def convert(landmarks: np.ndarray, to: str) -> np.ndarray:
    """Landmarks in another scheme: WFLW-98 → iBUG-68 by the standard subset
    (:data:`WFLW98_TO_IBUG68`), 98 or 68 → the 5 points (:func:`to_five`), or unchanged.

    Args:
        landmarks: (..., L, D) with L = 98, 68 or 5.
        to: ``wflw98``, ``ibug68`` or ``five``.

    Returns:
        (..., L', D) float64.

    Raises:
        ValidationError: a conversion that would need points the input lacks (68 → 98...).

    Example:
        >>> convert(np.zeros((98, 2)), "ibug68").shape
        (68, 2)
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim < 2:
        raise ValidationError(f"expected (..., L, 2) landmarks, got shape {lm.shape}")
    src = scheme_for(lm.shape[-2])
    if to not in SCHEMES:
        raise ValidationError(f"expected a scheme of {', '.join(SCHEMES)}, got {to!r}")
    if src.name == to:
        return lm
    if to == "five":
        return to_five(lm)
    if src.name == "wflw98" and to == "ibug68":
        return lm[..., WFLW98_TO_IBUG68, :]
    raise ValidationError(f"expected landmarks that contain the {to} points, got {src.points} ({src.name})")


def five_weights(points: int) -> np.ndarray:
    """(5, L) float64 matrix whose product with (L, 2) landmarks is :func:`to_five` of them
    (for losses written as one matrix product).

    Example:
        >>> w = five_weights(68)
        >>> bool(np.allclose(w @ np.arange(136.0).reshape(68, 2), to_five(np.arange(136.0).reshape(68, 2))))
        True
    """
    scheme = scheme_for(points)
    w = np.zeros((5, scheme.points))
    for i, group in enumerate(scheme.five):
        w[i, list(group)] = 1.0 / len(group)
    return w
