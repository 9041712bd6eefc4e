import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerWriter

runner = CliRunner()


@pytest.fixture
def h5(tmp_path):
    p = tmp_path / "f.h5"
    with ContainerWriter(p, "landmarks3d", params={"k": 1}, array_attrs={"lm": {"units": "mm"}}) as w:
        w.write("a", {"lm": np.zeros((68, 3), np.float32)})
    return p


def test_version_and_help():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.startswith("facecli ")
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    for name in [
        "normals",
        "grid-attn",
        "register",
        "landmarks3d",
        "align",
        "apex-detect",
        "mer-train",
        "evaluate",
        "synth",
        "info",
    ]:
        assert name in r.stdout


def test_info_text_and_json(h5):
    r = runner.invoke(app, ["info", str(h5)])
    assert r.exit_code == 0 and "landmarks3d" in r.stdout and "units=mm" in r.stdout
    r = runner.invoke(app, ["info", "--json", str(h5)])
    obj = json.loads(r.stdout)
    assert obj["files"][0]["samples"] == 1 and obj["files"][0]["arrays"]["lm"]["sample_shape"] == [68, 3]
    assert r.stderr == ""


def test_runtime_error_is_one_line_exit_1(tmp_path):
    bad = tmp_path / "x.h5"
    bad.write_text("not hdf5")
    r = runner.invoke(app, ["info", str(bad)])
    assert r.exit_code == 1 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("facecli info: error:") and "x.h5" in lines[0]
    r = runner.invoke(app, ["-v", "info", str(bad)])
    assert r.exit_code == 1 and "Traceback" in r.stderr


def test_usage_error_exit_2():
    r = runner.invoke(app, ["synth", "faces3d", "--subjects", "0", "-o", "x"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["--device", "tpu", "info", "x"])
    assert r.exit_code == 2


def test_synth_faces3d_shape_spread_option(tmp_path):
    import json

    r = runner.invoke(
        app,
        ["synth", "faces3d", "-o", str(tmp_path / "w"), "--subjects", "1", "--expressions", "1", "--shape-spread", "2"],
    )
    assert r.exit_code == 0, r.stderr
    assert json.loads((tmp_path / "w" / "synth_faces3d.json").read_text())["shape_spread"] == 2.0
    r = runner.invoke(app, ["synth", "faces3d", "-o", str(tmp_path / "x"), "--shape-spread", "5"])
    assert r.exit_code == 2


def test_synth_stdout_is_paths_only(tmp_path):
    r = runner.invoke(
        app, ["--seed", "3", "synth", "faces3d", "-o", str(tmp_path / "f"), "--subjects", "1", "--expressions", "2"]
    )
    assert r.exit_code == 0
    lines = r.stdout.strip().splitlines()
    assert all((tmp_path / "f").as_posix() in ln or ln.startswith(str(tmp_path)) for ln in lines) and len(lines) == 3
    assert "wrote 2 meshes" in r.stderr
    r = runner.invoke(
        app, ["-q", "synth", "faces3d", "-o", str(tmp_path / "g"), "--subjects", "1", "--expressions", "1", "--json"]
    )
    obj = json.loads(r.stdout)
    assert obj["count"] == 1 and r.stderr == ""


def test_help_does_not_import_heavy_libraries(facecli_bin):
    code = (
        "import sys; sys.argv=['facecli','--help']\n"
        "from facecli.commands.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad=[m for m in ('torch','open3d','torch_geometric','cv2','h5py') if m in sys.modules]\n"
        "sys.stderr.write(repr(bad))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.stderr.strip() == "[]"


def test_real_shell_pipe(tmp_path, facecli_bin):
    """synth writes paths on stdout; grep keeps the HDF5 one; info reads it from stdin."""
    cmd = (
        f"'{facecli_bin}' synth pairs -o '{tmp_path}/p' --count 1 2>/dev/null | grep '\\.h5$' "
        f"| '{facecli_bin}' info --json -"
    )
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    obj = json.loads(p.stdout)
    assert obj["files"][0]["kind"] == "registration" and obj["files"][0]["samples"] == 1


def test_info_merge_overlapping_shards_is_a_one_line_error(h5, tmp_path):
    r = runner.invoke(app, ["info", str(h5), str(h5), "--merge", str(tmp_path / "m.h5")])
    assert r.exit_code == 1 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "'a'" in lines[0] and "overlap" in lines[0]
    r = runner.invoke(app, ["info", str(h5), "--merge", str(tmp_path / "m.h5")])
    assert r.exit_code == 0 and r.stdout.strip() == str(tmp_path / "m.h5")


def test_no_help_text_is_eaten_by_rich_markup():
    """Rich reads '[word ...]' as a markup tag and drops it from --help (it hid register's
    '[voxel / 2]' default, issue #27): no option or command help may contain one."""
    import re

    import typer.main

    from facecli.commands.main import app as main_app

    tag = re.compile(r"(?<!\\)\[[a-z#/@][^\[\]]*\]")
    bad = []

    def walk(cmd, path):
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        bad.extend(f"{path}: {m.group(0)}" for t in texts for m in tag.finditer(t))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(main_app), "facecli")
    assert bad == []
