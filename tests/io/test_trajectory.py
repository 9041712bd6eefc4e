"""The .log trajectory format: round trip, fragment numbers, broken files."""

from __future__ import annotations

import numpy as np
import pytest

from facecli.errors import FormatError
from facecli.io.trajectory import LogEntry, fragment_number, read_log, write_log


def test_round_trip_keeps_numbers_and_matrices(tmp_path):
    rng = np.random.default_rng(0)
    mats = [np.eye(4), np.eye(4)]
    mats[1][:3, :3] = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    mats[1][:3, 3] = [0.123456789012, -5.5, 1e-9]
    p = write_log(tmp_path / "a.log", [LogEntry(0, 1, 3, mats[0]), LogEntry(2, 5, 6, mats[1])])
    back = read_log(p)
    assert [(e.target, e.source, e.count, e.key) for e in back] == [(0, 1, 3, "0-1"), (2, 5, 6, "2-5")]
    np.testing.assert_allclose(back[1].transform, mats[1], rtol=1e-11, atol=1e-15)


def test_reads_the_tab_separated_layout_of_the_benchmarks(tmp_path):
    text = "0\t1\t2\n" + "\n".join("\t".join(f"{v:.8E}" for v in row) for row in np.eye(4)) + "\n\n"
    (tmp_path / "gt.log").write_text(text)
    (e,) = read_log(tmp_path / "gt.log")
    assert (e.target, e.source, e.count) == (0, 1, 2)
    np.testing.assert_array_equal(e.transform, np.eye(4))


@pytest.mark.parametrize(
    "text,what",
    [
        ("", "empty"),
        ("0 1 2\n1 0 0 0\n0 1 0 0\n0 0 1 0\n", "entries of 5 lines"),
        ("a b c\n1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", "metadata line"),
        ("0 1 2\n1 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", "row of 4 numbers"),
        ("0 1 2\n1 0 0 nan\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", "finite"),
    ],
)
def test_broken_files_name_the_file(tmp_path, text, what):
    p = tmp_path / "bad.log"
    p.write_text(text)
    with pytest.raises(FormatError, match=what) as err:
        read_log(p)
    assert "bad.log" in str(err.value)


def test_fragment_numbers_from_file_names():
    assert fragment_number("scene/cloud_bin_12.ply") == 12
    assert fragment_number("features_0001.bin") == 1
    assert fragment_number("face.ply") is None
