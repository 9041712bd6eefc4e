"""The main job (examples/demo.sh) and its summary table (examples/demo_summary.py)."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.sh"
RECORDED = Path(__file__).parent / "data" / "demo_metrics"  # a real run's metrics/ (paths replaced by DEMO_OUT)


def _summary_module():
    spec = importlib.util.spec_from_file_location("demo_summary", ROOT / "examples" / "demo_summary.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _recorded_run(tmp_path: Path) -> Path:
    out = tmp_path / "demo"
    (out / "metrics").mkdir(parents=True)
    for f in RECORDED.iterdir():
        (out / "metrics" / f.name).write_text(f.read_text().replace("DEMO_OUT", str(out)))
    return out


def test_every_demo_stage_has_a_summary_row_format():
    """The stages demo.sh runs and the ones demo_summary.py knows are the same set."""
    keys = re.findall(r"^begin (\w+) ", DEMO.read_text(), flags=re.M)
    mod = _summary_module()
    assert keys[0] == "synth" and set(keys[1:]) == set(mod.FORMATS)
    assert f"N_STAGES={len(keys)}" in DEMO.read_text()


def test_summary_of_a_recorded_run(tmp_path):
    out = _recorded_run(tmp_path)
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo_summary.py"), str(out), "--json"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    summ = json.loads(r.stdout)
    keys = [s["key"] for s in summ["stages"]]
    assert keys == [
        "synth",
        "register",
        "normals_meshes",
        "landmarks3d",
        "normals_images",
        "verify_gt",
        "verify_photos",
        "apex",
        "align",
        "mer",
    ]
    assert not any("no metrics" in s["summary"] for s in summ["stages"])
    by = {s["key"]: s for s in summ["stages"]}
    rec = json.loads((RECORDED / "mer.json").read_text())
    assert by["mer"]["metrics"]["uf1"] == rec["uf1"] and by["align"]["metrics"]["faces"] == 24
    assert by["synth"]["metrics"]["datasets"]["wflw"] == {"count": 24, "unit": "images"}
    assert summ["total_seconds"] == pytest.approx(sum(s["seconds"] for s in summ["stages"]), abs=0.05)
    md = (out / "summary.md").read_text()
    assert md == r.stderr.strip("\n") + "\n"
    # every table row has exactly three cells (a bar inside a cell is escaped)
    for line in md.splitlines():
        assert len(re.split(r"(?<!\\)\|", line)) == 5, line


def test_summary_reports_a_stage_without_metrics(tmp_path):
    out = _recorded_run(tmp_path)
    (out / "metrics" / "apex.json").unlink()
    summ = _summary_module().summarise(out)
    apex = next(s for s in summ["stages"] if s["key"] == "apex")
    assert apex["summary"].startswith("(no metrics") and apex["metrics"] == {}


def test_demo_help_and_bad_option():
    r = subprocess.run(["bash", str(DEMO), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "Usage: examples/demo.sh [--json] [OUTPUT_DIR]" in r.stdout
    r = subprocess.run(["bash", str(DEMO), "--fast"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown option --fast" in r.stderr


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, facecli_bin):
    """The whole main job (about 1.5 min on 2 cores), twice on one folder: every stage scored, the JSON
    summary on stdout, the same results the second time."""
    env = {**os.environ, "FACECLI": facecli_bin, "PATH": f"{Path(facecli_bin).parent}:{os.environ['PATH']}"}
    r = subprocess.run(["bash", str(DEMO), "--json", str(tmp_path / "demo")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    summ = json.loads(r.stdout)
    assert [s["key"] for s in summ["stages"]][0] == "synth" and len(summ["stages"]) == 10
    assert not any("no metrics" in s["summary"] for s in summ["stages"])
    by = {s["key"]: s["metrics"] for s in summ["stages"]}
    assert by["register"]["recall"] >= 0.8 and by["landmarks3d"]["mean_mm"] < 4 and by["align"]["nme_pct"] < 6
    # the README's first command works again on the same folder, with the same results
    again = subprocess.run(
        ["bash", str(DEMO), "--json", str(tmp_path / "demo")], capture_output=True, text=True, env=env
    )
    assert again.returncode == 0, again.stderr[-3000:]
    by_again = {s["key"]: s["metrics"] for s in json.loads(again.stdout)["stages"]}
    assert by_again == by
