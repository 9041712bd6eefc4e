"""facecli landmarks3d on real scans remeshed and seen from one side, as other scanners make them.

Issue #26 asks for scans "as scanners make them": other resolutions and topologies, partial
views. This takes each real scan (as in ``bench.py``: SCAN:LANDMARKS:FIRST) and makes:

- **decimated** copies (Open3D quadric decimation to 30 %, 10 % and 3 % of the triangles: a
  coarser scanner or a file reduced for the web);
- a **subdivided** copy (each triangle in four: a denser scanner);
- **single-view** copies: only the triangles seen from one direction (yaw 0°, 30°, 50° about
  the vertical; what a depth camera or a one-shot structured-light scanner gives).

It runs ``landmarks3d predict`` (default flags, one process per file) with the point-sampling
seeds given, and reports the mean error against the annotated landmarks (mm), its mean over the
seeds and the mean confidence.

Run (data: ../shared/REALDATA.md; see bench.py):

  .venv/bin/python benchmarks/landmarks3d_real/variants.py \\
      --case ~/.cache/facecli-real/flame/scan.obj:~/.cache/facecli-real/flame/scan_lmks.npy:17 \\
      --out /tmp/l3variants
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realdata import landmarks3d_cli, read_scan_case  # noqa: E402


def single_view(vertices: np.ndarray, faces: np.ndarray, yaw_deg: float) -> np.ndarray:
    """The triangles whose centroid is the first hit of a ray cast from far along the view
    direction (yaw about +Y from +Z): (F', 3) int."""
    import open3d as o3d

    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(np.asarray(vertices, np.float32)), o3d.core.Tensor(np.asarray(faces, np.uint32))
    )
    a = np.radians(yaw_deg)
    d = np.array([np.sin(a), 0.0, np.cos(a)])
    centres = vertices[faces].mean(axis=1)
    extent = float(np.ptp(vertices, axis=0).max())
    rays = np.concatenate([centres + d * 2 * extent, np.tile(-d, (len(centres), 1))], axis=1).astype(np.float32)
    hit = scene.cast_rays(o3d.core.Tensor(rays))["primitive_ids"].numpy().astype(np.int64)
    seen = np.zeros(len(faces), bool)
    seen[hit[hit != scene.INVALID_ID]] = True
    return faces[seen]


def variants(vertices: np.ndarray, faces: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import open3d as o3d
    import trimesh

    out = {"as given": (vertices, faces)}
    m = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(vertices), o3d.utility.Vector3iVector(faces))
    for frac in (0.3, 0.1, 0.03):
        d = m.simplify_quadric_decimation(int(len(faces) * frac))
        out[f"decimated to {100 * frac:g} % of the triangles"] = (np.asarray(d.vertices), np.asarray(d.triangles))
    t = trimesh.Trimesh(vertices, faces, process=False).subdivide()
    out["subdivided (4x the triangles)"] = (np.asarray(t.vertices), np.asarray(t.faces))
    for yaw in (0.0, 30.0, 50.0):
        out[f"one view, yaw {yaw:g}°"] = (vertices, single_view(vertices, faces, yaw))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", required=True, help="SCAN:LANDMARKS.npy:FIRST_IBUG_INDEX")
    ap.add_argument("--out", type=Path, required=True, help="work folder (variants, outputs, results.json)")
    ap.add_argument("--model", default=None, help="model file (default: the shipped one)")
    ap.add_argument("--seeds", default="0,1", help="point-sampling seeds, comma-separated")
    args = ap.parse_args()

    import trimesh

    args.out.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    results: dict[str, list] = {}
    for case in args.case:
        c = read_scan_case(case)
        scan, mesh, truth, idx = c["scan"], c["mesh"], c["truth"], c["idx"]
        print(f"\n{scan.name} ({len(truth)} landmarks; seeds {args.seeds})\n")
        print("| variant | vertices | triangles | mean error (mm) per seed | mean | confidence |")
        print("|---|---:|---:|---|---:|---:|")
        rows = []
        for n, (label, (v, f)) in enumerate(variants(c["vertices"], mesh.faces).items()):
            folder = args.out / f"v{n}"
            folder.mkdir(exist_ok=True)
            # the same file name in every folder: the seeded point sample depends on it
            trimesh.Trimesh(v, f, process=False).export(folder / scan.with_suffix(".ply").name)
            errs, conf = [], []
            for seed in seeds:
                got = landmarks3d_cli(folder, folder / f"seed{seed}.h5", seed=seed, model=args.model)
                lm = got["landmarks"]
                conf.append(float(np.mean(got["confidence"])))
                errs.append(float(np.linalg.norm(lm[idx] - truth, axis=1).mean()))
            row = {"variant": label, "vertices": len(v), "triangles": len(f), "errors_mm": errs, "confidence": conf}
            rows.append(row)
            per = " / ".join(f"{e:.2f}" for e in errs)
            print(f"| {label} | {len(v)} | {len(f)} | {per} | {np.mean(errs):.2f} | {np.mean(conf):.2f} |", flush=True)
        results[scan.name] = rows
    (args.out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
