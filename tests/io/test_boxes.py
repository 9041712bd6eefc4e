"""Face boxes between commands: CSV, faces containers, one sample per face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facecli.errors import FormatError, InputError
from facecli.io.boxes import expand_faces, face_id, read_boxes, read_face_boxes
from facecli.io.container import ContainerWriter
from facecli.io.inputs import InputItem


def test_csv_with_score_column_and_errors(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("image,x0,y0,x1,y1,score\na.jpg,1,2,30,40,0.99\na.jpg,50,2,80,40,0.9\nb.jpg,0,0,5,5,0.8\n")
    got = read_boxes(p)
    assert [len(v) for v in got.values()] == [2, 1]
    np.testing.assert_allclose(got["a.jpg"][1], [50, 2, 80, 40])
    p.write_text("a.jpg,1,2,30\n")
    with pytest.raises(FormatError, match="b.csv:1: expected image,x0,y0,x1,y1"):
        read_boxes(p)
    p.write_text("")
    with pytest.raises(FormatError):
        read_boxes(p)
    with pytest.raises(InputError, match="no such face-box file"):
        read_face_boxes(tmp_path / "none.h5")


def test_faces_container(tmp_path):
    path = tmp_path / "faces.h5"
    with ContainerWriter(path, "faces", producer="test", ragged=("boxes",)) as w:
        w.write("a.jpg", {"boxes": np.array([[1, 2, 30, 40], [5, 6, 50, 60]], np.float32)})
        w.write("none.jpg", {"boxes": np.zeros((0, 4), np.float32)})
    got = read_face_boxes(path)
    assert list(got) == ["a.jpg", "none.jpg"] and len(got["a.jpg"]) == 2 and got["none.jpg"] == []
    items, box_of = expand_faces([InputItem("a.jpg", Path("a.jpg")), InputItem("c.jpg", Path("c.jpg"))], got)
    assert [i.id for i in items] == ["a.jpg", "a.jpg#1", "c.jpg"]
    assert set(box_of) == {"a.jpg", "a.jpg#1"} and face_id("x", 0) == "x"
