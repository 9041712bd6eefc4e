"""Clip folders and videos."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import FormatError, InputError
from facecli.io.clips import find_clip_dir, list_frames, open_clip, read_clip_frames, resolve_clips
from facecli.io.image import write_image


def _frames(d, numbers, size=(20, 24), name="img{}.jpg"):
    d.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        write_image(d / name.format(n), np.full((*size, 3), n % 255, np.uint8))
    return d


def test_frames_ordered_by_number_not_name(tmp_path):
    clip = list_frames(_frames(tmp_path / "EP01", range(8, 12)))
    assert clip.numbers.tolist() == [8, 9, 10, 11] and clip.paths[0].name == "img8.jpg"
    assert clip.index_of(10) == 2
    assert read_clip_frames(clip).shape == (4, 20, 24)
    samm = list_frames(_frames(tmp_path / "006_1_2", [5588, 5589], name="006_{:05d}.jpg"))
    assert samm.numbers.tolist() == [5588, 5589]


def test_missing_or_bad_frames_are_clear_errors(tmp_path):
    d = _frames(tmp_path / "gap", [1, 2, 4])
    with pytest.raises(FormatError, match="missing between 2 and 4"):
        list_frames(d)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="no numbered frames"):
        list_frames(tmp_path / "empty")
    d = _frames(tmp_path / "broken", [1, 2, 3])
    (d / "img2.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(FormatError, match="img2.jpg"):
        read_clip_frames(list_frames(d))
    with pytest.raises(FormatError, match="no frame number 9"):
        list_frames(_frames(tmp_path / "ok", [1, 2])).index_of(9)


def test_video_clip(tmp_path):
    import cv2

    p = tmp_path / "clip.avi"
    w = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), 25, (32, 24))
    for i in range(6):
        w.write(np.full((24, 32, 3), 40 * i, np.uint8))
    w.release()
    clip = open_clip(p)
    frames = read_clip_frames(clip)
    assert len(clip) == 6 and frames.shape == (6, 24, 32)
    assert frames[:, 12, 16].tolist() == sorted(frames[:, 12, 16].tolist())


def test_find_clip_dir_and_resolve(tmp_path):
    _frames(tmp_path / "s1" / "s1_po_01", [1, 2, 3], name="image{:06d}.jpg")
    _frames(tmp_path / "sub02" / "EP01_01", [1, 2, 3])
    assert find_clip_dir(tmp_path, "s01", "s1_po_01") == tmp_path / "s1" / "s1_po_01"
    with pytest.raises(InputError, match="s03/x"):
        find_clip_dir(tmp_path, "s03", "x")
    items = resolve_clips([str(tmp_path)])
    assert [i.id for i in items] == ["s1/s1_po_01", "sub02/EP01_01"]
    assert [i.id for i in resolve_clips([str(tmp_path / "sub02" / "EP01_01")])] == ["sub02/EP01_01"]
    with pytest.raises(InputError, match="no such clip"):
        resolve_clips([str(tmp_path / "nope")])
