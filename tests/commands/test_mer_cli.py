"""facecli mer-train (prepare, loso, report) and evaluate mer through CliRunner and a real shell pipe."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.container import ContainerReader

from helpers.cli import ok as _ok
from helpers.cli import one_line_error as _one_line_error

runner = CliRunner()


@pytest.fixture(scope="module")
def flow_h5(smic4_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("mercli") / "flow.h5"
    r = _ok(runner.invoke(app, ["-q", "mer-train", "prepare", str(smic4_dir), "-o", str(out), "--size", "16"]))
    assert r.stdout.strip() == str(out)
    return out


def test_prepare_caches_flow_and_spots_smic_apexes(flow_h5):
    with ContainerReader(flow_h5, kind="flow") as r:
        assert len(r) == 4 and r.ids[0] == "smic/s1/s1_sur_01"
        assert r.sample(0)["flow"].shape == (16, 16, 3) and r.sample(0)["apex_image"].shape == (16, 16)
        assert set(r.read("apex_source").astype(str)) == {"spotted"}  # SMIC sheets have no apex
        on, ap, off = (r.read(k) for k in ("onset", "apex", "offset"))
        assert ((on <= ap) & (ap <= off)).all()


def test_loso_report_and_evaluate(flow_h5, tmp_path):
    run = tmp_path / "run"
    r = _ok(
        runner.invoke(
            app,
            [
                "--seed",
                "1",
                "mer-train",
                "loso",
                str(flow_h5),
                "-o",
                str(run),
                "--epochs",
                "2",
                "--width",
                "4",
                "--batch-size",
                "4",
                "--folds",
                "1..2",
                "--json",
            ],
        )
    )
    s = json.loads(r.stdout)
    assert s["folds_finished"] == 2 and s["folds_total"] == 4 and not s["complete"] and s["ran"] == [1, 2]
    assert "INCOMPLETE" in r.stderr
    _ok(
        runner.invoke(
            app,
            [
                "--seed",
                "1",
                "mer-train",
                "loso",
                str(flow_h5),
                "-o",
                str(run),
                "--epochs",
                "2",
                "--width",
                "4",
                "--batch-size",
                "4",
                "--resume",
                "--oracle-epoch",
            ],
        )
    )
    rep = json.loads(_ok(runner.invoke(app, ["mer-train", "report", str(run), "--json"])).stdout)
    assert rep["complete"] and rep["clips"] == 4
    ev = json.loads(
        _ok(
            runner.invoke(
                app, ["evaluate", "mer", str(run / "result_log.csv"), "--json", "--plot", str(tmp_path / "cm.png")]
            )
        ).stdout
    )
    assert ev["uf1"] == pytest.approx(rep["uf1"]) and ev["classes"] == ["negative", "positive", "surprise"]
    assert (tmp_path / "cm.png").stat().st_size > 1000
    r = _ok(runner.invoke(app, ["evaluate", "mer", str(run / "result_log.csv")]))
    assert "not the MEGC metric" in r.stderr and r.stdout == ""


def test_clear_errors(flow_h5, smic4_dir, tmp_path):
    _one_line_error(
        runner.invoke(app, ["mer-train", "prepare", str(tmp_path / "nope"), "-o", str(tmp_path / "f.h5")]), "nope"
    )
    _one_line_error(
        runner.invoke(
            app,
            [
                "mer-train",
                "prepare",
                str(smic4_dir),
                "--coding",
                "a.xlsx",
                "--coding",
                "b.xlsx",
                "-o",
                str(tmp_path / "f.h5"),
            ],
        ),
        "one --coding sheet per root",
        code=2,
    )
    _one_line_error(
        runner.invoke(app, ["mer-train", "loso", str(flow_h5), "-o", str(tmp_path / "r"), "--folds", "3..9"]),
        "folds within 1..4",
    )
    _one_line_error(
        runner.invoke(app, ["mer-train", "loso", str(flow_h5), "-o", str(tmp_path / "r"), "--protocol", "samm"]),
        "no clip of the samm protocol",
    )
    _one_line_error(
        runner.invoke(app, ["mer-train", "loso", str(flow_h5), "-o", str(tmp_path / "r"), "--streams", "flow,normals"]),
        "no normals were given",
    )
    r = runner.invoke(app, ["mer-train", "loso", str(flow_h5), "--streams", "flow,depth"])
    assert r.exit_code == 2
    bad = tmp_path / "log.csv"
    bad.write_text("EP01 1 1\n")
    _one_line_error(runner.invoke(app, ["evaluate", "mer", str(bad)]), "log.csv:1")
    _one_line_error(runner.invoke(app, ["mer-train", "report", str(tmp_path)]), "not a mer-train run directory")


def test_shell_pipe(smic4_dir, tmp_path, facecli_bin):
    cmd = (
        f"{facecli_bin} -q mer-train prepare {smic4_dir} -o {tmp_path / 'flow.h5'} --size 16 "
        f"| xargs -I{{}} {facecli_bin} -q mer-train loso {{}} -o {tmp_path / 'run'} --epochs 1 --width 4 "
        f"| head -1 | xargs -I{{}} {facecli_bin} evaluate mer {{}} --json"
    )
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["clips"] == 4 and out["folds"] == 4 and 0.0 <= out["uf1"] <= 1.0
