"""facecli landmarks3d (2S-SGCN + geodesic refinement) vs a rigid template, on held-out
synthetic subjects, side by side in one run.

Run:
  facecli --seed 0 synth faces3d -o /tmp/lm/train --subjects 60 --expressions 8
  facecli --seed 0 synth faces3d -o /tmp/lm/test --start 1000 --subjects 15 --expressions 8
  .venv/bin/python benchmarks/landmarks3d/bench.py --train /tmp/lm/train --test /tmp/lm/test \
      --out benchmarks/landmarks3d/results

The baseline is the training meshes' mean face with its mean landmarks, placed on each
test scan by rigid point-to-plane ICP (Open3D). Both see the same test meshes; the
2S-SGCN rows come from one stage-one pass per mesh, scored before refinement, after
geodesic refinement (the default) and after Euclidean refinement (the released code's).
Seconds per mesh are wall-clock on this machine, split into load, sampling (+ kNN
graph), network and refinement. Prints a markdown table and writes results.json and a
per-mesh CSV.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--train", type=Path, required=True, help="FaceScape-layout root the model was trained on (for the template)"
    )
    ap.add_argument("--test", type=Path, required=True, help="FaceScape-layout root of held-out subjects")
    ap.add_argument("--model", type=Path, default=None, help="model file [the shipped one]")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/landmarks3d/results"))
    ap.add_argument("--limit", type=int, default=None, help="at most this many test meshes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch

    from facecli.io.mesh import read_mesh
    from facecli.landmarks3d.data import load_landmark_set
    from facecli.landmarks3d.predictor import DEFAULT_SGCN, Landmarker
    from facecli.landmarks3d.refine import RefineSettings, refine_landmarks
    from facecli.landmarks3d.template import RigidTemplate
    from facecli.metrics.landmarks3d import IBUG68_REGIONS, landmark_error_report

    torch.set_num_threads(args.threads)
    train = load_landmark_set(args.train)
    test = load_landmark_set(args.test, limit=args.limit)
    shared = {s.subject for s in train.scans} & {s.subject for s in test.scans}
    if shared:
        raise SystemExit(f"test subjects also in the training set: {sorted(shared)[:5]}")
    t0 = time.perf_counter()
    first = read_mesh(train.scans[0].path)
    template = RigidTemplate.from_meshes([read_mesh(s.path).vertices for s in train.scans], first.faces, train.indices)
    print(f"template from {len(train.scans)} training meshes in {time.perf_counter() - t0:.1f} s")

    model_path = args.model or DEFAULT_SGCN
    lmk = Landmarker.from_file(model_path, seed=args.seed)
    n_params = sum(p.numel() for p in lmk.net.parameters())
    names = [
        "template (rigid ICP)",
        "2S-SGCN stage one",
        "2S-SGCN + geodesic refinement",
        "2S-SGCN + Euclidean refinement",
    ]
    errs = {n: [] for n in names}
    secs = {k: [] for k in ("load", "sample", "network", "refine", "refine_euclidean", "template")}
    rows = []
    from scipy.spatial import cKDTree

    for i, scan in enumerate(test.scans):
        t0 = time.perf_counter()
        mesh = read_mesh(scan.path, allow_points=False)
        secs["load"].append(time.perf_counter() - t0)
        gt = test.landmarks(mesh)
        t0 = time.perf_counter()
        tpl = template.predict(mesh.vertices)
        secs["template"].append(time.perf_counter() - t0)
        prep, est, conf, top_mm, top_vals, s = lmk.stage_one(mesh, scan.id)
        secs["sample"].append(s["sample"])
        secs["network"].append(s["network"])
        sigma_mm = lmk.net.config.sigma / prep.scale
        t0 = time.perf_counter()
        tree = cKDTree(mesh.vertices)
        geo, _ = refine_landmarks(mesh.vertices, mesh.faces, est, top_mm, top_vals, sigma_mm, RefineSettings(), tree)
        secs["refine"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        euc, _ = refine_landmarks(
            mesh.vertices, mesh.faces, est, top_mm, top_vals, sigma_mm, RefineSettings(metric="euclidean"), tree
        )
        secs["refine_euclidean"].append(time.perf_counter() - t0)
        for name, pred in zip(names, (tpl, est, geo, euc)):
            e = np.linalg.norm(pred - gt, axis=1)
            errs[name].append(e)
        rows.append({"id": scan.id, "subject": scan.subject, **{n: float(errs[n][-1].mean()) for n in names}})
        if (i + 1) % 20 == 0:
            print(f"{i + 1}/{len(test.scans)} meshes")

    subjects = [s.subject for s in test.scans]
    results: dict = {
        "test_meshes": len(test.scans),
        "test_subjects": len(set(subjects)),
        "train_meshes": len(train.scans),
        "model": str(model_path),
        "parameters": n_params,
        "threads": args.threads,
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "methods": {},
    }
    for name in names:
        rep = landmark_error_report(np.stack(errs[name]), subjects)
        results["methods"][name] = {
            "mean_mm": rep.mean,
            "std_mm": rep.std,
            "median_mm": rep.median,
            "regions_mm": rep.regions,
        }
    results["seconds_per_mesh"] = {k: float(np.mean(v)) for k, v in secs.items()}
    sp = results["seconds_per_mesh"]
    results["seconds_per_mesh"]["facecli_total"] = sp["load"] + sp["sample"] + sp["network"] + sp["refine"]
    results["seconds_per_mesh"]["facecli_without_load"] = sp["sample"] + sp["network"] + sp["refine"]
    base = results["methods"][names[0]]["mean_mm"]
    for name in names:
        results["methods"][name]["vs_template"] = results["methods"][name]["mean_mm"] / base

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    with open(args.out / "per_mesh.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    regions = list(IBUG68_REGIONS)
    print(
        f"\n{len(test.scans)} test meshes of {len(set(subjects))} held-out subjects; model {model_path.name} "
        f"({n_params:,} parameters); {args.threads} threads\n"
    )
    print("| method | mean mm | median mm | std | vs template | " + " | ".join(regions) + " |")
    print("|---|---:|---:|---:|---:|" + "---:|" * len(regions))
    for name in names:
        m = results["methods"][name]
        print(
            f"| {name} | {m['mean_mm']:.2f} | {m['median_mm']:.2f} | {m['std_mm']:.2f} | {m['vs_template']:.2f} | "
            + " | ".join(f"{m['regions_mm'][r]:.2f}" for r in regions)
            + " |"
        )
    print("\nseconds per mesh: " + ", ".join(f"{k} {v:.3f}" for k, v in results["seconds_per_mesh"].items()))


if __name__ == "__main__":
    main()
