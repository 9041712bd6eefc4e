import subprocess

import numpy as np
import pytest

from facecli.errors import InputError, SchemaError
from facecli.io.container import ContainerReader, ContainerWriter
from facecli.io.merge import merge_containers


def _shard(path, ids, *, kind="landmarks3d", params=None, fail=None, scales="64"):
    with ContainerWriter(
        path, kind, params=params or {"radius": 2.0, "shard": "x"}, ragged=["pts"], array_attrs={"lm": {"units": "mm"}}
    ) as w:
        w.set_root_attr("scales", scales)
        for k, sid in enumerate(ids):
            n = 2 + len(sid)
            w.write(
                sid,
                {
                    "lm": np.full((3, 3), k, np.float32),
                    "pts": np.arange(n * 3, dtype=np.float32).reshape(n, 3),
                    "name": np.asarray(f"file_{sid}"),
                },
            )
        if fail:
            w.add_failure(fail, "unreadable mesh")
    return path


def test_merge_keeps_every_sample_array_attribute_and_failure(tmp_path):
    a = _shard(tmp_path / "a.h5", ["s1", "s3"], params={"radius": 2.0, "shard": "1/2"})
    b = _shard(tmp_path / "b.h5", ["s2", "s40"], params={"radius": 2.0, "shard": "2/2"}, fail="s4")
    summ = merge_containers([a, b], tmp_path / "all.h5")
    assert summ.total == 4 and summ.failures == 1 and summ.kind == "landmarks3d"
    with ContainerReader(tmp_path / "all.h5", kind="landmarks3d") as m, ContainerReader(b) as rb:
        assert m.ids == ["s1", "s3", "s2", "s40"]
        assert m.array_info("lm")["units"] == "mm" and m.array_info("pts")["ragged"]
        assert m.attrs["scales"] == "64" and "shard" not in m.params and m.params["radius"] == 2.0
        got, want = m.sample(3), rb.sample(1)
        assert set(got) == set(want)
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])
        assert [f["id"] for f in m.failures()] == ["s4"]


def test_merge_refuses_parts_of_different_runs(tmp_path):
    a = _shard(tmp_path / "a.h5", ["s1"])
    with pytest.raises(InputError, match="s1.*both"):
        merge_containers([a, _shard(tmp_path / "b.h5", ["s1"])], tmp_path / "m.h5")
    with pytest.raises(SchemaError, match="c.h5.*parameters differ"):
        merge_containers([a, _shard(tmp_path / "c.h5", ["s2"], params={"radius": 3.0})], tmp_path / "m.h5")
    with pytest.raises(SchemaError, match="d.h5.*kind"):
        merge_containers([a, _shard(tmp_path / "d.h5", ["s2"], kind="normals")], tmp_path / "m.h5")
    with pytest.raises(SchemaError, match="e.h5.*attributes"):
        merge_containers([a, _shard(tmp_path / "e.h5", ["s2"], scales="128")], tmp_path / "m.h5")
    with pytest.raises(InputError, match="also one of the inputs"):
        merge_containers([a], a)
    with pytest.raises(InputError, match="nothing to merge"):
        merge_containers([], tmp_path / "m.h5")


def test_sharded_normals_merged_in_a_shell_pipe_equal_one_run(tmp_path, faces3d_dir, facecli_bin):
    """Two --shard halves of a batch, joined with info --merge, hold what one run writes."""
    base = [facecli_bin, "--seed", "0", "normals", str(faces3d_dir), "--scales", "32"]
    subprocess.run([*base, "-o", str(tmp_path / "one.h5")], check=True, capture_output=True)
    script = (
        f"for k in 1 2; do {' '.join(base)} -o {tmp_path}/part_$k.h5 --shard $k/2; done"
        f" | xargs {facecli_bin} info --merge {tmp_path}/merged.h5"
    )
    r = subprocess.run(["bash", "-o", "pipefail", "-c", script], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{tmp_path}/merged.h5"
    with ContainerReader(tmp_path / "one.h5") as one, ContainerReader(tmp_path / "merged.h5") as m:
        assert sorted(m.ids) == sorted(one.ids) and len(m) == 4
        order = {sid: i for i, sid in enumerate(m.ids)}
        for i, sid in enumerate(one.ids):
            a, b = one.sample(i, ["normals_32"]), m.sample(order[sid], ["normals_32"])
            np.testing.assert_array_equal(a["normals_32"], b["normals_32"])
        assert m.attrs["scales"] == one.attrs["scales"]
