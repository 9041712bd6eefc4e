import functools

import numpy as np
import pytest

from facecli.batch import run_batch
from facecli.errors import FaceCLIError, InputError
from facecli.io.container import ContainerReader, ContainerWriter
from facecli.io.inputs import InputItem


def _work(item: InputItem, fail: str = "") -> dict:
    if item.id == fail:
        raise InputError(f"{item.path}: broken")
    return {"v": np.full(3, float(item.id[1:]))}


@pytest.fixture(autouse=True)
def _fresh_kill_record(monkeypatch):
    """Batches stopped here record a killed pool; keep that record to each test."""
    from facecli import batch

    monkeypatch.setattr(batch, "_KILLED", [])


def _items(n):
    from pathlib import Path

    return [InputItem(f"s{i}", Path(f"/x/s{i}")) for i in range(n)]


@pytest.mark.parametrize("workers", [1, 2])
def test_skip_records_failures_and_order_is_stable(tmp_path, workers):
    p = tmp_path / f"o{workers}.h5"
    with ContainerWriter(p, "features") as w:
        s = run_batch(_items(5), functools.partial(_work, fail="s2"), w, on_error="skip", workers=workers)
    assert s.processed == 4 and list(s.failures) == ["s2"]
    r = ContainerReader(p)
    assert r.ids == ["s0", "s1", "s3", "s4"]
    assert r.failures()[0]["id"] == "s2" and "broken" in r.failures()[0]["error"]


def test_stop_raises_and_resume_skips_done(tmp_path):
    p = tmp_path / "o.h5"
    with ContainerWriter(p, "features") as w, pytest.raises(FaceCLIError, match="broken"):
        run_batch(_items(5), functools.partial(_work, fail="s3"), w)
    with ContainerWriter(p, "features", resume=True) as w:
        s = run_batch(_items(5), _work, w)
    assert s.skipped_existing == 3 and s.processed == 2
    assert ContainerReader(p).ids == [f"s{i}" for i in range(5)]


def _buggy(item: InputItem) -> dict:
    if item.id == "s1":
        raise KeyError("a bug met on one input")
    return {"v": np.full(3, float(item.id[1:]))}


@pytest.mark.parametrize("workers", [1, 2])
def test_unexpected_errors_are_skipped_with_skip_and_raised_with_stop(tmp_path, workers):
    with ContainerWriter(tmp_path / f"s{workers}.h5", "features") as w:
        s = run_batch(_items(3), _buggy, w, on_error="skip", workers=workers)
    assert s.processed == 2 and "internal error: KeyError" in s.failures["s1"]
    with pytest.raises(KeyError), ContainerWriter(tmp_path / f"t{workers}.h5", "features") as w:
        run_batch(_items(3), _buggy, w, on_error="stop", workers=workers)


def test_missing_items_are_failures_with_skip(tmp_path):
    from pathlib import Path

    items = [*_items(2), InputItem("gone", Path("/nowhere/gone"), error="no such file or directory: /nowhere/gone")]
    with ContainerWriter(tmp_path / "m.h5", "features") as w:
        s = run_batch(items, _work, w, on_error="skip")
    assert s.processed == 2 and list(s.failures) == ["gone"]
    with pytest.raises(FaceCLIError, match="no such file"), ContainerWriter(tmp_path / "n.h5", "features") as w:
        run_batch(items, _work, w, on_error="stop")


def test_a_stop_request_ends_the_batch_after_the_sample_in_hand(tmp_path):
    from facecli.batch import clear_stop, request_stop
    from facecli.errors import Interrupted

    calls = []

    def work(item: InputItem) -> dict:
        calls.append(item.id)
        if item.id == "s1":
            request_stop(15)  # as the SIGTERM handler does, even if the exception itself were swallowed
        return {"v": np.zeros(1)}

    p = tmp_path / "i.h5"
    try:
        with pytest.raises(Interrupted) as info, ContainerWriter(p, "features") as w:
            run_batch(_items(4), work, w)
    finally:
        clear_stop()
    assert info.value.signum == 15 and calls == ["s0", "s1"]
    from facecli.io.atomic import partial_path

    assert ContainerReader(partial_path(p)).ids == ["s0", "s1"] and not p.exists()


def test_a_stop_while_the_pool_winds_down_still_ends_the_workers(tmp_path, monkeypatch):
    """A signal can land after the last sample, while the pool shuts down normally: the workers
    are then terminated as for any other stop, and the stop propagates."""
    from concurrent.futures import ProcessPoolExecutor

    from facecli.errors import Interrupted

    real = ProcessPoolExecutor.shutdown
    seen: dict = {}

    def shutdown(self, wait=True, *, cancel_futures=False):
        if wait and "procs" not in seen:
            seen["procs"] = list(self._processes.values())
            raise Interrupted(15)
        return real(self, wait=wait, cancel_futures=cancel_futures)

    monkeypatch.setattr(ProcessPoolExecutor, "shutdown", shutdown)
    with pytest.raises(Interrupted), ContainerWriter(tmp_path / "x.h5", "features") as w:
        run_batch(_items(4), _work, w, workers=2)
    assert len(seen["procs"]) == 2 and not any(p.is_alive() for p in seen["procs"])
    from facecli.batch import workers_killed

    assert workers_killed()  # the command line then leaves without waiting on the pool's threads


def _threads(item: InputItem) -> dict:
    import cv2
    import torch

    return {"v": np.array([torch.get_num_threads(), cv2.getNumThreads()], float)}


def test_workers_share_the_cores(tmp_path, monkeypatch):
    """Each of W workers gets cores // W math threads, not every core (W x cores threads fight)."""
    import os

    monkeypatch.setattr(os, "cpu_count", lambda: 4)  # the parent computes the share
    with ContainerWriter(tmp_path / "t.h5", "features") as w:
        run_batch(_items(4), _threads, w, workers=2)
    got = ContainerReader(tmp_path / "t.h5").read("v")
    assert (got == 2).all(), got


def test_threads_per_worker_can_be_set(tmp_path):
    with ContainerWriter(tmp_path / "t.h5", "features") as w:
        run_batch(_items(2), _threads, w, workers=2, threads=3)
    assert (ContainerReader(tmp_path / "t.h5").read("v") == 3).all()
