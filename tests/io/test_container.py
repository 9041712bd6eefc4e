import subprocess
import sys

import h5py
import numpy as np
import pytest

from facecli.errors import FormatError, OutputError, SchemaError, ValidationError
from facecli.io.atomic import partial_path
from facecli.io.container import ContainerReader, ContainerWriter


def test_round_trip_with_attrs_and_ragged(tmp_path):
    p = tmp_path / "a.h5"
    with ContainerWriter(
        p,
        "features",
        argv=["x", "y"],
        params={"k": 3},
        ragged=["curve"],
        array_attrs={"pts": {"units": "mm", "scheme": "ibug68"}},
    ) as w:
        for i in range(3):
            w.write(
                f"s{i}", {"pts": np.full((68, 3), i, np.float32), "curve": np.arange(i + 2.0), "name": np.str_(f"n{i}")}
            )
    r = ContainerReader(p, kind="features")
    assert r.ids == ["s0", "s1", "s2"]
    assert r.read("pts").shape == (3, 68, 3)
    assert r.read("pts")[2, 0, 0] == 2
    assert [c.tolist() for c in r.read("curve")] == [[0, 1], [0, 1, 2], [0, 1, 2, 3]]
    assert list(r.read("name")) == ["n0", "n1", "n2"]
    info = r.array_info("pts")
    assert info["units"] == "mm" and info["scheme"] == "ibug68" and info["sample_shape"] == [68, 3]
    assert r.attrs["argv"] == ["x", "y"] and r.params == {"k": 3}
    assert r.attrs["facecli_schema"] == "facecli/1"


def test_shape_change_and_reserved_names_rejected(tmp_path):
    with ContainerWriter(tmp_path / "b.h5", "features") as w:
        w.write("a", {"v": np.zeros(3)})
        with pytest.raises(ValidationError, match=r"expected v of shape \(3,\)"):
            w.write("b", {"v": np.zeros(4)})
        with pytest.raises(ValidationError, match="reserved"):
            w.write("c", {"ids": np.zeros(3)})
        with pytest.raises(ValidationError, match="has arrays"):
            w.write("d", {"v": np.zeros(3), "extra": np.zeros(1)})


_KILL = """
import os, sys, numpy as np
from facecli.io.container import ContainerWriter
w = ContainerWriter(sys.argv[1], "features")
for i in range(5):
    if i == 3:
        # write the arrays of sample 3 but die before its completion marker
        f = w._f
        n = f["ids"].shape[0]
        for k in ["ids", "complete", "v"]:
            f[k].resize(n + 1, axis=0)
        f["ids"][n] = "s3"; f["v"][n] = np.full(4, 3.0); f.flush()
        os._exit(9)
    w.write(f"s{i}", {"v": np.full(4, float(i))})
"""


def test_killed_run_leaves_only_complete_samples_and_resume_continues(tmp_path):
    p = tmp_path / "k.h5"
    proc = subprocess.run([sys.executable, "-c", _KILL, str(p)])
    assert proc.returncode == 9
    assert not p.exists()  # the target appears only when a run finishes
    r = ContainerReader(partial_path(p))
    assert r.ids == ["s0", "s1", "s2"] and r.n_incomplete == 1
    assert r.read("v").shape == (3, 4)
    r.close()
    with ContainerWriter(p, "features", resume=True) as w:
        assert w.completed_ids == {"s0", "s1", "s2"}
        for i in range(3, 5):
            w.write(f"s{i}", {"v": np.full(4, float(i))})
    r = ContainerReader(p)
    assert r.ids == [f"s{i}" for i in range(5)] and r.n_incomplete == 0
    np.testing.assert_array_equal(r.read("v")[:, 0], np.arange(5.0))


def test_unknown_schema_and_foreign_files_rejected(tmp_path):
    p = tmp_path / "new.h5"
    with ContainerWriter(p, "features") as w:
        w.write("a", {"v": np.zeros(2)})
    with h5py.File(p, "a") as f:
        f.attrs["facecli_schema"] = "facecli/99"
    with pytest.raises(SchemaError, match="facecli/99"):
        ContainerReader(p)
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(FormatError, match="not a facecli file"):
        ContainerReader(plain)
    txt = tmp_path / "t.h5"
    txt.write_text("hello")
    with pytest.raises(FormatError, match="not an HDF5 file"):
        ContainerReader(txt)


def test_resume_refuses_other_kind(tmp_path):
    p = tmp_path / "c.h5"
    with ContainerWriter(p, "features") as w:
        w.write("a", {"v": np.zeros(2)})
    with pytest.raises(SchemaError, match="kind"):
        ContainerWriter(p, "normals", resume=True)
    with pytest.raises(SchemaError, match="expected a 'normals' file"):
        ContainerReader(p, kind="normals")


def test_write_many_equals_per_sample_writes(tmp_path):
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(5, 4)).astype(np.float32)
    names = np.array(["a", "bb", "c", "d", "e"])
    ids = [f"s{i}" for i in range(5)]
    with ContainerWriter(tmp_path / "one.h5", "x") as w:
        for i in range(5):
            w.write(ids[i], {"e": emb[i], "name": names[i], "k": np.int32(i)})
    with ContainerWriter(tmp_path / "many.h5", "x") as w:
        w.write_many(ids[:2], {"e": emb[:2], "name": names[:2], "k": np.arange(2, dtype=np.int32)})
        w.write_many(ids[2:], {"e": emb[2:], "name": names[2:], "k": np.arange(2, 5, dtype=np.int32)})
        with pytest.raises(ValidationError, match="one per id"):
            w.write_many(["z"], {"e": emb[:2], "name": names[:1], "k": np.arange(1, dtype=np.int32)})
        with pytest.raises(ValidationError, match="expected"):
            w.write_many(["z"], {"e": emb[:1]})
    a, b = ContainerReader(tmp_path / "one.h5"), ContainerReader(tmp_path / "many.h5")
    assert a.ids == b.ids == ids
    for key in ("e", "k"):
        np.testing.assert_array_equal(a.read(key), b.read(key))
    assert [str(x) for x in b.read("name")] == list(names)


def test_output_appears_only_when_finished_and_abort_keeps_the_part(tmp_path):
    p = tmp_path / "o.h5"
    w = ContainerWriter(p, "features")
    w.write("a", {"v": np.zeros(2)})
    assert not p.exists() and partial_path(p).exists()
    with pytest.raises(OutputError, match="another facecli run"):
        ContainerWriter(p, "features")  # the lock is taken before anything is truncated
    w.abort()
    assert not p.exists() and ContainerReader(partial_path(p)).ids == ["a"]
    with ContainerWriter(p, "features") as w:  # a new run without --resume starts afresh
        w.write("b", {"v": np.ones(2)})
    assert ContainerReader(p).ids == ["b"] and not partial_path(p).exists()
    with pytest.raises(RuntimeError), ContainerWriter(p, "features") as w:
        w.write("c", {"v": np.ones(2)})
        raise RuntimeError("stopped")
    assert ContainerReader(p).ids == ["b"]  # the finished file is untouched by the failed run
    assert ContainerReader(partial_path(p)).ids == ["c"]


def test_resume_refuses_other_parameters_and_root_attrs(tmp_path):
    p = tmp_path / "r.h5"
    w = ContainerWriter(p, "normals", params={"scales": [64, 32], "texture": None}, root_attrs={"scales": "64,32"})
    w.write("a", {"v": np.zeros(2)})
    w.abort()
    with pytest.raises(SchemaError, match=r"scales=\[64, 32\], this run has scales=\[64\]"):
        ContainerWriter(p, "normals", params={"scales": [64], "texture": None}, resume=True)
    with pytest.raises(SchemaError, match="scales=64,32"):
        ContainerWriter(
            p, "normals", params={"scales": [64, 32], "texture": None}, root_attrs={"scales": "64"}, resume=True
        )
    assert ContainerReader(partial_path(p)).ids == ["a"]  # a refused resume touches nothing
    with ContainerWriter(
        p, "normals", params={"scales": [64, 32], "texture": None}, root_attrs={"scales": "64,32"}, resume=True
    ) as w:
        assert w.completed_ids == {"a"}
        w.write("b", {"v": np.ones(2)})
    r = ContainerReader(p)
    assert r.ids == ["a", "b"] and r.attrs["scales"] == "64,32"


def test_resume_retries_failures_instead_of_repeating_them(tmp_path):
    p = tmp_path / "f.h5"
    w = ContainerWriter(p, "features")
    w.write("a", {"v": np.zeros(2)})
    w.add_failure("b", "broken")
    w.add_failure("c", "broken")
    w.abort()
    with ContainerWriter(p, "features", resume=True) as w:
        w.write("b", {"v": np.ones(2)})
        w.add_failure("c", "still broken")
    r = ContainerReader(p)
    assert r.ids == ["a", "b"]
    assert r.failures() == [{"id": "c", "error": "still broken"}]


def test_resume_of_a_damaged_file_is_a_clear_error(tmp_path):
    p = tmp_path / "d.h5"
    partial_path(p).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(FormatError, match="damaged"):
        ContainerWriter(p, "features", resume=True)


def test_storage_errors_are_one_output_error_and_mark_nothing_complete(tmp_path):
    code = """
import resource, signal, sys, numpy as np
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000))
from facecli.errors import OutputError
from facecli.io.container import ContainerWriter
w = ContainerWriter(sys.argv[1], "features", compression=0)
n = 0
try:
    for i in range(100):
        w.write(f"s{i}", {"v": np.full(20_000, float(i + 1))})
        n += 1
except OutputError as e:
    print("ERR", n, e)
w.close()
"""
    p = tmp_path / "full.h5"
    proc = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ERR") and "file too large" in proc.stdout and str(p) in proc.stdout
    assert proc.stderr == ""  # no h5py noise
    n = int(proc.stdout.split()[1])
    assert n >= 1 and not p.exists()  # not renamed into place
    r = ContainerReader(partial_path(p))
    assert len(r) == n
    v = r.read("v")
    np.testing.assert_array_equal(v[:, 0], np.arange(1, n + 1))  # every sample marked complete holds its data


def test_a_truncated_file_is_called_damaged(tmp_path):
    p = tmp_path / "t.h5"
    with ContainerWriter(p, "features", compression=0) as w:
        for i in range(4):
            w.write(f"s{i}", {"v": np.full(5000, float(i))})
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="damaged: the HDF5 file is truncated"):
        ContainerReader(p)


@pytest.mark.parametrize(
    "compression,filters",
    [
        ("lzf", ("lzf", True)),
        ("gzip", ("gzip", False)),
        ("none", (None, False)),
        (0, (None, False)),
        (1, ("gzip", False)),
    ],
)
def test_compressions_store_the_same_values(tmp_path, compression, filters):
    p = tmp_path / "c.h5"
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(2, 16, 16, 3)).astype(np.float16)
    with ContainerWriter(p, "features", compression=compression) as w:
        for i in range(2):
            w.write(f"s{i}", {"maps": maps[i]})
    with h5py.File(p) as f:
        assert (f["maps"].compression, bool(f["maps"].shuffle)) == filters
    assert np.array_equal(ContainerReader(p, kind="features").read("maps"), maps)
    # resuming copies the samples with the same filters
    with ContainerWriter(p, "features", compression=compression, resume=True) as w:
        w.write("s2", {"maps": maps[0]})
    with h5py.File(p) as f:
        assert (f["maps"].compression, bool(f["maps"].shuffle)) == filters and f["maps"].shape[0] == 3


def test_unknown_compression_is_refused(tmp_path):
    from facecli.errors import InputError

    with pytest.raises(InputError, match="expected compression lzf|gzip|none"):
        ContainerWriter(tmp_path / "x.h5", "features", compression="zstd")
