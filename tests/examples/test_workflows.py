"""The example workflows: --help, a dry run whose every facecli command parses against the real
CLI, and real runs of the cheap ones on synthetic data in the datasets' layouts."""

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from cli_parse import is_usage_error, parse_facecli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
WORKFLOWS = ["facescape_landmarks.sh", "wflw_align.sh", "lfw_verify.sh", "megc2019_loso.sh", "scale_out.sh"]


def _bash(script: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(EXAMPLES / script), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=600)


def facecli_lines(text: str) -> list[list[str]]:
    """The facecli invocations in a dry run's output: the words after 'facecli', up to a
    redirection or GNU parallel's ':::'; quoted command strings (sbatch --wrap) are searched too."""
    found = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        words = shlex.split(line)
        for w in words:
            if " " in w:
                found.extend(facecli_lines(w))
        starts = [i for i, w in enumerate(words) if Path(w).name == "facecli"]
        if not starts:
            continue
        args = words[starts[0] + 1:]
        for stop in (">", ":::"):
            if stop in args:
                args = args[: args.index(stop)]
        found.append(args)
    return found


def test_parse_facecli_catches_wrong_options():
    assert parse_facecli(["--seed", "0", "align", "predict", "x", "--exit-threshold", "0.1"]).name == "predict"
    assert parse_facecli(["info", "--merge", "m.h5", "a.h5"]).name == "info"
    for bad in (["align", "predict", "x", "--exit-treshold", "0.1"],  # misspelt option
                ["register", "a.ply", "--method", "icp"],  # not a choice
                ["evaluate", "align", "x.h5"],  # --gt is required
                ["landmarks3d", "predikt", "x"]):  # no such subcommand
        with pytest.raises(Exception) as info:
            parse_facecli(bad)
        assert is_usage_error(info.value), (bad, info.value)


@pytest.mark.parametrize("script", WORKFLOWS)
def test_help_and_bad_argument(script):
    r = _bash(script, "--help")
    assert r.returncode == 0 and "Usage: examples/" + script in r.stdout and "--dry-run" in r.stdout
    assert "(environment variables)" in r.stdout
    r = _bash(script, "--frobnicate")
    assert r.returncode == 2 and "unknown argument --frobnicate" in r.stderr


@pytest.mark.parametrize("script,env", [(s, {}) for s in WORKFLOWS] + [("scale_out.sh", {"MODE": "slurm"}),
                                                                       ("wflw_align.sh", {"NPROC": "2"})])
def test_dry_run_commands_parse(script, env):
    r = _bash(script, "--dry-run", env={"FACECLI": "facecli", **env})
    assert r.returncode == 0, r.stderr
    cmds = facecli_lines(r.stdout)
    assert len(cmds) >= 2, r.stdout
    for argv in cmds:
        try:
            parse_facecli(argv)
        except Exception as exc:  # noqa: BLE001 - report which line of which script
            pytest.fail(f"{script}: facecli {' '.join(argv)}: {type(exc).__name__}: {exc}")


def test_missing_dataset_is_a_clear_error(tmp_path):
    r = _bash("lfw_verify.sh", env={"LFW": str(tmp_path / "nope"), "FACECLI": str(Path(os.sys.executable).parent / "facecli")})
    assert r.returncode == 1 and f"LFW={tmp_path / 'nope'} does not exist" in r.stderr


def test_facescape_workflow_runs(faces3d_dir, tmp_path, facecli_bin):
    template = sorted(faces3d_dir.glob("*/1_*.obj"))[0]
    env = {"FACESCAPE": str(faces3d_dir), "LANDMARKS": str(faces3d_dir / "landmark_indices.npz"),
           "TEMPLATE": str(template), "OUT": str(tmp_path / "out"), "WORKERS": "1", "FACECLI": facecli_bin}
    r = _bash("facescape_landmarks.sh", env=env)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "out" / "landmarks3d_metrics.json").read_text())
    assert metrics["meshes"] == 4 and metrics["mean_mm"] < 10
    assert len(list((tmp_path / "out" / "pts").glob("*.pts"))) == 4


def test_wflw_workflow_runs(wflw_dir, tmp_path, facecli_bin):
    env = {"WFLW": str(wflw_dir), "OUT": str(tmp_path / "out"), "EPOCHS": "1", "FACECLI": facecli_bin}
    r = _bash("wflw_align.sh", env=env)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["subsets"]["all"]["faces"] == 2  # the test list
    assert (tmp_path / "out" / "ced.png").read_bytes()[:4] == b"\x89PNG"
