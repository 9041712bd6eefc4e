"""The face box of a clip: given, detected on the onset frame, or the whole frame."""

from __future__ import annotations

import numpy as np
from skimage import data

from facecli.microexpr.rois import FaceBox, clip_face_box, parse_face_box


def test_clip_face_box_sources():
    photo = data.astronaut()
    box, source = clip_face_box(photo, None, True)
    assert source == "detector" and 150 < box.x < 200 and 30 < box.y < 90 and 60 < box.w < 130
    grey = (photo @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    assert clip_face_box(grey, None, True)[1] == "detector"  # frames are often grey
    assert clip_face_box(np.full((90, 120), 80, np.uint8), None, True) == (FaceBox(0, 0, 120, 90), "frame")
    assert clip_face_box(photo, None, False) == (FaceBox(0, 0, 512, 512), "frame")
    assert clip_face_box(photo, FaceBox(1, 2, 30, 40), True) == (FaceBox(1, 2, 30, 40), "given")
    assert parse_face_box("auto") is None and parse_face_box("frame") is None
    assert parse_face_box("1,2,30,40") == FaceBox(1, 2, 30, 40)
