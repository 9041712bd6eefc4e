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


def _bash(
    script: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=600,
    )


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
        args = words[starts[0] + 1 :]
        for stop in (">", ":::"):
            if stop in args:
                args = args[: args.index(stop)]
        found.append(args)
    return found


def test_parse_facecli_catches_wrong_options():
    assert parse_facecli(["--seed", "0", "align", "predict", "x", "--exit-threshold", "0.1"]).name == "predict"
    assert parse_facecli(["info", "--merge", "m.h5", "a.h5"]).name == "info"
    for bad in (
        ["align", "predict", "x", "--exit-treshold", "0.1"],  # misspelt option
        ["register", "a.ply", "--method", "icp"],  # not a choice
        ["evaluate", "align", "x.h5"],  # --gt is required
        ["landmarks3d", "predikt", "x"],
    ):  # no such subcommand
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


@pytest.mark.parametrize(
    "script,env",
    [(s, {}) for s in WORKFLOWS] + [("scale_out.sh", {"MODE": "slurm"}), ("wflw_align.sh", {"NPROC": "2"})],
)
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
    r = _bash(
        "lfw_verify.sh", env={"LFW": str(tmp_path / "nope"), "FACECLI": str(Path(os.sys.executable).parent / "facecli")}
    )
    assert r.returncode == 1 and f"LFW={tmp_path / 'nope'} does not exist" in r.stderr


def test_facescape_workflow_runs(faces3d_dir, tmp_path, facecli_bin):
    template = sorted(faces3d_dir.glob("*/1_*.obj"))[0]
    env = {
        "FACESCAPE": str(faces3d_dir),
        "LANDMARKS": str(faces3d_dir / "landmark_indices.npz"),
        "TEMPLATE": str(template),
        "OUT": str(tmp_path / "out"),
        "WORKERS": "1",
        "FACECLI": facecli_bin,
    }
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


def test_megc2019_workflow_runs(tmp_path, facecli_bin):
    """Apex spotting for SMIC, prepare over the three layouts, LOSO over all subjects, evaluate."""
    from facecli.synth.microexpr import write_microexpr

    env = {"OUT": str(tmp_path / "out"), "EPOCHS": "1", "FACECLI": facecli_bin}
    for seed, (layout, var) in enumerate((("casme2", "CASME2"), ("samm", "SAMM"), ("smic", "SMIC"))):
        root = tmp_path / layout
        write_microexpr(root, subjects=2, clips=1, seed=seed, layout=layout, size=48, frames=(12, 14))
        env[var], env[f"{var}_SHEET"] = str(root), str(next(root.glob("*.xlsx")))
    r = _bash("megc2019_loso.sh", env=env)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["clips"] == 6 and metrics["folds"] == 6 and set(metrics["per_dataset"]) == {"casme2", "samm", "smic"}


def test_lfw_workflow_runs(tmp_path, facecli_bin):
    from facecli.synth.identities import write_identities

    write_identities(tmp_path / "lfw", identities=20, per_identity=2, seed=0, size=96, normal_size=64)
    env = {"LFW": str(tmp_path / "lfw"), "OUT": str(tmp_path / "out"), "WORKERS": "1", "FACECLI": facecli_bin}
    r = _bash("lfw_verify.sh", env=env)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["sets"]["all"]["pairs"] == 40 and (tmp_path / "out" / "roc.png").exists()


def test_slurm_scale_out_scripts_run(faces3d_dir, tmp_path, facecli_bin):
    """MODE=slurm: the array script it writes, run for each task id, and the merge job's command
    give one file with every scan (sbatch replaced by a recorder)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@" "--" >> "$SBATCH_LOG"\necho 4242\n')
    (bin_dir / "sbatch").chmod(0o755)
    out = tmp_path / "out"
    env = {
        "MODE": "slurm",
        "SHARDS": "2",
        "SCANS": str(faces3d_dir),
        "TEMPLATE": str(sorted(faces3d_dir.glob("*/1_*.obj"))[0]),
        "OUT": str(out),
        "FACECLI": facecli_bin,
        "SBATCH_LOG": str(tmp_path / "sbatch.log"),
        "PATH": f"{bin_dir}:{Path(facecli_bin).parent}:{os.environ['PATH']}",
    }
    r = _bash("scale_out.sh", env=env)
    assert r.returncode == 0, r.stderr
    calls = (tmp_path / "sbatch.log").read_text().split("--\n")[:-1]
    assert len(calls) == 2 and calls[0].split("\n")[-2].endswith("register_array.sbatch")
    assert "--dependency=afterok:4242" in calls[1]
    for task in (1, 2):
        run = subprocess.run(
            ["bash", str(out / "register_array.sbatch")],
            capture_output=True,
            text=True,
            env={**os.environ, **env, "SLURM_ARRAY_TASK_ID": str(task)},
        )
        assert run.returncode == 0, run.stderr
    wrap = calls[1].split("\n")
    merge_cmd = wrap[wrap.index("--wrap") + 1]
    run = subprocess.run(["bash", "-c", merge_cmd], capture_output=True, text=True, env={**os.environ, **env})
    assert run.returncode == 0, run.stderr
    from facecli.io.container import ContainerReader

    with ContainerReader(out / "register.h5", kind="registration") as rd:
        assert len(rd) == 4
