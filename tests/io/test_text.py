import pytest

from facecli.errors import FormatError, InputError
from facecli.io.text import read_json, read_text


def test_read_text_errors_name_the_file_and_what_was_expected(tmp_path):
    (tmp_path / "ok.csv").write_text("a,b\n")
    assert read_text(tmp_path / "ok.csv") == "a,b\n"
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfa,b\n")
    assert read_text(tmp_path / "bom.csv") == "a,b\n"  # Excel's byte-order mark is dropped
    (tmp_path / "bin.csv").write_bytes(b"a\x00b")
    with pytest.raises(FormatError, match=r"bin.csv: expected a box list, got a binary file"):
        read_text(tmp_path / "bin.csv", "a box list")
    (tmp_path / "latin.csv").write_bytes("café".encode("latin-1"))
    with pytest.raises(FormatError, match=r"latin.csv.*undecodable bytes at offset 3"):
        read_text(tmp_path / "latin.csv")
    (tmp_path / "empty.csv").write_text("  \n")
    with pytest.raises(FormatError, match="empty file"):
        read_text(tmp_path / "empty.csv", allow_empty=False)
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_text(tmp_path)


def test_read_json_reports_where_it_breaks(tmp_path):
    (tmp_path / "a.json").write_text('{"a": [1, 2]}')
    assert read_json(tmp_path / "a.json") == {"a": [1, 2]}
    (tmp_path / "cut.json").write_text('{"a": [1,\n 2')
    with pytest.raises(FormatError, match=r"cut.json: expected a fold record, got invalid JSON at line 2"):
        read_json(tmp_path / "cut.json", "a fold record")
