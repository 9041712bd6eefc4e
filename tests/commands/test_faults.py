"""Fault injection through the command line: kills, signals, two writers, a full disk,
outputs that are inputs, bad inputs, usage errors, thread counts.

Each test is one case of the reliability pass (the issue's numbering in brackets). The
slow loop (``-m slow``) kills a batch at random points many times over
(``FACECLI_KILLS``, default 200) and checks that ``--resume`` always ends with exactly
the file an uninterrupted run writes.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from facecli.commands.main import app
from facecli.io.atomic import partial_path
from facecli.io.container import ContainerReader

from helpers.cli import ok as _ok
from helpers.cli import one_line_error as _one_line_error

runner = CliRunner()
SCALES = "96,48"


@pytest.fixture(scope="module")
def meshes(faces3d_dir, tmp_path_factory) -> Path:
    """24 meshes (the 4 synthetic faces, each six times) in one folder: a batch of a few seconds."""
    out = tmp_path_factory.mktemp("meshes")
    objs = sorted(faces3d_dir.rglob("*.obj"))
    for k in range(6):
        for f in objs:
            shutil.copy(f, out / f"{k}_{f.parent.name}_{f.name}")
    return out


@pytest.fixture(scope="module")
def reference(meshes, tmp_path_factory) -> Path:
    """The uninterrupted run every interrupted one must end up equal to."""
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    _ok(runner.invoke(app, ["normals", str(meshes), "--scales", SCALES, "--texture", "-o", str(out)]))
    return out


def _same_samples(path: Path, reference: Path) -> None:
    a, b = ContainerReader(path, kind="normals"), ContainerReader(reference, kind="normals")
    assert sorted(a.ids) == sorted(b.ids) and len(set(a.ids)) == len(a.ids)  # every sample exactly once
    order_a, order_b = np.argsort(a.ids), np.argsort(b.ids)
    for key in b.keys():
        np.testing.assert_array_equal(a.read(key)[order_a], b.read(key)[order_b])


def _normals_cmd(facecli_bin: str, meshes: Path, out: Path, *extra: str) -> list[str]:
    return [facecli_bin, "normals", str(meshes), "--scales", SCALES, "--texture", "-o", str(out), *extra]


def _info_ok(facecli_bin: str, path: Path) -> None:
    r = subprocess.run([facecli_bin, "info", str(path), "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    json.loads(r.stdout)


def _wait_for_samples(part: Path, n: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until the run has finished at least ``n`` samples (the work file is read
    without HDF5's file lock, which the writer holds)."""
    import h5py

    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before it had {n} samples")
        try:
            with h5py.File(part, "r", locking=False) as f:
                if int(f["complete"][:].sum()) >= n:
                    return
        except Exception:  # noqa: BLE001 - not created yet, or caught mid-write
            pass
        time.sleep(0.05)
    raise AssertionError(f"no {n} samples in {part} after {timeout} s")


# -- [1] two writers, [4] kill -9 and --resume, [8]/[9] signals and workers --------------------------------
def test_second_writer_is_refused_and_the_first_finishes(meshes, reference, tmp_path, facecli_bin):
    out = tmp_path / "same.h5"
    first = subprocess.Popen(
        _normals_cmd(facecli_bin, meshes, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_for_samples(partial_path(out), 1, first)
    second = subprocess.run(_normals_cmd(facecli_bin, meshes, out), capture_output=True, text=True)
    assert second.returncode == 1 and second.stdout == ""
    assert "being written by another facecli run" in second.stderr and len(second.stderr.splitlines()) == 1
    assert first.wait(120) == 0, first.stderr.read()
    _same_samples(out, reference)


def test_kill_then_resume_equals_an_uninterrupted_run(meshes, reference, tmp_path, facecli_bin):
    out = tmp_path / "k.h5"
    for n in (2, 5):  # two kills at different points, then a resume that finishes
        proc = subprocess.Popen(
            _normals_cmd(facecli_bin, meshes, out, "--resume"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_samples(partial_path(out), n, proc)
        proc.kill()
        proc.wait()
        assert not out.exists()
        _info_ok(facecli_bin, partial_path(out))  # what a killed run leaves is a readable file
    r = subprocess.run(_normals_cmd(facecli_bin, meshes, out, "--resume", "--json"), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["resumed_skipped"] >= 5
    assert not partial_path(out).exists()
    _same_samples(out, reference)
    _info_ok(facecli_bin, out)


@pytest.mark.parametrize(
    "sig,code,workers", [(signal.SIGINT, 130, "1"), (signal.SIGINT, 130, "2"), (signal.SIGTERM, 143, "2")]
)
def test_signals_end_the_run_cleanly_and_take_the_workers_along(
    meshes, reference, tmp_path, facecli_bin, sig, code, workers
):
    out = tmp_path / "s.h5"
    proc = subprocess.Popen(
        _normals_cmd(facecli_bin, meshes, out, "--workers", workers),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_samples(partial_path(out), 1, proc)
    proc.send_signal(sig)
    assert proc.wait(60) == code
    err = proc.stderr.read()
    assert "Traceback" not in err and ("interrupted" in err or "terminated" in err), err
    assert proc.stdout.read() == ""
    assert not out.exists()
    _info_ok(facecli_bin, partial_path(out))
    time.sleep(0.5)
    assert _children_of(proc.pid) == []
    r = subprocess.run(
        _normals_cmd(facecli_bin, meshes, out, "--workers", workers, "--resume"), capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    with ContainerReader(out) as rd:
        assert sorted(rd.ids) == sorted(ContainerReader(reference).ids)


def _children_of(pid: int) -> list[int]:
    """Live descendants of ``pid`` (Linux /proc): its children, their children (the workers a
    forkserver forks), and multiprocessing helpers it left behind (reparented to 1)."""
    parent_of: dict[int, int] = {}
    orphans = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        parent_of[int(d.name)] = int(fields[1])
        if int(fields[1]) == 1 and b"multiprocessing" in cmd and str(pid).encode() in cmd:
            orphans.append(int(d.name))
    found, frontier = set(orphans), {pid, *orphans}
    while frontier:
        frontier = {p for p, pp in parent_of.items() if pp in frontier} - found
        found |= frontier
    return sorted(found)


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to find the workers")
def test_workers_die_with_a_killed_parent(meshes, tmp_path, facecli_bin):
    out = tmp_path / "w.h5"
    proc = subprocess.Popen(
        _normals_cmd(facecli_bin, meshes, out, "--workers", "2"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for_samples(partial_path(out), 1, proc)
    workers = _children_of(proc.pid)
    assert workers, "the run should have worker processes"
    proc.kill()
    proc.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    alive = [
        w
        for w in workers
        if Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[:1]
    ]
    assert alive == []


# -- [3] a full disk (a file-size limit) -----------------------------------------------------------------------
def test_full_disk_is_one_line_and_resume_recovers(meshes, reference, tmp_path, facecli_bin):
    out = tmp_path / "full.h5"

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_100_000, 1_100_000))

    r = subprocess.run(_normals_cmd(facecli_bin, meshes, out), capture_output=True, text=True, preexec_fn=limit)
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "file too large" in lines[0] and str(out) in lines[0], r.stderr
    assert not out.exists()
    with ContainerReader(partial_path(out)) as rd:
        kept = len(rd)
    assert kept >= 1 and f"{kept} finished sample" in lines[0]
    r = subprocess.run(_normals_cmd(facecli_bin, meshes, out, "--resume"), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    _same_samples(out, reference)


# -- [2] outputs that are inputs, [16] -o DIR --------------------------------------------------------------------
def test_an_output_that_is_an_input_is_refused_untouched(reference, faces3d_dir, pairs_dir, tmp_path):
    mesh = tmp_path / "m.obj"
    shutil.copy(next(faces3d_dir.rglob("*.obj")), mesh)
    normals = tmp_path / "n.h5"
    shutil.copy(reference, normals)
    emb = tmp_path / "e.h5"
    _ok(runner.invoke(app, ["register", "--pairs", str(pairs_dir), "-o", str(tmp_path / "r.h5")]))
    reg = tmp_path / "r.h5"
    cases = [
        (["normals", str(mesh), "-o", str(mesh)], mesh),
        (["grid-attn", "embed", str(normals), "-o", str(normals)], normals),
        (["evaluate", "register", str(reg), "--gt", str(pairs_dir / "gt.h5"), "--csv", str(reg)], reg),
        (
            ["evaluate", "register", str(reg), "--gt", str(pairs_dir / "gt.h5"), "--csv", str(pairs_dir / "gt.h5")],
            pairs_dir / "gt.h5",
        ),
    ]
    for argv, victim in cases:
        before = victim.read_bytes()
        _one_line_error(runner.invoke(app, argv), "also an input")
        assert victim.read_bytes() == before, argv
    assert not emb.exists()


def test_output_that_is_an_input_in_verify_and_apex(smic4_dir, tmp_path):
    from facecli.synth.identities import write_identities

    ids = tmp_path / "ids"
    write_identities(ids, identities=20, per_identity=2, size=64, normal_size=32, seed=0)
    emb = tmp_path / "e.h5"
    _ok(runner.invoke(app, ["grid-attn", "embed", str(ids / "normals_gt.h5"), "-o", str(emb)]))
    before = emb.read_bytes()
    _one_line_error(
        runner.invoke(app, ["grid-attn", "verify", str(emb), "--pairs", str(ids / "pairs.txt"), "-o", str(emb)]),
        "also an input",
    )
    assert emb.read_bytes() == before
    sheet = next(p for p in smic4_dir.iterdir() if p.suffix in (".xlsx", ".csv"))
    before = sheet.read_bytes()
    _one_line_error(
        runner.invoke(
            app,
            ["apex-detect", str(smic4_dir), "--coding", str(sheet), "-o", str(tmp_path / "a.h5"), "--csv", str(sheet)],
        ),
        "also an input",
    )
    assert sheet.read_bytes() == before


def test_output_directory_gets_the_default_name(faces3d_dir, tmp_path):
    d = tmp_path / "outdir"
    d.mkdir()
    r = _ok(runner.invoke(app, ["normals", str(faces3d_dir), "--scales", "32", "-o", str(d)]))
    assert r.stdout.strip() == str(d / "normals.h5")
    assert len(ContainerReader(d / "normals.h5")) == 4


# -- [5] --resume with other parameters, [12] failures after --resume -------------------------------------------
def test_resume_with_other_parameters_is_refused_up_front(meshes, tmp_path, facecli_bin):
    out = tmp_path / "p.h5"
    proc = subprocess.Popen(
        _normals_cmd(facecli_bin, meshes, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for_samples(partial_path(out), 2, proc)
    proc.kill()
    proc.wait()
    before = partial_path(out).read_bytes()
    r = runner.invoke(app, ["normals", str(meshes), "--scales", "96,32", "--texture", "-o", str(out), "--resume"])
    _one_line_error(r, "scales=[96, 48]", "scales=[96, 32]")
    assert partial_path(out).read_bytes() == before


def test_failures_are_not_repeated_after_resume(faces3d_dir, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for f in sorted(faces3d_dir.rglob("*.obj"))[:3]:
        shutil.copy(f, src / f"{f.parent.name}_{f.name}")
    (src / "broken.obj").write_text("v 0 0 0\nv 1 0 0\nf 1 2 3\n")
    out = tmp_path / "f.h5"
    args = ["normals", str(src), "--scales", "32", "-o", str(out), "--on-error", "skip", "--json"]
    _ok(runner.invoke(app, args))
    s = json.loads(_ok(runner.invoke(app, [*args, "--resume"])).stdout)
    assert s["processed"] == 0 and s["resumed_skipped"] == 3 and s["failed"] == 1
    rd = ContainerReader(out)
    assert len(rd) == 3 and [f["id"] for f in rd.failures()] == ["broken.obj"]


# -- [10] --on-error skip with missing inputs, [11] mixed kinds --------------------------------------------------
def test_skip_records_missing_paths_on_stdin(faces3d_dir, tmp_path):
    mesh = next(faces3d_dir.rglob("*.obj"))
    out = tmp_path / "m.h5"
    stdin = f"{mesh}\n{tmp_path / 'gone.obj'}\n"
    r = _ok(
        runner.invoke(
            app, ["normals", "-", "--scales", "32", "-o", str(out), "--on-error", "skip", "--json"], input=stdin
        )
    )
    s = json.loads(r.stdout)
    assert s["processed"] == 1 and s["failed"] == 1 and "no such file" in s["failures"][0]["error"]
    _one_line_error(
        runner.invoke(app, ["normals", "-", "--scales", "32", "-o", str(tmp_path / "n.h5")], input=stdin), "gone.obj"
    )


def test_skip_records_missing_clip_folders(smic4_dir, tmp_path):
    out = tmp_path / "a.h5"
    clips = sorted(str(d) for d in smic4_dir.rglob("*") if d.is_dir() and any(d.glob("*.jpg")))
    r = _ok(
        runner.invoke(
            app, ["apex-detect", clips[0], str(tmp_path / "no_clip"), "-o", str(out), "--on-error", "skip", "--json"]
        )
    )
    s = json.loads(r.stdout)
    assert s["processed"] == 1 and s["failed"] == 1 and "no such clip" in s["failures"][0]["error"]


def test_meshes_and_photos_mixed_are_skipped_with_a_reason(faces3d_dir, tmp_path):
    from facecli.io.image import write_image

    src = tmp_path / "mixed"
    src.mkdir()
    shutil.copy(next(faces3d_dir.rglob("*.obj")), src / "a.obj")
    write_image(src / "b.png", np.full((64, 64, 3), 120, np.uint8))
    r = _ok(
        runner.invoke(
            app,
            [
                "normals",
                str(src),
                "--scales",
                "32",
                "-o",
                str(tmp_path / "x.h5"),
                "--on-error",
                "skip",
                "--image-method",
                "sobel",
                "--json",
            ],
        )
    )
    s = json.loads(r.stdout)
    assert s["processed"] == 1 and s["failed"] == 1
    assert "different kinds cannot share one output file" in s["failures"][0]["error"]


# -- [6] bad inputs accepted before --------------------------------------------------------------------------------
def test_truncated_and_absurd_meshes_are_refused(faces3d_dir, pairs_dir, tmp_path):
    data = next(faces3d_dir.rglob("*.obj")).read_bytes()
    cut = tmp_path / "cut.obj"
    cut.write_bytes(data[: len(data) - 37])  # ends part-way through a face line
    assert not data[: len(data) - 37].endswith(b"\n")
    tgt = str(pairs_dir / "pair_0000" / "target.ply")
    _one_line_error(runner.invoke(app, ["normals", str(cut), "-o", str(tmp_path / "a.h5")]), "cut.obj", "truncated")
    _one_line_error(
        runner.invoke(app, ["-q", "landmarks3d", "predict", str(cut), "-o", str(tmp_path / "b.h5")]),
        "cut.obj",
        "truncated",
    )
    _one_line_error(
        runner.invoke(app, ["register", str(cut), tgt, "-o", str(tmp_path / "c.h5")]), "cut.obj", "truncated"
    )
    from facecli.io.mesh import read_mesh, write_mesh

    m = read_mesh(next(faces3d_dir.rglob("*.obj")))
    huge = write_mesh(tmp_path / "huge.obj", m.vertices * 1e20, m.faces)
    _one_line_error(runner.invoke(app, ["normals", str(huge), "-o", str(tmp_path / "d.h5")]), "huge.obj", "corrupt")
    metres = write_mesh(tmp_path / "metres.obj", m.vertices / 1000.0, m.faces)
    _one_line_error(  # read as mm when told so: refused, with the advice (auto scales it)
        runner.invoke(app, ["normals", str(metres), "-o", str(tmp_path / "e.h5"), "--units", "mm"]),
        "metres.obj",
        "millimetres",
    )


def test_tiny_and_truncated_photos_are_refused(tmp_path):
    from facecli.io.image import write_image

    write_image(tmp_path / "one.png", np.zeros((1, 1, 3), np.uint8))
    _one_line_error(
        runner.invoke(
            app, ["normals", str(tmp_path / "one.png"), "--image-method", "sobel", "-o", str(tmp_path / "a.h5")]
        ),
        "one.png",
        "1x1",
    )
    rng = np.random.default_rng(0)
    write_image(tmp_path / "full.jpg", rng.integers(0, 255, (96, 96, 3), dtype=np.uint8))
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    _one_line_error(
        runner.invoke(
            app, ["normals", str(tmp_path / "cut.jpg"), "--image-method", "sobel", "-o", str(tmp_path / "b.h5")]
        ),
        "cut.jpg",
        "truncated",
    )


def test_bad_apex_and_empty_boxes_are_refused(smic4_dir, wflw_dir, tmp_path):
    from facecli.io.microexpr import read_coding_sheet, write_coding_sheet

    casme = tmp_path / "casme"
    from facecli.synth.microexpr import write_microexpr

    write_microexpr(casme, subjects=1, clips=1, seed=0, layout="casme2", size=48, frames=(10, 12))
    sheet = next(p for p in casme.iterdir() if p.suffix == ".xlsx")
    clips = read_coding_sheet(sheet, "casme2")
    bad = tmp_path / "bad.csv"
    write_coding_sheet(bad, clips, "casme2")
    text = bad.read_text().splitlines()
    cols = text[1].split(",")
    cols[3] = "abc"  # the ApexFrame column
    bad.write_text("\n".join([text[0], ",".join(cols), *text[2:]]) + "\n")
    _one_line_error(
        runner.invoke(app, ["mer-train", "prepare", str(casme), "--coding", str(bad), "-o", str(tmp_path / "f.h5")]),
        "bad.csv",
        "'abc'",
    )
    empty = tmp_path / "boxes.csv"
    empty.write_text("")
    img = next(p for p in wflw_dir.rglob("*") if p.suffix in (".jpg", ".png"))
    _one_line_error(
        runner.invoke(app, ["align", "predict", str(img), "--boxes", str(empty), "-o", str(tmp_path / "l.h5")]),
        "boxes.csv",
        "empty",
    )


# -- [13] binary files where text is expected, [14] no numpy warnings -------------------------------------------
def test_binary_files_give_one_line_naming_them(tmp_path, wflw_dir, smic4_dir):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(bytes(range(256)) * 8)
    img = next(p for p in wflw_dir.rglob("*") if p.suffix in (".jpg", ".png"))
    emb = tmp_path / "e.h5"
    from facecli.io.container import ContainerWriter

    with ContainerWriter(emb, "embeddings") as w:
        w.write("a", {"embedding": np.ones(4, np.float32)})
    scores = tmp_path / "s.h5"
    from facecli.recognition.verify import PairScores, write_scores

    write_scores(
        scores,
        PairScores(
            a=["a"] * 4,
            b=["b"] * 4,
            score=np.array([0.9, 0.8, 0.1, 0.2]),
            same=np.array([True, True, False, False]),
            fold=np.zeros(4, int),
        ),
        params={},
        argv=[],
    )
    cases = [
        ["align", "predict", str(img), "--boxes", str(blob), "-o", str(tmp_path / "a.h5")],
        ["grid-attn", "verify", str(emb), "--pairs", str(blob), "-o", str(tmp_path / "b.h5")],
        ["evaluate", "verify", str(scores), "--poses", str(blob)],
        ["evaluate", "mer", str(blob)],
    ]
    for argv in cases:
        _one_line_error(runner.invoke(app, argv), "blob.bin", "binary")
    run = tmp_path / "run"
    (run / "folds").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"signature": "x", "classes": ["a", "b"]}))
    (run / "folds" / "01_s1.json").write_text('{"fold": 1, "subject": "s1", "ids": ["x"')  # cut short
    _one_line_error(runner.invoke(app, ["mer-train", "report", str(run)]), "01_s1.json", "invalid JSON")


def test_empty_pose_file_has_no_numpy_warning(faces3d_dir, tmp_path):
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    r = runner.invoke(
        app, ["normals", str(next(faces3d_dir.rglob("*.obj"))), "--pose", str(empty), "-o", str(tmp_path / "x.h5")]
    )
    _one_line_error(r, "empty.h5", "empty file")


# -- [15] usage errors exit 2 ---------------------------------------------------------------------------------------
def test_usage_errors_exit_2(faces3d_dir, pairs_dir, tmp_path):
    mesh = str(next(faces3d_dir.rglob("*.obj")))
    _one_line_error(
        runner.invoke(app, ["normals", mesh, "--shard", "3/2", "-o", str(tmp_path / "a.h5")]), "--shard", code=2
    )
    _one_line_error(
        runner.invoke(app, ["normals", mesh, "--scales", "64,abc", "-o", str(tmp_path / "a.h5")]), "--scales", code=2
    )
    _one_line_error(runner.invoke(app, ["register", mesh, "-o", str(tmp_path / "a.h5")]), "SRC TGT", code=2)


# -- [17] thread counts ---------------------------------------------------------------------------------------------
def test_mer_models_are_identical_whatever_the_thread_count(smic4_dir, tmp_path, facecli_bin):
    import torch

    flow = tmp_path / "flow.h5"
    _ok(runner.invoke(app, ["-q", "mer-train", "prepare", str(smic4_dir), "-o", str(flow), "--size", "16"]))
    runs = []
    for threads in (1, 2):
        run = tmp_path / f"run{threads}"
        r = subprocess.run(
            [
                facecli_bin,
                "-q",
                "--threads",
                str(threads),
                "mer-train",
                "loso",
                str(flow),
                "-o",
                str(run),
                "--epochs",
                "2",
                "--width",
                "4",
                "--batch-size",
                "2",
                "--folds",
                "1..2",
            ],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        runs.append(run)
    assert (runs[0] / "result_log.csv").read_text() == (runs[1] / "result_log.csv").read_text()
    models = sorted(p.name for p in (runs[0] / "models").glob("*.pt"))
    assert len(models) == 2
    for name in models:
        a = torch.load(runs[0] / "models" / name, weights_only=True)["state_dict"]
        b = torch.load(runs[1] / "models" / name, weights_only=True)["state_dict"]
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# -- the heavy loop: many random kills ----------------------------------------------------------------------------
@pytest.mark.slow
def test_random_kills_then_resume_lose_nothing(meshes, reference, tmp_path, facecli_bin):
    """Kill -9 at random moments (FACECLI_KILLS times in all, default 200), resuming after each;
    every trial must end with exactly the reference samples, readable by info, and no .part left."""
    total = int(os.environ.get("FACECLI_KILLS", "200"))
    rng = random.Random(0)
    t0 = time.perf_counter()
    subprocess.run(_normals_cmd(facecli_bin, meshes, tmp_path / "timing.h5"), check=True, capture_output=True)
    full = time.perf_counter() - t0
    kills = trials = 0
    stats = {"killed_before_any_sample": 0, "killed_mid_batch": 0, "finished_before_kill": 0}
    while kills < total:
        trials += 1
        out = tmp_path / f"t{trials}.h5"
        for _ in range(5):
            if kills >= total:
                break
            proc = subprocess.Popen(
                _normals_cmd(facecli_bin, meshes, out, "--resume"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(rng.uniform(0.0, full))
            if proc.poll() is None:
                proc.kill()
                kills += 1
                proc.wait()
                part = partial_path(out)
                if part.exists():
                    with ContainerReader(part) as r:
                        stats["killed_mid_batch" if len(r) else "killed_before_any_sample"] += 1
                else:
                    stats["killed_before_any_sample"] += 1
            else:
                stats["finished_before_kill"] += 1
                break
        r = subprocess.run(_normals_cmd(facecli_bin, meshes, out, "--resume"), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert not partial_path(out).exists()
        _same_samples(out, reference)
        _info_ok(facecli_bin, out)
        out.unlink()
    sys.stderr.write(
        f"\nkill loop: {kills} kills over {trials} trials, {stats}; every trial equal to the uninterrupted run\n"
    )
