import io

import pytest

from facecli.errors import InputError
from facecli.io.inputs import parse_shard, resolve_inputs


@pytest.fixture
def tree(tmp_path):
    for rel in ["a/1.obj", "a/2.obj", "a/sub/3.obj", "a/notes.txt", "b/4.ply", "b/5.obj"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    return tmp_path


def test_directory_pattern_sorted_ids(tree):
    items = resolve_inputs([str(tree / "a")], pattern="*.obj")
    assert [i.id for i in items] == ["1.obj", "2.obj", "sub/3.obj"]


def test_glob_and_files_and_dedup(tree):
    items = resolve_inputs([str(tree / "b" / "*.ply"), str(tree / "b" / "4.ply")])
    assert len(items) == 1 and items[0].path.name == "4.ply"


def test_stdin(tree):
    stdin = io.StringIO(f"{tree / 'a' / '1.obj'}\n\n{tree / 'b'}\n")
    items = resolve_inputs(["-"], pattern="*.obj,*.ply", stdin=stdin)
    assert sorted(i.path.name for i in items) == ["1.obj", "4.ply", "5.obj"]


def test_shards_partition_exactly(tree):
    full = resolve_inputs([str(tree)], pattern="*.obj,*.ply")
    parts = [resolve_inputs([str(tree)], pattern="*.obj,*.ply", shard=f"{k}/3") for k in (1, 2, 3)]
    seen = [i for p in parts for i in p]
    assert sorted(seen) == full and len(seen) == len(set(seen))
    assert max(len(p) for p in parts) - min(len(p) for p in parts) <= 1


def test_errors(tree):
    with pytest.raises(InputError, match="no such file"):
        resolve_inputs([str(tree / "missing.obj")])
    with pytest.raises(InputError, match="matched no files"):
        resolve_inputs([str(tree / "*.xyz")])
    with pytest.raises(InputError, match="no files matching"):
        resolve_inputs([str(tree / "a")], pattern="*.stl")
    for bad in ("0/3", "4/3", "x/2", "3"):
        with pytest.raises(InputError):
            parse_shard(bad)
    with pytest.raises(InputError, match="no inputs"):
        resolve_inputs([])


def test_directory_patterns_ignore_case(tmp_path):
    from facecli.io.inputs import resolve_inputs

    for name in ("a.JPG", "b.jpg", "c.Png", "sub/d.JPEG", "e.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    got = [i.id for i in resolve_inputs([str(tmp_path)], pattern="*.jpg,*.jpeg,*.png")]
    assert got == ["a.JPG", "b.jpg", "c.Png", "sub/d.JPEG"]
    assert [i.id for i in resolve_inputs([str(tmp_path)], pattern="sub/*.jpeg")] == ["sub/d.JPEG"]
