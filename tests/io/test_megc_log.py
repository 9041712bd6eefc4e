"""MEGC result_log.csv: round trip and clear errors."""

from __future__ import annotations

import pytest

from facecli.errors import FormatError
from facecli.io.megc import LogRow, read_result_log, rows_by_fold, write_result_log


def test_round_trip_and_fold_headers(tmp_path):
    rows = [
        LogRow("casme2", "sub01", "EP02_01f", 1, 1),
        LogRow("casme2", "sub01", "EP03_02", 0, 2),
        LogRow("smic", "s01", "s1_ne_01", 0, 0),
    ]
    p = write_result_log(tmp_path / "result_log.csv", rows)
    assert p.read_text().splitlines() == ["casme2 sub01", "EP02_01f 1 1", "EP03_02 0 2", "smic s01", "s1_ne_01 0 0"]
    assert read_result_log(p) == rows
    assert list(rows_by_fold(rows)) == ["casme2/sub01", "smic/s01"]


def test_commas_are_read_too(tmp_path):
    p = tmp_path / "log.csv"
    p.write_text("samm,006\n006_1_2,2,0\n")
    assert read_result_log(p) == [LogRow("samm", "006", "006_1_2", 2, 0)]


@pytest.mark.parametrize(
    "text, msg",
    [
        ("EP01 1 1\n", "header before the first clip"),
        ("casme2 sub01\nEP01 one 1\n", r"log.csv:2: expected integer classes"),
        ("casme2 sub01\nEP01 1 1 extra\n", r"log.csv:2: expected 'db subject' or 'clip gt pred'"),
    ],
)
def test_bad_logs_name_file_and_line(tmp_path, text, msg):
    p = tmp_path / "log.csv"
    p.write_text(text)
    with pytest.raises(FormatError, match=msg):
        read_result_log(p)


def test_names_with_spaces_are_refused(tmp_path):
    with pytest.raises(FormatError, match="without spaces"):
        write_result_log(tmp_path / "x.csv", [LogRow("casme2", "sub 01", "EP01", 0, 0)])
