import os
import subprocess
import sys

import pytest

from facecli.errors import InputError, OutputError
from facecli.io.atomic import OutputLock, atomic_write, check_distinct, describe_os_error, resolve_output


def test_atomic_write_replaces_only_on_success(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(p) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert p.read_text() == "old\n"
    assert sorted(os.listdir(tmp_path)) == ["t.csv"]  # no temporary or lock file left
    with atomic_write(p) as fh:
        fh.write("new\n")
    assert p.read_text() == "new\n"
    assert sorted(os.listdir(tmp_path)) == ["t.csv"]


def test_lock_refuses_a_second_holder_until_released(tmp_path):
    target = tmp_path / "out.h5"
    first = OutputLock(target)
    with pytest.raises(OutputError, match=r"being written by another facecli run \(process \d+\)"):
        OutputLock(target)
    first.release()
    second = OutputLock(target)  # free again
    second.release()
    assert not (tmp_path / ".out.h5.lock").exists()


_HOLD = """
import sys, time
from facecli.io.atomic import OutputLock
lock = OutputLock(sys.argv[1])
print("locked", flush=True)
time.sleep(30)
"""


def test_lock_is_held_across_processes_and_freed_by_death(tmp_path):
    target = tmp_path / "x.h5"
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError, match=str(proc.pid)):
            OutputLock(target)
    finally:
        proc.kill()
        proc.wait()
    OutputLock(target).release()  # a dead holder's lock is gone (the stale file is reused)


def test_check_distinct_and_resolve_output(tmp_path):
    a = tmp_path / "a.h5"
    a.write_text("x")
    with pytest.raises(InputError, match="also an input"):
        check_distinct([a], [tmp_path / "b.obj", a])
    with pytest.raises(InputError, match="also an input"):
        check_distinct([tmp_path / "." / "a.h5"], [a])  # the same file by another spelling
    link = tmp_path / "link.h5"
    link.symlink_to(a)
    with pytest.raises(InputError):
        check_distinct([link], [a])
    check_distinct([tmp_path / "c.h5", None], [a, None, tmp_path])  # directories are not files
    assert resolve_output(tmp_path, "normals.h5") == tmp_path / "normals.h5"
    assert resolve_output(tmp_path / "n.h5", "normals.h5") == tmp_path / "n.h5"


def test_describe_os_error():
    import errno

    assert describe_os_error(OSError(errno.ENOSPC, "No space left on device")).startswith("disk full")
    assert describe_os_error(
        RuntimeError("file write failed: errno = 27, error message = 'File too large'")
    ).startswith("file too large")
