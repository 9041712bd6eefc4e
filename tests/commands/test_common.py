import json
import os
import subprocess
import sys

import numpy as np
import pytest

from facecli.commands._common import emit


def _reject_constant(name: str):
    pytest.fail(f"non-standard JSON constant {name} on stdout")


def test_json_summary_is_strict_json(capsys):
    """A metric that could not be measured (NaN, inf) is null, not a bare NaN that JSON parsers reject."""
    emit(
        ["a.h5"],
        as_json=True,
        summary={
            "nan": float("nan"),
            "inf": np.float32(np.inf),
            "arr": np.arange(2),
            "nested": {"tar": {"0.001": np.float64("nan"), "ok": np.float32(0.5)}},
        },
    )
    obj = json.loads(capsys.readouterr().out, parse_constant=_reject_constant)
    assert obj["outputs"] == ["a.h5"]
    assert obj["nan"] is None and obj["inf"] is None and obj["arr"] == [0, 1]
    assert obj["nested"]["tar"] == {"0.001": None, "ok": 0.5}
    assert "seconds" in obj


def test_paths_one_per_line(capsys):
    emit(["a.h5", "b.csv"], as_json=False)
    assert capsys.readouterr().out == "a.h5\nb.csv\n"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: torch's default is already 1 thread")
def test_threads_reach_torch_and_opencv_even_when_the_command_imports_them_later(tmp_path):
    """--threads is applied when the command starts, importing torch and OpenCV if need be: most
    commands import them lazily, and a library imported later would start at its own default."""
    from facecli.io.container import ContainerWriter

    f = tmp_path / "lm.h5"
    with ContainerWriter(f, "landmarks3d") as w:
        w.write("a", {"lm": np.zeros((2, 3), np.float32)})
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from facecli.commands.main import app\n"
        f"r = CliRunner().invoke(app, ['--threads', '1', 'info', {str(f)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "import cv2, torch\n"
        "print(torch.get_num_threads(), cv2.getNumThreads())\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["1", "1"], out.stdout + out.stderr
