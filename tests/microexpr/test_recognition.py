"""LOSO recognition: a tiny run, no leakage of the test subject, resume, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facecli.microexpr.protocols import Fold, loso_folds
from facecli.microexpr.recognition import MERConfig, MERData, assemble_run, load_mer_data, run_loso, train_fold


@pytest.fixture(scope="module")
def flow_file(smic4_dir, tmp_path_factory):
    from facecli.batch import run_batch
    from facecli.commands.mer_train import _sheet_of
    from facecli.io.clips import find_clip_dir
    from facecli.io.container import ContainerWriter
    from facecli.io.inputs import InputItem
    from facecli.io.microexpr import read_coding_sheet
    from facecli.microexpr.inputs import FLOW_ATTRS, ClipCoding, FlowJob

    codes, items = {}, []
    for c in read_coding_sheet(_sheet_of(smic4_dir), "smic"):
        d = find_clip_dir(smic4_dir, c.subject, c.clip)
        cid = f"smic/{d.relative_to(smic4_dir).as_posix()}"
        codes[cid] = ClipCoding("smic", c.subject, c.clip, c.emotion, c.onset, c.offset, c.apex)
        items.append(InputItem(cid, d))
    out = tmp_path_factory.mktemp("flow") / "flow.h5"
    with ContainerWriter(out, "flow", array_attrs=FLOW_ATTRS) as w:
        run_batch(sorted(items), FlowJob(coding=codes, size=16), w)
    return out


CFG = dict(epochs=2, batch_size=4, width=4)


def test_tiny_run_writes_a_valid_result_log(flow_file, tmp_path):
    from facecli.io.megc import read_result_log
    from facecli.metrics.mer import uar, uf1

    data = load_mer_data(flow_file, "megc2019")
    assert len(data) == 4 and data.y.tolist() == [2, 1, 2, 0]  # surprise, positive, surprise, negative
    rep = run_loso(data, MERConfig(**CFG), tmp_path / "run", flow_path=flow_file)
    rows = read_result_log(tmp_path / "run" / "result_log.csv")
    assert [r.fold for r in rows] == ["smic/s01", "smic/s02", "smic/s03", "smic/s04"]
    assert [r.gt for r in rows] == [2, 1, 2, 0] and all(0 <= r.pred < 3 for r in rows)
    text = (tmp_path / "run" / "result_log.csv").read_text().splitlines()
    assert text[0] == "smic s01" and text[1].split()[0] == "s1_sur_01"
    yt, yp = np.array([r.gt for r in rows]), np.array([r.pred for r in rows])
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["uf1"] == pytest.approx(uf1(yt, yp, 3)) and m["uar"] == pytest.approx(uar(yt, yp, 3))
    assert m["complete"] and m["folds_finished"] == 4 and rep["ran"] == [1, 2, 3, 4]
    assert len(list((tmp_path / "run" / "models").glob("*.pt"))) == 4
    assert not list((tmp_path / "run" / "folds").glob("*.ckpt"))


def test_no_test_subject_data_reaches_training_or_selection(flow_file, monkeypatch):
    data = load_mer_data(flow_file, "megc2019")
    seen: list[np.ndarray] = []
    orig = MERData.streams

    def spy(self, idx, names):
        seen.append(np.asarray(idx).copy())
        return orig(self, idx, names)

    monkeypatch.setattr(MERData, "streams", spy)
    for fold in loso_folds(data.subject_keys):
        seen.clear()
        train_fold(data, fold, MERConfig(val_share=0.34, **CFG))
        test_calls = [s for s in seen if np.array_equal(s, fold.test)]
        assert len(test_calls) == 1  # predicted once, at the end
        for s in seen:
            if not np.array_equal(s, fold.test):
                assert not set(s.tolist()) & set(fold.test.tolist()), f"fold {fold.number}: test clip used in training"
                assert fold.subject not in set(data.subject_keys[s].tolist())


def test_a_leaking_fold_is_refused(flow_file):
    data = load_mer_data(flow_file, "megc2019")
    good = loso_folds(data.subject_keys)[0]
    bad = Fold(good.number, good.subject, np.concatenate([good.train, good.test]), good.test)
    with pytest.raises(AssertionError, match="test subject in training"):
        train_fold(data, bad, MERConfig(**CFG))


def test_resume_skips_finished_folds(flow_file, tmp_path, monkeypatch):
    from facecli.errors import InputError
    from facecli.microexpr import recognition

    data = load_mer_data(flow_file, "megc2019")
    run = tmp_path / "run"
    first = run_loso(data, MERConfig(**CFG), run, flow_path=flow_file, folds=[1, 2])
    assert first["ran"] == [1, 2] and not first["complete"] and first["folds_finished"] == 2
    before = {p.name: p.read_text() for p in (run / "folds").glob("*.json")}
    with pytest.raises(InputError, match="--resume"):
        run_loso(data, MERConfig(**CFG), run, flow_path=flow_file)
    with pytest.raises(InputError, match="other settings"):
        run_loso(data, MERConfig(**{**CFG, "epochs": 3}), run, flow_path=flow_file, resume=True)
    trained: list[int] = []
    orig = recognition.train_fold

    def counting(data, fold, cfg, **kw):
        trained.append(fold.number)
        return orig(data, fold, cfg, **kw)

    monkeypatch.setattr(recognition, "train_fold", counting)
    rep = run_loso(data, MERConfig(**CFG), run, flow_path=flow_file, resume=True)
    assert trained == [3, 4] and rep["complete"]
    assert {p.name: p.read_text() for p in (run / "folds").glob("*.json") if p.name in before} == before
    # assembling again from the fold files gives the same metrics
    assert assemble_run(run)["uf1"] == rep["uf1"]


def test_same_seed_same_predictions(flow_file, tmp_path):
    data = load_mer_data(flow_file, "megc2019")
    a = run_loso(data, MERConfig(seed=3, **CFG), tmp_path / "a", flow_path=flow_file, folds=[1, 4])
    b = run_loso(data, MERConfig(seed=3, **CFG), tmp_path / "b", flow_path=flow_file, folds=[1, 4])
    assert (tmp_path / "a" / "result_log.csv").read_text() == (tmp_path / "b" / "result_log.csv").read_text()
    fa = sorted((tmp_path / "a" / "folds").glob("*.json"))
    fb = sorted((tmp_path / "b" / "folds").glob("*.json"))
    assert [json.loads(p.read_text())["scores"] for p in fa] == [json.loads(p.read_text())["scores"] for p in fb]
    assert a["uf1"] == b["uf1"]


def test_protocol_without_its_datasets_is_a_clear_error(flow_file):
    from facecli.errors import InputError

    with pytest.raises(InputError, match="no clip of the casme2 protocol"):
        load_mer_data(flow_file, "casme2")


def test_training_batches_go_to_the_fold_device(flow_file, monkeypatch):
    """The training loop gets the fold's device (on a GPU the net is there, and so must the
    batches be); "cpu:0" stands in for "cuda" on machines without one."""
    import facecli.train.loop as loop

    data = load_mer_data(flow_file, "megc2019")
    seen: list[str] = []
    orig = loop._to
    monkeypatch.setattr(loop, "_to", lambda batch, device: seen.append(device) or orig(batch, device))
    fold = loso_folds(data.subject_keys)[0]
    train_fold(data, fold, MERConfig(**CFG), device="cpu:0")
    assert seen and set(seen) == {"cpu:0"}
