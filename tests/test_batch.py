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
    with ContainerWriter(p, "features") as w:
        with pytest.raises(FaceCLIError, match="broken"):
            run_batch(_items(5), functools.partial(_work, fail="s3"), w)
    with ContainerWriter(p, "features", resume=True) as w:
        s = run_batch(_items(5), _work, w)
    assert s.skipped_existing == 3 and s.processed == 2
    assert ContainerReader(p).ids == [f"s{i}" for i in range(5)]
