"""Face crops, the mirror maps, and the WFLW/300W readers on real-format lines."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import FormatError, InputError
from facecli.landmarks2d.crop import crop_transform, from_normalised, invert_affine, to_normalised, transform_points
from facecli.landmarks2d.data import load_alignment_set
from facecli.landmarks2d.training import mirror_map


def test_crop_maps_box_centre_to_crop_centre_and_inverts():
    m = crop_transform(np.array([100.0, 50.0, 200.0, 170.0]), 142, 0.3)
    np.testing.assert_allclose(transform_points(m, [150.0, 110.0]), [70.5, 70.5])
    # the larger side (120 px) times 1.3 spans the crop
    assert np.linalg.norm(m[:, 0]) == pytest.approx(142 / 156)
    pts = np.random.default_rng(0).uniform(0, 300, (10, 2))
    np.testing.assert_allclose(transform_points(invert_affine(m), transform_points(m, pts)), pts, atol=1e-9)
    np.testing.assert_allclose(from_normalised(to_normalised(pts, 142), 142), pts, atol=1e-9)
    assert to_normalised(np.array([-0.5, 141.5]), 142).tolist() == [-1.0, 1.0]
    flipped = crop_transform(np.array([100.0, 50.0, 200.0, 170.0]), 142, 0.3, flip=True)
    a, b = transform_points(m, [120.0, 80.0]), transform_points(flipped, [120.0, 80.0])
    assert b[0] == pytest.approx(141 - a[0]) and b[1] == pytest.approx(a[1])
    with pytest.raises(InputError, match="positive size"):
        crop_transform(np.array([5.0, 5.0, 5.0, 5.0]), 142, 0.3, source="x.jpg")


@pytest.mark.parametrize("n", [98, 68])
def test_mirror_map_is_an_involution_pairing_left_and_right(n):
    mm = mirror_map(n)
    np.testing.assert_array_equal(mm[mm], np.arange(n))
    if n == 68:
        assert mm[36] == 45 and mm[0] == 16 and mm[30] == 30 and mm[48] == 54
    else:
        assert mm[60] == 72 and mm[0] == 32 and mm[96] == 97 and mm[54] == 54


def _wflw_line(seed=0, name="0--Parade/0_Parade_marchingband_1_116.jpg", flags=(1, 0, 0, 0, 1, 0)):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(10, 90, (98, 2))
    return " ".join([f"{v:.6f}" for v in pts.ravel()] + ["5", "6", "95", "96"] + [str(f) for f in flags] + [name]), pts


def test_wflw_reader_on_real_format_lines(tmp_path):
    from facecli.io.wflw import WFLW_LIST_DIR

    d = tmp_path / WFLW_LIST_DIR
    d.mkdir(parents=True)
    l1, p1 = _wflw_line(0)
    l2, _ = _wflw_line(1)  # a second face in the same image
    (d / "list_98pt_rect_attr_test.txt").write_text(l1 + "\n" + l2 + "\n")
    (d / "list_98pt_rect_attr_train.txt").write_text("")
    faces = load_alignment_set(tmp_path, split="test")
    assert [f.id for f in faces] == [
        "0--Parade/0_Parade_marchingband_1_116.jpg",
        "0--Parade/0_Parade_marchingband_1_116.jpg#1",
    ]
    np.testing.assert_allclose(faces[0].landmarks, p1, atol=1e-5)
    assert faces[0].box.tolist() == [5, 6, 95, 96] and faces[0].subsets == ("test", "pose", "occlusion")
    (d / "list_98pt_rect_attr_test.txt").write_text(l1.rsplit(" ", 2)[0] + "\n")
    with pytest.raises(FormatError, match=":1: expected 207 fields"):
        load_alignment_set(tmp_path, split="test")


def test_300w_reader_is_one_based(tmp_path):
    from facecli.io.pts import write_pts

    d = tmp_path / "ibug"
    d.mkdir()
    pts = np.random.default_rng(2).uniform(5, 60, (68, 2))
    write_pts(d / "image_003.pts", pts)
    (d / "image_003.jpg").write_bytes(b"not read here")
    assert "1-based" not in (d / "image_003.pts").read_text() and float(
        (d / "image_003.pts").read_text().split()[5]
    ) == pytest.approx(pts[0, 0] + 1, abs=1e-3)
    faces = load_alignment_set(tmp_path, fmt="300w", split="challenging")
    assert faces[0].id == "ibug/image_003.jpg" and faces[0].subsets == ("challenging", "full")
    np.testing.assert_allclose(faces[0].landmarks, pts, atol=1e-3)
    with pytest.raises(InputError, match="no annotated faces"):
        load_alignment_set(tmp_path, fmt="300w", split="common")
