import numpy as np
import pytest

from facecli.errors import FormatError
from facecli.io.describe import describe_file
from facecli.io.npz import load_sample_npz, save_sample_npz


def test_npz_round_trip_and_describe(tmp_path):
    p = save_sample_npz(
        tmp_path / "one.npz",
        "landmarks3d",
        "scan_1",
        {"landmarks": np.ones((68, 3))},
        array_attrs={"landmarks": {"units": "mm"}},
        params={"a": 1},
    )
    s = load_sample_npz(p, kind="landmarks3d")
    assert s.id == "scan_1" and s.arrays["landmarks"].shape == (68, 3)
    d = describe_file(p)
    assert d["format"] == "npz" and d["kind"] == "landmarks3d" and d["arrays"]["landmarks"]["units"] == "mm"


def test_plain_npz_is_not_facecli(tmp_path):
    p = tmp_path / "plain.npz"
    np.savez(p, x=np.zeros(2))
    with pytest.raises(FormatError, match="not a facecli file"):
        load_sample_npz(p)
    q = tmp_path / "notes.txt"
    q.write_text("hi")
    with pytest.raises(FormatError, match="neither HDF5 nor NPZ"):
        describe_file(q)
