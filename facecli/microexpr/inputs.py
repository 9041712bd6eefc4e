"""Recognition inputs of one clip: the apex face crop and the onset→apex optical flow.

Computed once per clip by ``mer-train prepare`` and cached in a container of kind
``flow``, so training never recomputes them:

* ``flow``: (S, S, 3) float32, HWC: horizontal and vertical flow from the onset to
  the apex frame (OpenCV DIS, medium preset, on the face box) with the head's motion
  removed (the quadratic field of :func:`facecli.microexpr.motion.fit_head_motion`,
  fitted on 8 × 8 cells), resized to S × S and expressed in pixels of the S × S
  crop; the third channel is the optical strain
  √(u_x² + v_y² + ½ (u_y + v_x)²) of that flow.
* ``apex_image``: (S, S) uint8 grey apex crop of the same face box.

Each clip's apex comes from its coding sheet; where the sheet has none (SMIC), from
an ``apex-detect`` file, or else it is spotted in place with ``apex-detect``'s
default settings (recorded in ``apex_source``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facecli.errors import FormatError
from facecli.io.inputs import InputItem
from facecli.microexpr.rois import FaceBox, clip_face_box

__all__ = ["FLOW_ATTRS", "FlowJob", "ClipCoding", "optical_strain", "recognition_inputs"]

#: Array attributes of a ``flow`` container.
FLOW_ATTRS: dict[str, dict[str, str]] = {
    "flow": {
        "units": "px",
        "layout": "HWC",
        "description": "onset->apex flow u, v (px of the SxS crop, head motion removed) and optical strain",
    },
    "apex_image": {"layout": "HW", "description": "grey apex-frame face crop, SxS"},
    "onset": {"units": "frame", "description": "onset frame number"},
    "apex": {"units": "frame", "description": "apex frame number used"},
    "offset": {"units": "frame", "description": "offset frame number"},
    "apex_source": {"description": "sheet | apex-file | spotted"},
    "face_box": {"units": "px", "description": "x, y, w, h of the face box cropped"},
    "face_box_source": {"description": "given (--face-box) | detector (on the onset frame) | frame (whole frame)"},
    "dataset": {"description": "casme2 | samm | smic"},
    "subject": {"description": "canonical subject name"},
    "clip": {"description": "clip name"},
    "emotion": {"description": "emotion label as in the coding sheet"},
}


def optical_strain(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(H, W) float32 optical-strain magnitude √(u_x² + v_y² + ½ (u_y + v_x)²).

    Args:
        u, v: (H, W) horizontal and vertical flow.
    """
    uy, ux = np.gradient(u.astype(np.float64))
    vy, vx = np.gradient(v.astype(np.float64))
    return np.sqrt(ux**2 + vy**2 + 0.5 * (uy + vx) ** 2).astype(np.float32)


def recognition_inputs(onset: np.ndarray, apex: np.ndarray, box: FaceBox, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Flow and apex crop of one clip.

    Args:
        onset, apex: (H, W) uint8 grey frames.
        box: the face box (already clipped to the frame).
        size: S, the side of the outputs.

    Returns:
        ``(flow (S, S, 3) float32, apex_image (S, S) uint8)``.
    """
    import cv2

    from facecli.microexpr.motion import cell_centres, cell_means, dis_flow, fit_head_motion
    from facecli.microexpr.rois import grid_rois

    a = np.ascontiguousarray(onset[box.y : box.y + box.h, box.x : box.x + box.w])
    b = np.ascontiguousarray(apex[box.y : box.y + box.h, box.x : box.x + box.w])
    flow = dis_flow("medium").calc(a, b, None)  # type: ignore[attr-defined]
    cells = max(1, min(8, min(box.w, box.h) // 4))
    rois = grid_rois(FaceBox(0, 0, box.w, box.h), cells)
    head = fit_head_motion(cell_means(flow, rois), cell_centres(rois))
    flow = flow - head.field(box.h, box.w)
    small = cv2.resize(flow, (size, size), interpolation=cv2.INTER_AREA)
    small[..., 0] *= size / box.w
    small[..., 1] *= size / box.h
    strain = optical_strain(small[..., 0], small[..., 1])
    img = cv2.resize(b, (size, size), interpolation=cv2.INTER_AREA)
    return np.dstack([small, strain]).astype(np.float32), img.astype(np.uint8)


@dataclass(frozen=True)
class ClipCoding:
    """What the coding sheet says of a clip.

    Attributes:
        dataset, subject, clip, emotion: as in the sheet (subject canonical).
        onset, offset: frame numbers.
        apex: frame number, or None when the sheet has none.
    """

    dataset: str
    subject: str
    clip: str
    emotion: str
    onset: int
    offset: int
    apex: int | None


@dataclass
class FlowJob:
    """Compute the recognition inputs of one clip (picklable for ``--workers``).

    Attributes:
        coding: item id → the clip's coding.
        size: S.
        box: the face box (None: the whole frame, or the detector's with ``detect_face``).
        apex_file: item id → apex frame number from an ``apex-detect`` file.
    """

    coding: Mapping[str, ClipCoding]
    size: int = 64
    box: FaceBox | None = None
    apex_file: Mapping[str, int] = field(default_factory=dict)
    detect_face: bool = False

    def __call__(self, item: InputItem) -> dict[str, Any]:
        from facecli.io.clips import open_clip, read_clip_frames

        c = self.coding[item.id]
        clip = open_clip(item.path)
        on = clip.index_of(c.onset)
        off = clip.index_of(c.offset)
        if on > off:
            raise FormatError(f"{item.path}: onset frame {c.onset} comes after offset frame {c.offset}")
        f_on = read_clip_frames(clip, start=on, stop=on + 1)[0]
        face, box_source = clip_face_box(f_on, self.box, self.detect_face)
        if c.apex is not None:
            apex_num, source = c.apex, "sheet"
        elif item.id in self.apex_file:
            apex_num, source = int(self.apex_file[item.id]), "apex-file"
        else:
            from facecli.microexpr.spotting import spot_apex

            frames = read_clip_frames(clip)
            res = spot_apex(frames, onset=on, offset=off, box=face, source=str(item.path))
            apex_num, source = int(clip.numbers[res.apex_index]), "spotted"
        ap = clip.index_of(apex_num)
        if not on <= ap <= off:
            raise FormatError(f"{item.path}: apex frame {apex_num} lies outside onset {c.onset} .. offset {c.offset}")
        f_ap = read_clip_frames(clip, start=ap, stop=ap + 1)[0]
        if f_on.shape != f_ap.shape:
            raise FormatError(f"{item.path}: onset and apex frames differ in size ({f_on.shape} vs {f_ap.shape})")
        h, w = f_on.shape[:2]
        box = face.clip_to(w, h, source=str(item.path))
        flow, img = recognition_inputs(f_on, f_ap, box, self.size)
        return {
            "flow": flow,
            "apex_image": img,
            "onset": np.int64(c.onset),
            "apex": np.int64(apex_num),
            "offset": np.int64(c.offset),
            "apex_source": np.str_(source),
            "face_box": np.array([box.x, box.y, box.w, box.h], np.int64),
            "face_box_source": np.str_(box_source),
            "dataset": np.str_(c.dataset),
            "subject": np.str_(c.subject),
            "clip": np.str_(c.clip),
            "emotion": np.str_(c.emotion),
        }
