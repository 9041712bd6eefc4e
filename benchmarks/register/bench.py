"""facecli register vs Open3D 0.20, side by side on the same synthetic face-scan pairs.

Run:  .venv/bin/python benchmarks/register/bench.py --pairs 100 --out benchmarks/register/results
Prints a markdown table and writes results.json (+ per-pair CSV). Every pipeline is
timed from the raw point arrays (voxel grid, normals, features, matching, solve,
refinement); all get the same voxel size, normal and FPFH radii and the same
oriented normals, so only the algorithms differ. Ratios matter, not absolute times.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np


def o3d_pipelines(src: np.ndarray, tgt: np.ndarray, voxel: float, seed: int) -> dict[str, tuple[np.ndarray, float]]:
    import open3d as o3d

    from facecli.registration.preprocess import estimate_normals, voxel_downsample

    reg = o3d.pipelines.registration

    def cloud(p: np.ndarray, n: np.ndarray):
        c = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p))
        c.normals = o3d.utility.Vector3dVector(n)
        return c

    out: dict[str, tuple[np.ndarray, float]] = {}
    t0 = time.perf_counter()
    a, b = voxel_downsample(src, voxel), voxel_downsample(tgt, voxel)
    A, B = cloud(a, estimate_normals(a, 2 * voxel)), cloud(b, estimate_normals(b, 2 * voxel))
    param = o3d.geometry.KDTreeSearchParamHybrid(radius=5 * voxel, max_nn=100)
    fa, fb = reg.compute_fpfh_feature(A, param), reg.compute_fpfh_feature(B, param)
    shared = time.perf_counter() - t0
    for name, dmu in (("Open3D FGR (defaults)", False), ("Open3D FGR (decrease_mu)", True)):
        t0 = time.perf_counter()
        opt = reg.FastGlobalRegistrationOption(maximum_correspondence_distance=1.5 * voxel, decrease_mu=dmu)
        r = reg.registration_fgr_based_on_feature_matching(A, B, fa, fb, opt)
        out[name] = (np.asarray(r.transformation), shared + time.perf_counter() - t0)
    t0 = time.perf_counter()
    o3d.utility.random.seed(seed)
    r = reg.registration_ransac_based_on_feature_matching(
        A,
        B,
        fa,
        fb,
        True,
        1.5 * voxel,
        reg.TransformationEstimationPointToPoint(False),
        3,
        [reg.CorrespondenceCheckerBasedOnEdgeLength(0.9), reg.CorrespondenceCheckerBasedOnDistance(1.5 * voxel)],
        reg.RANSACConvergenceCriteria(100000, 0.999),
    )
    t_ransac = shared + time.perf_counter() - t0
    out["Open3D RANSAC"] = (np.asarray(r.transformation), t_ransac)
    t0 = time.perf_counter()
    full_t = cloud(tgt, estimate_normals(tgt, 2 * voxel))
    icp = reg.registration_icp(
        o3d.geometry.PointCloud(o3d.utility.Vector3dVector(src)),
        full_t,
        1.5 * voxel,
        r.transformation,
        reg.TransformationEstimationPointToPlane(),
    )
    out["Open3D RANSAC + ICP"] = (np.asarray(icp.transformation), t_ransac + time.perf_counter() - t0)
    return out


def fpfh_timing(sizes: list[int], repeats: int) -> list[dict[str, float]]:
    import open3d as o3d
    import trimesh

    from facecli.features.fpfh import fpfh
    from facecli.registration.preprocess import estimate_normals
    from facecli.synth.face_model import build_vertices, mean_identity
    from facecli.synth.template import get_template

    tpl = get_template()
    mesh = trimesh.Trimesh(build_vertices(mean_identity(), {}), tpl.faces, process=False)
    rows = []
    for n in sizes:
        pts, _ = trimesh.sample.sample_surface(mesh, n, seed=0)
        pts = np.asarray(pts, np.float64)
        spacing = float(np.sqrt(mesh.area / n))
        radius = 5 * 2 * spacing  # the recipe at a voxel of twice the spacing
        nrm = estimate_normals(pts, 2 * 2 * spacing)
        pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
        pc.normals = o3d.utility.Vector3dVector(nrm)
        param = o3d.geometry.KDTreeSearchParamHybrid(radius=radius, max_nn=100)
        fpfh(pts[:1000], nrm[:1000], radius, 100)  # warm-up
        ours, theirs = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            f1 = fpfh(pts, nrm, radius, 100)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            f2 = np.asarray(o3d.pipelines.registration.compute_fpfh_feature(pc, param).data).T
            theirs.append(time.perf_counter() - t0)
        rows.append(
            {
                "points": n,
                "radius_mm": radius,
                "facecli_s": min(ours),
                "open3d_s": min(theirs),
                "ratio": min(ours) / min(theirs),
                "mean_abs_diff": float(np.abs(f1 - f2).mean()),
            }
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=100)
    ap.add_argument("--data", type=Path, default=None, help="existing synth pairs dir (else generated)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/register/results"))
    ap.add_argument("--voxel", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fpfh-sizes", default="10000,50000,100000")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import torch

    from facecli.io.container import ContainerReader
    from facecli.io.mesh import read_points
    from facecli.metrics.registration import score_registrations, summarize_registrations
    from facecli.registration import RegistrationConfig, register_clouds
    from facecli.synth.pairs import write_pairs_dataset

    args.out.mkdir(parents=True, exist_ok=True)
    data = args.data or args.out / "pairs"
    if args.data is None and not (data / "gt.h5").exists():
        write_pairs_dataset(data, count=args.pairs, seed=args.seed, noise=(0.5, 0.5), outliers=(0.0, 0.3))
    gt = ContainerReader(data / "gt.h5", kind="registration")
    ids = gt.ids[: args.pairs]
    truths = {i: t for i, t in zip(gt.ids, gt.read("transform")) if i in ids}
    true_pts = {i: p for i, p in zip(gt.ids, gt.read("source_true")) if i in ids}
    est: dict[str, dict[str, np.ndarray]] = {}
    secs: dict[str, list[float]] = {}
    # warm-up so one-off imports are not charged to the first pair
    s0 = read_points(data / ids[0] / "source.ply").vertices
    register_clouds(s0[::10], s0[::10] + 1.0, RegistrationConfig(voxel=args.voxel))
    for k, pid in enumerate(ids):
        src = read_points(data / pid / "source.ply").vertices
        tgt = read_points(data / pid / "target.ply").vertices
        for name, method in (("facecli FGR + GM", "fgr"), ("facecli RANSAC + GM", "ransac")):
            t0 = time.perf_counter()
            r = register_clouds(
                src, tgt, RegistrationConfig(voxel=args.voxel, method=method, seed=args.seed), key=(pid,)
            )
            secs.setdefault(name, []).append(time.perf_counter() - t0)
            est.setdefault(name, {})[pid] = r.transform
            if method == "fgr":
                est.setdefault("facecli FGR (coarse only)", {})[pid] = r.coarse_transform
        for name, (t, s) in o3d_pipelines(src, tgt, args.voxel, args.seed).items():
            est.setdefault(name, {})[pid] = t
            secs.setdefault(name, []).append(s)
        print(f"[{k + 1}/{len(ids)}] {pid}", flush=True)
    table = []
    for name, e in est.items():
        rows = score_registrations(e, truths, true_pts)
        summ = summarize_registrations(rows)
        t = secs.get(name) or secs["facecli FGR + GM"]
        summ.update(name=name, seconds_median=float(np.median(t)), seconds_mean=float(np.mean(t)))
        table.append(summ)
        with open(
            args.out / f"per_pair_{name.replace(' ', '_').replace('(', '').replace(')', '').replace('+', 'plus')}.csv",
            "w",
            newline="",
        ) as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    ref = next(r for r in table if r["name"] == "Open3D FGR (defaults)")["seconds_mean"]
    fp = fpfh_timing([int(x) for x in args.fpfh_sizes.split(",")], args.repeats)
    meta = {
        "pairs": len(ids),
        "voxel_mm": args.voxel,
        "torch_threads": torch.get_num_threads(),
        "open3d": __import__("open3d").__version__,
        "torch": torch.__version__,
    }
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "pipelines": table, "fpfh": fp}, indent=1))
    print(f"\n{len(ids)} pairs, voxel {args.voxel} mm, torch threads {meta['torch_threads']}\n")
    print(
        "| pipeline | recall (RE<2°, TE<2 mm) | RE median / p95 (°) | TE median / p95 (mm) | s/pair (mean) | time "
        "vs Open3D FGR |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for r in table:
        print(
            f"| {r['name']} | {r['recall']:.3f} | {r['re_median_deg']:.3f} / {r['re_p95_deg']:.3f} | "
            f"{r['te_median_mm']:.3f} / {r['te_p95_mm']:.3f} | {r['seconds_mean']:.3f} | "
            f"{r['seconds_mean'] / ref:.2f} |"
        )
    print("\n| FPFH points | facecli CPU (s) | Open3D (s) | ratio facecli/Open3D | mean abs diff |")
    print("|---:|---:|---:|---:|---:|")
    for r in fp:
        print(
            f"| {r['points']} | {r['facecli_s']:.3f} | {r['open3d_s']:.3f} | {r['ratio']:.2f} | "
            f"{r['mean_abs_diff']:.4f} |"
        )


if __name__ == "__main__":
    main()
