"""CUDA kernels vs their peers, in one run (issue #11).

FPFH at 10k / 50k / 100k / 200k points of a face-like surface (radius 5 x the point spacing,
max_nn 100, float32): the kernels (grid and brute-force neighbour search) vs the PyTorch
reference on the same GPU (its neighbour search is Open3D's on the CPU, so its
histogram-only time is given too) vs Open3D's ``compute_fpfh_feature`` on the CPU; the largest
difference to Open3D's descriptors is checked. ``register`` end to end per pair on the GPU with
the kernels and with ``FACECLI_KERNELS=reference``. The fused dual-path attention vs the
reference at the shapes grid-attn uses (B x 16 cells, 64 channels, 6 x 6): forward, and
forward + backward.

Without a CUDA device only the CPU rows (Open3D, the reference on the CPU) are measured and
the GPU rows say "no CUDA device"; the script itself is unchanged on a GPU machine.
``--emulate`` runs the GPU rows' code on the CPU with the kernels' host build (a check of the
script and of the kernels' arithmetic; its times mean nothing).

Usage:
    python benchmarks/kernels/bench.py --out benchmarks/kernels/results [--sizes 10000,50000,100000,200000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def face_cloud(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """``n`` points of a bumpy spherical cap of radius 100 mm with outward normals, and the
    mean point spacing (mm)."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d[:, 2] = np.abs(d[:, 2])
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    r = 100.0 * (1.0 + 0.05 * np.sin(5 * d[:, 0]) * np.cos(4 * d[:, 1]))
    spacing = float(np.sqrt(2 * np.pi * 100.0**2 / n))
    return (d * r[:, None]).astype(np.float32), d.astype(np.float32), spacing


def best_of(fn: Callable[[], Any], repeats: int, sync: Callable[[], None] = lambda: None) -> float:
    fn()
    sync()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t0)
    return best


def per_call_in_stream(fn: Callable[[], Any], calls: int, sync: Callable[[], None]) -> float:
    """Seconds per call of ``calls`` calls issued back to back (as in a network's forward pass),
    one synchronisation at the end: launch overhead overlaps with the GPU's work."""
    fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    sync()
    return (time.perf_counter() - t0) / calls


def bench_fpfh(sizes: list[int], repeats: int, gpu: bool, emulate: bool = False) -> list[dict[str, Any]]:
    import open3d as o3d
    import torch

    from facecli.features.fpfh import _fpfh_torch, fpfh_reference, hybrid_neighbours
    from facecli.kernels import fpfh as kf

    sync = torch.cuda.synchronize if gpu and not emulate else (lambda: None)
    dev = "cpu" if emulate else "cuda"
    rows = []
    for n in sizes:
        pts, nrm, spacing = face_cloud(n)
        radius, max_nn = 5.0 * spacing, 100
        pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts.astype(np.float64)))
        pc.normals = o3d.utility.Vector3dVector(nrm.astype(np.float64))
        param = o3d.geometry.KDTreeSearchParamHybrid(radius=radius, max_nn=max_nn)
        o3d_feat: list[np.ndarray] = []
        t_o3d = best_of(
            lambda: o3d_feat.append(np.asarray(o3d.pipelines.registration.compute_fpfh_feature(pc, param).data).T),
            repeats,
        )
        row: dict[str, Any] = {"points": n, "radius_mm": round(radius, 3), "max_nn": max_nn, "open3d_cpu_s": t_o3d}
        if not gpu:
            row["reference_cpu_s"] = best_of(lambda: fpfh_reference(pts, nrm, radius, max_nn), repeats)
            rows.append(row)
            continue
        row["reference_gpu_s"] = best_of(lambda: fpfh_reference(pts, nrm, radius, max_nn, device=dev), repeats, sync)
        idx, d2, cnt = hybrid_neighbours(pts, radius, max_nn)
        tp, tn = torch.as_tensor(pts.T.copy(), device=dev), torch.as_tensor(nrm.T.copy(), device=dev)
        ti, td, tc = (torch.as_tensor(a, device=dev) for a in (idx, d2.astype(np.float32), cnt))
        row["reference_gpu_histograms_only_s"] = best_of(lambda: _fpfh_torch(tp, tn, ti, td, tc, 16384), repeats, sync)
        gp, gn = torch.as_tensor(pts, device=dev), torch.as_tensor(nrm, device=dev)
        backend = kf.host_backend() if emulate else kf.cuda_backend()
        for search in kf.SEARCHES:
            out: list[Any] = []
            row[f"kernel_{search}_s"] = best_of(
                lambda: out.append(kf.fpfh_tensors(gp, gn, radius, max_nn, backend, search=search)), repeats, sync
            )
            row[f"kernel_{search}_max_abs_diff_vs_open3d"] = float(np.abs(out[-1].cpu().numpy() - o3d_feat[-1]).max())
        best = min(row["kernel_grid_s"], row["kernel_brute_s"])
        row["speedup_vs_open3d"] = t_o3d / best
        row["speedup_vs_reference_gpu"] = row["reference_gpu_s"] / best
        row["speedup_vs_reference_gpu_histograms_only"] = row["reference_gpu_histograms_only_s"] / best
        rows.append(row)
        print(
            f"fpfh {n}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items() if isinstance(v, float)), file=sys.stderr
        )
    return rows


def bench_attention(batches: list[int], repeats: int, gpu: bool, emulate: bool = False) -> list[dict[str, Any]]:
    import torch

    from facecli.kernels import attention as ka
    from facecli.models.attention import DualPathAttention, dual_path_attention_reference

    if not gpu:
        return []
    dev = "cpu" if emulate else "cuda"
    sync = (lambda: None) if emulate else torch.cuda.synchronize
    fused = (
        (lambda *a: ka.fused_dual_path_attention(*a, backend=ka.host_backend()))
        if emulate
        else ka.fused_dual_path_attention
    )
    torch.manual_seed(0)
    m = DualPathAttention(64).to(dev)
    params = (m.fc1.weight, m.fc1.bias, m.fc2.weight, m.fc2.bias, m.spatial.weight, m.spatial.bias)
    rows = []
    for b in batches:
        x = torch.randn(b * 16, 64, 6, 6, device=dev, requires_grad=True)
        with torch.no_grad():
            t_ref = best_of(lambda: dual_path_attention_reference(x, *params), repeats, sync)
            t_ker = best_of(lambda: fused(x, *params), repeats, sync)
            diff = float((fused(x, *params)[0] - dual_path_attention_reference(x, *params)[0]).abs().max())
            s_ref = per_call_in_stream(lambda: dual_path_attention_reference(x, *params), 200, sync)
            s_ker = per_call_in_stream(lambda: fused(x, *params), 200, sync)

        def train_step(fn: Callable[..., Any]) -> None:
            y = fn(x, *params)[0]
            torch.autograd.grad(y.square().sum(), (x, *params))

        t_ref_fb = best_of(lambda: train_step(dual_path_attention_reference), repeats, sync)
        t_ker_fb = best_of(lambda: train_step(fused), repeats, sync)
        rows.append(
            {
                "shape": [b * 16, 64, 6, 6],
                "reference_forward_ms": 1e3 * t_ref,
                "fused_forward_ms": 1e3 * t_ker,
                "forward_speedup": t_ref / t_ker,
                "reference_forward_in_stream_ms": 1e3 * s_ref,
                "fused_forward_in_stream_ms": 1e3 * s_ker,
                "forward_in_stream_speedup": s_ref / s_ker,
                "reference_train_step_ms": 1e3 * t_ref_fb,
                "fused_train_step_ms": 1e3 * t_ker_fb,
                "train_step_speedup": t_ref_fb / t_ker_fb,
                "max_abs_diff": diff,
            }
        )
        print(f"attention {rows[-1]}", file=sys.stderr)
    return rows


def bench_register(pairs: int, gpu: bool, work: Path) -> dict[str, Any]:
    if not gpu:
        return {}
    from facecli.registration.jobs import STAGES

    exe = Path(sys.executable).parent / "facecli"
    data = work / "pairs"
    subprocess.run(
        [str(exe), "--seed", "0", "synth", "pairs", "-o", str(data), "--count", str(pairs)],
        check=True,
        capture_output=True,
    )
    out: dict[str, Any] = {"pairs": pairs}
    for name, env in (("kernels", {}), ("reference", {"FACECLI_KERNELS": "reference"})):
        res = subprocess.run(
            [
                str(exe),
                "--seed",
                "0",
                "--device",
                "cuda",
                "register",
                "--pairs",
                str(data),
                "-o",
                str(work / f"reg_{name}.h5"),
                "--json",
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        )
        summary = json.loads(res.stdout)
        out[f"{name}_s_per_pair_with_start_up"] = summary["seconds"] / pairs
        # per-pair stage times from the output file; the first pair pays the CUDA start-up
        import h5py

        with h5py.File(work / f"reg_{name}.h5", "r") as f:
            found: list[np.ndarray] = []
            f.visititems(lambda key, obj: found.append(obj[()]) if key.endswith("seconds") else None)
        secs = np.concatenate([a.reshape(-1, len(STAGES)) for a in found])[1:]
        out[f"{name}_median_s_per_pair"] = float(np.median(secs.sum(axis=1)))
        out[f"{name}_median_s_per_stage"] = {k: float(v) for k, v in zip(STAGES, np.median(secs, axis=0))}
    out["speedup"] = out["reference_median_s_per_pair"] / out["kernels_median_s_per_pair"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,50000,100000,200000")
    ap.add_argument("--attention-batches", default="32,256")
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--emulate", action="store_true", help="run the GPU rows on the CPU with the kernels' host build")
    args = ap.parse_args()

    import torch

    import facecli.kernels as kernels

    gpu = torch.cuda.is_available() or args.emulate
    res: dict[str, Any] = {
        "emulated_on_cpu": args.emulate,
        "machine": platform.processor() or platform.machine(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device",
        "torch": torch.__version__,
        "kernels": kernels.status(),
        "cpu_threads": torch.get_num_threads(),
    }
    work = (args.out or Path("benchmarks/kernels/results")) / "work"
    work.mkdir(parents=True, exist_ok=True)
    res["fpfh"] = bench_fpfh([int(s) for s in args.sizes.split(",")], args.repeats, gpu, args.emulate)
    res["attention"] = bench_attention(
        [int(b) for b in args.attention_batches.split(",")], max(args.repeats, 20), gpu, args.emulate
    )
    res["register"] = bench_register(args.pairs, gpu and not args.emulate, work)
    print(
        f"\n{res['gpu']}; kernels: {res['kernels']}"
        + (
            "\nEMULATED on the CPU with the kernels' host build: "
            "the kernel columns check the arithmetic, their times are not GPU times"
            if args.emulate
            else ""
        )
        + "\n"
    )
    print(
        "| FPFH points | Open3D CPU (s) | reference GPU (s) | reference GPU, histograms only (s) | kernel grid (s) "
        "| kernel brute (s) | × Open3D | × reference | max diff vs Open3D "
        "|\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in res["fpfh"]:
        g = lambda k, f="{:.4f}": f.format(r[k]) if k in r else "–"  # noqa: E731
        diff = max(r.get("kernel_grid_max_abs_diff_vs_open3d", 0), r.get("kernel_brute_max_abs_diff_vs_open3d", 0))
        print(
            f"| {r['points']} | {r['open3d_cpu_s']:.4f} | {g('reference_gpu_s')} | "
            f"{g('reference_gpu_histograms_only_s')} "
            f"| {g('kernel_grid_s')} | {g('kernel_brute_s')} | {g('speedup_vs_open3d', '{:.1f}')} "
            f"| {g('speedup_vs_reference_gpu', '{:.1f}')} | {diff:.2g} |"
            if gpu
            else f"| {r['points']} | {r['open3d_cpu_s']:.4f} | – (CPU: {r['reference_cpu_s']:.4f}) | – | – | – | – "
            "| – | – |"
        )
    if res["attention"]:
        print(
            "\n| attention shape | reference fwd (ms) | fused fwd (ms) | × | in a stream: reference (ms) | fused (ms) "
            "| × | reference train step (ms) | fused (ms) | × |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        )
        for r in res["attention"]:
            print(
                f"| {r['shape']} | {r['reference_forward_ms']:.3f} | {r['fused_forward_ms']:.3f} | "
                f"{r['forward_speedup']:.1f} | {r['reference_forward_in_stream_ms']:.3f} | "
                f"{r['fused_forward_in_stream_ms']:.3f} | {r['forward_in_stream_speedup']:.1f} | "
                f"{r['reference_train_step_ms']:.3f} | {r['fused_train_step_ms']:.3f} | {r['train_step_speedup']:.1f} |"
            )
    if res["register"]:
        print(f"\nregister per pair on the GPU: {res['register']}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "kernels.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
