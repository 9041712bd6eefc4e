import hashlib
import json

import numpy as np
import pytest

from facecli.errors import InputError
from facecli.io.container import ContainerReader
from facecli.io.facescape import read_facescape, read_landmark_indices
from facecli.io.lfw import read_pairs
from facecli.io.mesh import read_mesh, read_points
from facecli.io.microexpr import read_coding_sheet
from facecli.io.pts import read_300w, read_pts
from facecli.io.wflw import read_wflw_list
from facecli.synth.template import get_template


def _digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix not in (".h5", ".xlsx") and p.name != "synth_faces3d.json":
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_faces3d_layout_parses_and_is_deterministic(faces3d_dir, tmp_path):
    from facecli.synth.faces3d import write_faces3d

    scans = read_facescape(faces3d_dir)
    assert [(s.subject, s.index, s.expression) for s in scans] == [
        ("1", 1, "neutral"),
        ("1", 2, "smile"),
        ("2", 1, "neutral"),
        ("2", 2, "smile"),
    ]
    idx = read_landmark_indices(faces3d_dir / "landmark_indices.npz")
    np.testing.assert_array_equal(idx, get_template().ibug68)
    m = read_mesh(scans[0].path)
    assert m.vertices.shape == (get_template().n_vertices, 3)
    write_faces3d(tmp_path, subjects=2, expressions=2, seed=0)
    assert _digest(tmp_path) == _digest(faces3d_dir)
    other = tmp_path / "other"
    write_faces3d(other, subjects=2, expressions=2, seed=1)
    assert _digest(other) != _digest(faces3d_dir)


def test_faces3d_shape_spread_is_recorded_and_changes_the_people(faces3d_dir, tmp_path):
    import json

    from facecli.synth.faces3d import write_faces3d

    write_faces3d(tmp_path, subjects=2, expressions=2, seed=0, shape_spread=1.5)
    meta = json.loads((tmp_path / "synth_faces3d.json").read_text())
    base = json.loads((faces3d_dir / "synth_faces3d.json").read_text())
    assert meta["shape_spread"] == 1.5 and base["shape_spread"] == 1.0
    for sid in ("1", "2"):
        for k, v in base["identities"][sid]["shape"].items():
            assert np.isclose(meta["identities"][sid]["shape"][k], 1.5 * v)
    assert _digest(tmp_path) != _digest(faces3d_dir)


def test_images_300w_and_wflw_layouts(tmp_path):
    from facecli.synth.images import write_images

    write_images(tmp_path / "300w", scheme="ibug68", count=10, seed=0, size=96)
    samples = read_300w(tmp_path / "300w")
    assert len(samples) == 10 and {s.subset for s in samples} == {"train", "common", "challenging"}
    gt = ContainerReader(tmp_path / "300w" / "synth_gt.h5", kind="normals")
    pts = read_pts(samples[0].pts)
    row = gt.ids.index(samples[0].id)
    np.testing.assert_allclose(pts, gt.read("landmarks")[row], atol=1e-3)
    write_images(tmp_path / "wflw", scheme="wflw98", count=4, seed=0, size=96)
    recs = read_wflw_list(
        tmp_path / "wflw" / "WFLW_annotations/list_98pt_rect_attr_train_test/list_98pt_rect_attr_train.txt"
    )
    assert len(recs) == 3 and recs[0].landmarks.shape == (98, 2)
    assert (tmp_path / "wflw" / "WFLW_images" / recs[0].image).exists()
    write_images(tmp_path / "wflw2", scheme="wflw98", count=4, seed=0, size=96)
    assert _digest(tmp_path / "wflw") == _digest(tmp_path / "wflw2")


def test_identities_lfw_layout(tmp_path):
    from facecli.synth.identities import write_identities

    write_identities(tmp_path, identities=20, per_identity=2, seed=0, size=64, normal_size=32, pairs_per_fold=5)
    pairs = read_pairs(tmp_path / "pairs.txt")
    # 2 people per fold x 1 matched pair each = 2 matched (and 2 mismatched) per fold
    assert len(pairs) == 10 * 4 and sum(p.same for p in pairs) == 20
    for p in pairs:
        assert (tmp_path / p.a).exists() and (tmp_path / p.b).exists()
        assert (p.a.split("/")[0] == p.b.split("/")[0]) == p.same
    folds = {}
    for p in pairs:
        folds.setdefault(p.fold, set()).update({p.a.split("/")[0], p.b.split("/")[0]})
    assert all(folds[i].isdisjoint(folds[j]) for i in folds for j in folds if i < j)
    gt = ContainerReader(tmp_path / "normals_gt.h5")
    assert len(gt) == 40 and gt.read("normals_32").shape == (40, 32, 32, 3)
    rows = (tmp_path / "poses.csv").read_text().split()
    assert rows[0] == "id,yaw,pitch,roll" and len(rows) == 41
    assert {r.split(",")[0] for r in rows[1:]} == set(gt.ids)


def test_identities_start_gives_other_people_and_yaw_spread(tmp_path):
    from facecli.synth.identities import write_identities

    write_identities(
        tmp_path / "a",
        identities=20,
        per_identity=2,
        seed=0,
        size=48,
        normal_size=32,
        pairs_per_fold=1,
        yaw_sd=40,
        max_yaw=70,
    )
    write_identities(
        tmp_path / "b", identities=20, per_identity=2, seed=0, size=48, normal_size=32, pairs_per_fold=1, start=20
    )
    names_a = {p.name for p in (tmp_path / "a").iterdir() if p.is_dir()}
    names_b = {p.name for p in (tmp_path / "b").iterdir() if p.is_dir()}
    assert names_a.isdisjoint(names_b)
    yaws = [float(r.split(",")[1]) for r in (tmp_path / "a" / "poses.csv").read_text().split()[1:]]
    assert max(abs(y) for y in yaws) <= 70 and sum(abs(y) > 45 for y in yaws) >= 4


@pytest.mark.parametrize("layout", ["casme2", "samm", "smic"])
def test_microexpr_layouts_and_true_apex(tmp_path, layout):
    from facecli.synth.microexpr import write_microexpr

    sheets = write_microexpr(tmp_path, subjects=2, clips=1, seed=0, layout=layout, size=48, frames=(14, 18))
    truth = json.loads((tmp_path / "synth_microexpr.json").read_text())["clips"]
    for sheet in sheets[:2]:
        clips = read_coding_sheet(sheet, layout)
        assert len(clips) == 2
        for c in clips:
            key = next(k for k in truth if k.endswith("/" + c.clip))
            t = truth[key]
            assert c.onset == t["onset"] and c.offset == t["offset"]
            assert c.apex == (None if layout == "smic" else t["apex"])
            assert c.onset < t["apex"] < c.offset
            disp = np.array(t["displacement_mm"])
            assert t["apex"] - t["first_frame"] == int(np.argmax(disp))
            assert 0.3 < disp.max() < 3.5  # micro amplitude, mm
            frames = sorted((tmp_path / key).iterdir())
            assert len(frames) == t["n_frames"]
    if layout == "samm":
        import openpyxl

        ws = openpyxl.load_workbook(sheets[0])["MICRO_ONLY"]
        assert ws.cell(row=14, column=1).value == "Subject"
    if layout == "smic":
        assert (tmp_path / "s1").is_dir() and read_coding_sheet(sheets[1], "smic")[0].subject == "s01"


def test_microexpr_head_jitter_and_noise_knobs(tmp_path):
    """--head-jitter 0 --noise 0: the same clips (timings, expressions) with a still head and
    no pixel noise, so neutral frames before the onset are identical; the default differs."""
    from facecli.io.image import read_image
    from facecli.synth.microexpr import write_microexpr

    kw = dict(subjects=1, clips=1, seed=0, layout="casme2", size=48, frames=(14, 18))
    write_microexpr(tmp_path / "still", head_jitter=0.0, noise=0.0, **kw)
    write_microexpr(tmp_path / "default", **kw)
    meta = [json.loads((tmp_path / d / "synth_microexpr.json").read_text()) for d in ("still", "default")]
    (key, still), (_, default) = next(iter(meta[0]["clips"].items())), next(iter(meta[1]["clips"].items()))
    assert meta[0]["head_jitter"] == 0.0 and meta[1]["noise"] == 2.0
    assert {k: still[k] for k in ("onset", "apex", "offset", "emotion")} == {
        k: default[k] for k in ("onset", "apex", "offset", "emotion")
    }
    frames = {d: sorted((tmp_path / d / key).iterdir(), key=lambda p: int(p.stem[3:])) for d in ("still", "default")}
    first = {d: [read_image(f, grey=True).astype(int) for f in frames[d][:2]] for d in frames}
    assert still["onset"] - still["first_frame"] >= 2  # frames 0 and 1 are neutral
    assert np.array_equal(*first["still"])
    assert not np.array_equal(*first["default"])
    with pytest.raises(InputError, match="--head-jitter"):
        write_microexpr(tmp_path / "bad", head_jitter=-1.0, **kw)


def test_registration_pairs(tmp_path):
    from facecli.synth.pairs import write_pairs_dataset

    write_pairs_dataset(tmp_path, count=2, seed=0)
    gt = ContainerReader(tmp_path / "gt.h5", kind="registration")
    assert gt.ids == ["pair_0000", "pair_0001"]
    for i, pid in enumerate(gt.ids):
        s = gt.sample(i)
        src = read_points(tmp_path / pid / "source.ply").vertices
        true = s["source_true"]
        assert len(src) == len(true) and 0.4 <= float(s["overlap"]) <= 0.95
        ok = np.isfinite(true[:, 0])
        moved = src[ok] @ s["transform"][:3, :3].T + s["transform"][:3, 3]
        err = np.linalg.norm(moved - true[ok], axis=1)
        assert np.sqrt(np.mean(err**2)) < 3 * float(s["noise_mm"]) + 1e-3
        r = s["transform"][:3, :3]
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
