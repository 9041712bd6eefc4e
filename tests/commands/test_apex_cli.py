"""facecli apex-detect and evaluate apex through CliRunner and a real shell pipe."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader

from helpers.cli import ok as _ok

runner = CliRunner()


@pytest.fixture(scope="module")
def casme(tmp_path_factory):
    from facecli.synth.microexpr import write_microexpr

    out = tmp_path_factory.mktemp("casme2")
    write_microexpr(out, subjects=2, clips=2, seed=0, layout="casme2", size=64, frames=(16, 20))
    return out


@pytest.fixture(scope="module")
def smic(tmp_path_factory):
    from facecli.synth.microexpr import write_microexpr

    out = tmp_path_factory.mktemp("smic")
    write_microexpr(out, subjects=1, clips=2, seed=0, layout="smic", size=64, frames=(16, 20))
    return out


def test_coded_dataset_outputs(casme, tmp_path):
    out = tmp_path / "apex.h5"
    sheet = next(casme.glob("*.xlsx"))
    r = _ok(
        runner.invoke(
            app,
            [
                "-q",
                "apex-detect",
                str(casme),
                "--coding",
                str(sheet),
                "-o",
                str(out),
                "--plot",
                str(tmp_path / "plots"),
                "--json",
            ],
        )
    )
    s = json.loads(r.stdout)
    assert s["processed"] == 4 and s["outputs"] == [str(out), str(tmp_path / "apex.csv")]
    truth = json.loads((casme / "synth_microexpr.json").read_text())["clips"]
    with ContainerReader(out, kind="apex") as c:
        assert c.ids == sorted(truth)
        apex, on, off = c.read("apex"), c.read("onset"), c.read("offset")
        for i, sid in enumerate(c.ids):
            assert on[i] == truth[sid]["onset"] and off[i] == truth[sid]["offset"]
            assert on[i] <= apex[i] <= off[i]
            frames, score = c.sample(i, ["frames", "score"]).values()
            assert len(frames) == len(score) == truth[sid]["n_frames"]
    rows = (tmp_path / "apex.csv").read_text().splitlines()
    assert rows[0] == "id,dataset,onset,apex,offset,method" and len(rows) == 5 and ",casme2," in rows[1]
    assert len(list((tmp_path / "plots").glob("*.png"))) == 4
    ev = json.loads(_ok(runner.invoke(app, ["evaluate", "apex", str(out), "--coding", str(sheet), "--json"])).stdout)
    m = ev["datasets"]["casme2"]
    assert m["method"]["clips"] == 4 and m["midpoint"]["clips"] == 4
    err = np.abs(apex - np.array([truth[i]["apex"] for i in sorted(truth)]))
    assert m["method"]["mae"] == pytest.approx(err.mean())


def test_smic_needs_truth_for_evaluation(smic, tmp_path):
    out = tmp_path / "apex.h5"
    sheet = next(smic.glob("*.csv"))
    _ok(
        runner.invoke(app, ["-q", "apex-detect", str(smic), "--coding", str(sheet), "-o", str(out), "--method", "flow"])
    )
    r = runner.invoke(app, ["evaluate", "apex", str(out), "--coding", str(sheet)])
    assert r.exit_code == 1 and "--truth" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    ev = json.loads(
        _ok(
            runner.invoke(
                app,
                [
                    "evaluate",
                    "apex",
                    str(out),
                    "--coding",
                    str(sheet),
                    "--truth",
                    str(smic / "synth_microexpr.json"),
                    "--json",
                ],
            )
        ).stdout
    )
    assert ev["datasets"]["smic"]["method"]["clips"] == 2


def test_bad_clip_skipped_and_listed(casme, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(casme, root)
    clip = sorted(p for p in (root / "sub01").iterdir())[0]
    frames = sorted(clip.iterdir(), key=lambda p: int(p.stem[3:]))
    frames[5].unlink()  # a missing frame
    out = tmp_path / "apex.h5"
    args = ["-q", "apex-detect", str(root), "-o", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 1 and "missing between" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    s = json.loads(_ok(runner.invoke(app, [*args, "--on-error", "skip", "--json"])).stdout)
    assert s["processed"] == 3 and s["failed"] == 1 and "missing between" in s["failures"][0]["error"]
    again = json.loads(_ok(runner.invoke(app, [*args, "--on-error", "skip", "--resume", "--json"])).stdout)
    assert again["resumed_skipped"] == 3


def test_shell_pipe(casme, tmp_path, facecli_bin):
    out = tmp_path / "apex.h5"
    sheet = next(casme.glob("*.csv"))
    cmd = (
        f"find {casme} -mindepth 2 -maxdepth 2 -type d | sort | {facecli_bin} -q apex-detect - -o {out} "
        f"--method lbp | head -1 | xargs -I{{}} {facecli_bin} evaluate apex {{}} --coding {sheet} --json"
    )
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["datasets"]["casme2"]["method"]["clips"] == 4
