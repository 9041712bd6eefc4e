"""The units of a registration's clouds, and the face part of a source scan.

Scanners write metres, centimetres or millimetres, and a template is often in another
unit than the scans moved onto it. :func:`source_scale` gives the factor that brings a
source into the target's units:

- ``auto``: each cloud's units are read from its size as for a face or head scan
  (:func:`facecli.geometry.facefind.detect_units`); the source is scaled when they differ
  and the two sizes agree better once it is (a scan in metres onto a template in mm; two
  fragments of a room in metres, one a little larger, stay as they are); clouds left
  unscaled must be within :data:`SIZE_RATIO` of each other's size;
- ``same``: no scaling; clouds whose sizes differ by more than :data:`SIZE_RATIO` are refused;
- ``mm``, ``cm``, ``m``: the sources are in these units; the target's are read from its size.

The transform of a scaled source is then a similarity (rotation times the factor, then a
shift): it maps the source as read onto the target.

:func:`face_mask` keeps the face of a source scan already in the target's units (a head
scan's hair, neck and shoulders out), as ``landmarks3d`` and ``normals`` do.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> face_mm = rng.uniform(-80, 80, (500, 3))
    >>> source_scale(face_mm / 1000, face_mm)  # a scan in metres, a template in mm
    1000.0
    >>> source_scale(face_mm, face_mm * 1.5)  # about the same size: the same units
    1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facecli.errors import InputError
from facecli.geometry.facefind import UNIT_FACTORS, box_diagonal, detect_units, in_face_box, nose_tip

__all__ = ["UNIT_MODES", "SIZE_RATIO", "check_units", "source_scale", "face_mask"]

#: What ``--units`` takes.
UNIT_MODES = ("auto", "same", "mm", "cm", "m")

#: Clouds whose robust sizes differ by more than this are taken to be in different units.
SIZE_RATIO = 10.0


def check_units(src: np.ndarray, tgt: np.ndarray, source_name: str, target_name: str) -> None:
    """Refuse clouds whose extents differ by more than :data:`SIZE_RATIO` (mm against m or cm).

    Args:
        src, tgt: (N, 3) raw points.

    Raises:
        InputError: naming both files, their sizes and the likely units.
    """
    a, b = box_diagonal(src), box_diagonal(tgt)
    if min(a, b) == 0.0:
        return  # empty or single-point clouds are refused by the boundary check
    if max(a, b) > SIZE_RATIO * min(a, b):
        ratio = max(a, b) / min(a, b)
        hint = next(
            (
                f" (about {k}x: {u}?)"
                for k, u in ((1000, "mm vs m"), (100, "cm vs m"), (10, "mm vs cm"))
                if 0.5 * k <= ratio <= 2 * k
            ),
            "",
        )
        raise InputError(
            f"{source_name} spans {a:.4g} but {target_name} spans {b:.4g}: expected both in the same units"
            f"{hint}; scale one of them or give the source's with --units mm|cm|m"
        )


def source_scale(
    source: np.ndarray,
    target: np.ndarray,
    units: str = "auto",
    *,
    source_name: str = "source",
    target_name: str = "target",
) -> float:
    """The factor that brings ``source`` into ``target``'s units.

    Args:
        source: (N, 3) float, as read. target: (M, 3) float, as read.
        units: one of :data:`UNIT_MODES` (see the module).
        source_name, target_name: for error messages.

    Returns:
        1.0, or a power of ten.

    Raises:
        InputError: an unknown mode, or sizes that no unit explains.
    """
    if units not in UNIT_MODES:
        raise InputError(f"expected --units {'|'.join(UNIT_MODES)}, got {units!r}")
    if units in UNIT_FACTORS:
        return UNIT_FACTORS[units] / UNIT_FACTORS[detect_units(target)]
    a, b = box_diagonal(source), box_diagonal(target)
    if units == "auto" and min(a, b) > 0.0:
        f = UNIT_FACTORS[detect_units(source)] / UNIT_FACTORS[detect_units(target)]
        if f != 1.0 and abs(np.log(a * f / b)) < abs(np.log(a / b)):
            return f  # read as other units, and the sizes agree better once scaled
    check_units(source, target, source_name, target_name)  # raises when the sizes differ too much
    return 1.0


def face_mask(
    points: np.ndarray, target: np.ndarray, *, source_name: str = "source", orientation: Any = None
) -> np.ndarray:
    """Which points of a scan lie in the face box about its nose tip
    (:data:`facecli.geometry.facefind.FACE_BOX_MM`).

    Args:
        points: (N, 3) float, the scan in the target's units, +Y up, +Z towards the viewer.
        target: (M, 3) float, the target (its size gives the units).
        source_name: for error messages.
        orientation: the face's orientation on the scan, found in mm
            (:class:`facecli.detection.scan_orientation.ScanOrientation`): the box is then
            taken in the face's upright, frontal frame, whichever way the scan was written,
            about the nose tip nearest the detector's nose point.

    Returns:
        (N,) bool.

    Raises:
        InputError: fewer than 10 points in the box.
    """
    mm = np.asarray(points, np.float64) * UNIT_FACTORS[detect_units(target)]
    near = None
    if orientation is not None:
        mm = orientation.to_canonical(mm)
        near = orientation.to_canonical(orientation.keypoints[2:3])[0]  # the detector's nose point
    mask = in_face_box(mm, nose_tip(mm, near=near))
    if int(mask.sum()) < 10:
        raise InputError(
            f"{source_name}: {int(mask.sum())} points in the face box about the nose tip; expected a face looking "
            "along +Z (--no-face-crop keeps the whole scan)"
        )
    return mask
