"""Readers of the real data of ../shared/REALDATA.md shared by the real-data benchmarks
(nothing here is shipped or downloaded: the folders are extracted by hand, see each bench.py)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np


def mtfl(data: Path, name: str, limit: int | None = None) -> list[dict]:
    """LFW faces of an MTFL/CUHK list (``trainImageList.txt`` or ``testImageList.txt``).

    The lists give, in 250 px LFW coordinates, the face box (left right top bottom) and five
    points (left eye, right eye, nose, left and right mouth corner); they are scaled by 0.6 to
    LFW's 150 px ``images/``. Images missing from LFW (one train-list name) are skipped.

    Returns:
        one dict per face: ``path``, ``boxes`` [[x0, y0, x1, y1]], ``points`` (5, 2) list.
    """
    out = []
    for line in (Path(data) / "mtfl" / name).read_text().splitlines():
        p = line.split()
        if not p or not p[0].startswith("lfw"):
            continue
        fname = p[0].split("\\")[-1]
        person = fname.rsplit("_", 1)[0]
        v = np.array(p[1:], float) * 0.6  # 250 px → LFW's 150 px images
        path = Path(data) / "lfw" / "images" / person / fname
        if not path.exists():  # Betsy_Coffin_0001 (train list) is not in LFW
            continue
        out.append({"path": str(path), "boxes": [[v[0], v[2], v[1], v[3]]], "points": v[4:].reshape(5, 2).tolist()})
    return out[:limit] if limit else out


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) IoU of boxes a (n, 4) and b (m, 4), x0, y0, x1, y1."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-12)


def five_point_nme(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean distance of five points over the distance between the true eye centres."""
    pred, truth = np.asarray(pred, float), np.asarray(truth, float)
    return float(np.linalg.norm(pred - truth, axis=1).mean() / np.linalg.norm(truth[0] - truth[1]))


def run_peer(python: str, script: Path, job: dict, *extra: str) -> dict:
    """Run a peers script in the peers' own environment: ``python script JOB.json OUT.json
    *extra``, and return what it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        job_path, out = Path(tmp) / "job.json", Path(tmp) / "out.json"
        job_path.write_text(json.dumps(job))
        subprocess.run([python, str(script), str(job_path), str(out), *extra], check=True)
        return json.loads(out.read_text())


def landmarks3d_cli(
    target: Path, out: Path, *, seed: int = 0, model: str | None = None, extra: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """Run ``facecli landmarks3d predict`` (the venv's, one process, quiet) on ``target`` and
    read its first sample back: ``landmarks``, ``confidence`` and ``turn``. ``out`` is replaced."""
    import sys

    from facecli.io.container import ContainerReader

    out.unlink(missing_ok=True)
    exe = Path(sys.executable).with_name("facecli")
    subprocess.run(
        [str(exe), "-q", "--seed", str(seed), "landmarks3d", "predict", str(target), "-o", str(out), *extra]
        + (["--model", model] if model else []),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with ContainerReader(out, kind="landmarks3d") as rd:
        return {k: np.asarray(rd.read(k)[0], np.float64) for k in ("landmarks", "confidence", "turn")}


def read_scan_case(case: str) -> dict:
    """A real-scan case ``SCAN:LANDMARKS.npy:FIRST_IBUG_INDEX`` of the landmarks3d_real benchmarks.

    Returns:
        ``scan`` (Path), ``mesh`` (as read), ``units`` (read from the size), ``vertices`` (V, 3)
        mm, ``truth`` (n, 3) mm annotated landmarks, ``idx`` (n,) their iBUG indices.
    """
    from facecli.geometry.facefind import UNIT_FACTORS, detect_units
    from facecli.io.mesh import read_mesh

    scan_s, lm_s, first_s = case.rsplit(":", 2)
    scan, first = Path(scan_s).expanduser(), int(first_s)
    mesh = read_mesh(scan)
    units = detect_units(mesh.vertices)
    k = UNIT_FACTORS[units]
    truth = np.load(Path(lm_s).expanduser()).astype(np.float64) * k
    return {
        "scan": scan,
        "mesh": mesh,
        "units": units,
        "vertices": mesh.vertices * k,
        "truth": truth,
        "idx": np.arange(first, first + len(truth)),
    }
