"""facecli normals: geometry exactness and speed, and the image path (CAP vs the source
system's Sobel method vs CAP without the atrous cascade), clean and with pixel noise.

Run (about 20 minutes on 2 CPU cores, most of it training the ablation):

  .venv/bin/python benchmarks/normals/bench.py --out benchmarks/normals/results

Options reuse data/models when given: --train DIR (a 'synth images' set, default: generated
with --seed 0, 1600 images at 128 px, the shipped model's recipe), --ablation MODEL
(default: trained here with the shipped model's recipe and --no-atrous), --cap MODEL
(default: the shipped model). Held-out images are generated with --seed 1 (other people).
Prints markdown tables and writes results.json.

--baseline CLI times another facecli executable on the same meshes in the same run, the two
alternating (--rounds, 2 workers): wall and CPU seconds, their ratio, and the largest angle
between the two runs' normal maps. benchmarks/baseline_cli.py makes a launcher of an older commit:

  .venv/bin/python benchmarks/baseline_cli.py e2f6211 /tmp/oldtree
  .venv/bin/python benchmarks/normals/bench.py --skip-image --baseline /tmp/oldtree/facecli-baseline --out /tmp/nb
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

FACECLI = str(Path(sys.executable).parent / "facecli")


def analytic_shapes(sizes: list[int]) -> list[dict]:
    import trimesh

    from facecli.geometry.raycast import MeshCaster
    from facecli.geometry.view import fit_view
    from facecli.metrics.normals import angular_errors

    rows = []
    for name, axes in (("sphere r=50", (50.0, 50.0, 50.0)), ("ellipsoid 60x80x40", (60.0, 80.0, 40.0))):
        ico = trimesh.creation.icosphere(subdivisions=5)
        v = np.asarray(ico.vertices) * axes
        for shading in ("smooth", "flat"):
            caster = MeshCaster(v, np.asarray(ico.faces), shading=shading)
            view = fit_view(v)
            for s, m in caster.render_scales(view, sizes).items():
                a, b, c = axes
                xy = view.pixel_centres(s)
                q = 1 - (xy[:, 0] / a) ** 2 - (xy[:, 1] / b) ** 2
                z = c * np.sqrt(np.clip(q, 0, None))
                gt = np.stack([xy[:, 0] / a**2, xy[:, 1] / b**2, z / c**2], 1)
                gt = (gt / np.linalg.norm(gt, axis=1, keepdims=True)).reshape(s, s, 3)
                both = m.mask & (q.reshape(s, s) > 0)
                e_all = angular_errors(m.normals, gt, both)
                e_in = angular_errors(m.normals, gt, both & (gt[..., 2] > 0.3))
                rows.append(
                    {
                        "shape": name,
                        "shading": shading,
                        "scale": s,
                        "mean_deg": float(e_all.mean()),
                        "mean_deg_nz>0.3": float(e_in.mean()),
                        "max_deg_nz>0.3": float(e_in.max()),
                        "unit_max_dev": float(np.abs(np.linalg.norm(m.normals[m.mask], axis=1) - 1).max()),
                    }
                )
    return rows


def renderer_agreement(size: int = 128, count: int = 10) -> dict:
    """Our ortho ray caster vs the synth renderer (perspective camera put 100 m away)."""
    from facecli.geometry.raycast import MeshCaster
    from facecli.geometry.view import fit_view
    from facecli.metrics.normals import angular_errors
    from facecli.seeding import rng_for
    from facecli.synth.face_model import build_vertices, sample_identity
    from facecli.synth.render import Camera, render_face
    from facecli.synth.template import get_template

    tpl = get_template()
    errs = []
    iou = []
    for k in range(count):
        v = build_vertices(sample_identity(rng_for(7, "bench-normals", k)), {})
        width, dist = 240.0, 1e5
        cam = Camera(width=size, height=size, focal=size * dist / width, distance=dist)
        ref = render_face(v, tpl.faces, np.stack([tpl.x, tpl.y], 1), sample_identity(rng_for(7, "a", k)).albedo, cam)
        ours = MeshCaster(v, tpl.faces, manifold_check=False).render(fit_view(v, width=width, centre=(0, 0)), size)
        both = ref.mask & ours.mask
        iou.append(both.sum() / (ref.mask | ours.mask).sum())
        errs.append(angular_errors(ours.normals, ref.normals, both))
    e = np.concatenate(errs)
    return {
        "faces": count,
        "size": size,
        "mean_deg": float(e.mean()),
        "p99_deg": float(np.percentile(e, 99)),
        "mask_iou": float(np.mean(iou)),
    }


def throughput(mesh_dir: Path, sizes: list[int], out: Path) -> dict:
    from facecli.geometry.raycast import MeshCaster
    from facecli.geometry.view import fit_view
    from facecli.io.mesh import read_mesh

    files = sorted(mesh_dir.rglob("*.obj"))
    meshes = [read_mesh(f) for f in files]
    t0 = time.perf_counter()
    for m in meshes:
        MeshCaster(m.vertices, m.faces).render_scales(fit_view(m.vertices), sizes)
    compute = len(meshes) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for f in files:
        read_mesh(f)
    read_rate = len(files) / (time.perf_counter() - t0)
    res = {
        "meshes": len(files),
        "vertices": int(len(meshes[0].vertices)),
        "triangles": int(len(meshes[0].faces)),
        "compute_only_per_s_1proc": compute,
        "obj_read_per_s": read_rate,
    }
    t0 = time.perf_counter()
    subprocess.run(
        [FACECLI, "-q", "normals", str(files[0]), "-o", str(out / "one.h5"), "--scales", ",".join(map(str, sizes))],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    res["cli_one_mesh_s"] = time.perf_counter() - t0
    for workers in (1, 2):
        t0 = time.perf_counter()
        subprocess.run(
            [
                FACECLI,
                "-q",
                "normals",
                str(mesh_dir),
                "--pattern",
                "*.obj",
                "-o",
                str(out / f"tp{workers}.h5"),
                "--scales",
                ",".join(map(str, sizes)),
                "--workers",
                str(workers),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        res[f"cli_per_s_workers{workers}"] = len(files) / (time.perf_counter() - t0)
    return res


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (/proc/stat): it counts the workers, which a
    forkserver starts outside this process's children, on an otherwise idle machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _timed_cli(cli: str, mesh_dir: Path, sizes: list[int], out: Path) -> tuple[float, float]:
    """Wall and busy-CPU seconds of one 2-worker ``normals`` run."""
    out.unlink(missing_ok=True)
    before = _busy_cpu_seconds()
    t0 = time.perf_counter()
    subprocess.run(
        [cli, "-q", "normals", str(mesh_dir), "--pattern", "*.obj", "-o", str(out)]
        + ["--scales", ",".join(map(str, sizes)), "--workers", "2"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0, _busy_cpu_seconds() - before


def paired(mesh_dir: Path, sizes: list[int], out: Path, baseline: str, rounds: int) -> dict:
    """This facecli against ``baseline``, alternating, on the same meshes; and how far apart the maps are."""
    import h5py

    files = sorted(mesh_dir.rglob("*.obj"))
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "current": []}
    for _ in range(rounds):
        runs["baseline"].append(_timed_cli(baseline, mesh_dir, sizes, out / "paired_baseline.h5"))
        runs["current"].append(_timed_cli(FACECLI, mesh_dir, sizes, out / "paired_current.h5"))
    worst = 0.0
    with h5py.File(out / "paired_baseline.h5") as a, h5py.File(out / "paired_current.h5") as b:
        assert list(a["ids"][()]) == list(b["ids"][()])
        for s in sizes:
            assert np.array_equal(a[f"mask_{s}"][()], b[f"mask_{s}"][()])
            na = a[f"normals_{s}"][()].astype(np.float64)
            nb = b[f"normals_{s}"][()].astype(np.float64)
            cos = (na * nb).sum(-1) / np.maximum(np.linalg.norm(na, axis=-1) * np.linalg.norm(nb, axis=-1), 1e-12)
            worst = max(worst, float(np.degrees(np.arccos(np.clip(cos[a[f"mask_{s}"][()]], -1.0, 1.0))).max()))
        size = {k: os.path.getsize(out / f"paired_{k}.h5") / len(files) / 1e3 for k in runs}
    med = {k: np.median(np.array(v), axis=0) for k, v in runs.items()}
    return {
        "meshes": len(files),
        "rounds": rounds,
        "runs": runs,
        "median_meshes_per_s": {k: len(files) / m[0] for k, m in med.items()},
        "median_cpu_ms_per_mesh": {k: 1e3 * m[1] / len(files) for k, m in med.items()},
        "speed_ratio": float(med["baseline"][0] / med["current"][0]),
        "cpu_ratio": float(med["current"][1] / med["baseline"][1]),
        "kb_per_mesh": size,
        "max_angle_between_maps_deg": worst,
    }


def image_path(train: Path, test: Path, cap: Path | None, ablation: Path, sigmas: list[float]) -> dict:
    import torch

    from facecli.metrics.normals import angular_errors, summarize_angles
    from facecli.normalmaps.predictor import load_cap
    from facecli.normalmaps.renders import load_render_set
    from facecli.normalmaps.sobel import sobel_normals
    from facecli.seeding import rng_for

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    data = load_render_set(test)
    fit_set = load_render_set(train, limit=200)
    # the Sobel baseline gets its best height scale, chosen on training images
    grid = [0.5, 1, 2, 4, 8, 16, 32]
    fit_err = {}
    for g in grid:
        e = [
            angular_errors(sobel_normals(im, g), n, m)
            for im, n, m in zip(fit_set.images, fit_set.normals, fit_set.masks)
        ]
        fit_err[g] = float(np.concatenate(e).mean())
    best = min(fit_err, key=fit_err.get)
    models = {"CAP (shipped, atrous 1-2-4-8)": load_cap(cap), "CAP without atrous cascade": load_cap(ablation)}
    rows = []
    for sigma in sigmas:
        rng = rng_for(0, "bench-noise", int(sigma * 1000))
        noisy = data.images.astype(np.float32) / 255 + rng.normal(0, sigma, data.images.shape)
        imgs = (np.clip(noisy, 0, 1) * 255 + 0.5).astype(np.uint8)
        s = data.images.shape[1]
        e = np.concatenate(
            [angular_errors(sobel_normals(im, best), n, m) for im, n, m in zip(imgs, data.normals, data.masks)]
        )
        rows.append(
            {
                "method": f"Sobel on grey (source system; strength {best:g} fitted)",
                "sigma": sigma,
                **summarize_angles(e),
            }
        )
        for name, pred in models.items():
            out = []
            t0 = time.perf_counter()
            for i in range(0, len(imgs), 32):
                n_pred, _ = pred.predict(imgs[i : i + 32], [s])[s]
                out.append(n_pred)
            secs = time.perf_counter() - t0
            p = np.concatenate(out)
            e = angular_errors(p, data.normals, data.masks)
            rows.append({"method": name, "sigma": sigma, **summarize_angles(e), "images_per_s": len(imgs) / secs})
    return {
        "test_images": len(data.ids),
        "sobel_fit": fit_err,
        "rows": rows,
        "params": {k: sum(p.numel() for p in m.net.parameters()) for k, m in models.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/normals/results"))
    ap.add_argument("--train", type=Path, default=None)
    ap.add_argument("--cap", type=Path, default=None)
    ap.add_argument("--ablation", type=Path, default=None)
    ap.add_argument("--test-count", type=int, default=200)
    ap.add_argument("--meshes", type=int, default=80, help="subjects x 2 expressions for the speed test")
    ap.add_argument("--skip-image", action="store_true")
    ap.add_argument("--baseline", default=None, help="another facecli executable to time against this one")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the --baseline comparison")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [256, 128, 64]
    res: dict = {"cpu_count": os.cpu_count()}
    res["analytic"] = analytic_shapes(sizes)
    res["renderer"] = renderer_agreement()
    mesh_dir = args.out / "faces3d"
    if not mesh_dir.exists():
        subprocess.run(
            [
                FACECLI,
                "-q",
                "--seed",
                "3",
                "synth",
                "faces3d",
                "-o",
                str(mesh_dir),
                "--subjects",
                str(args.meshes // 2),
                "--expressions",
                "2",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    res["throughput"] = throughput(mesh_dir, sizes, args.out)
    if args.baseline:
        res["paired"] = paired(mesh_dir, sizes, args.out, args.baseline, args.rounds)
    if not args.skip_image:
        train = args.train or args.out / "train"
        if not (train / "synth_gt.h5").exists():
            subprocess.run(
                [
                    FACECLI,
                    "-q",
                    "--seed",
                    "0",
                    "synth",
                    "images",
                    "-o",
                    str(train),
                    "--count",
                    "1600",
                    "--size",
                    "128",
                    "--scheme",
                    "ibug68",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        test = args.out / "test"
        if not (test / "synth_gt.h5").exists():
            subprocess.run(
                [
                    FACECLI,
                    "-q",
                    "--seed",
                    "1",
                    "synth",
                    "images",
                    "-o",
                    str(test),
                    "--count",
                    str(args.test_count),
                    "--size",
                    "128",
                    "--scheme",
                    "ibug68",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        ablation = args.ablation
        if ablation is None:
            ablation = args.out / "cap_no_atrous.pt"
            subprocess.run(
                [FACECLI, "-q", "--seed", "0", "normals", "train", str(train), "-o", str(ablation), "--no-atrous"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        res["image"] = image_path(train, test, args.cap, ablation, [0.0, 0.02, 0.05])
    (args.out / "results.json").write_text(json.dumps(res, indent=2))
    print_tables(res)


def print_tables(res: dict) -> None:
    print("\n## Geometry: ray-cast normals vs analytic normals (deg)\n")
    print("| shape | shading | scale | mean (all hits) | mean (n_z>0.3) | max (n_z>0.3) | max abs(norm-1) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in res["analytic"]:
        print(
            f"| {r['shape']} | {r['shading']} | {r['scale']} | {r['mean_deg']:.3f} | {r['mean_deg_nz>0.3']:.3f} | "
            f"{r['max_deg_nz>0.3']:.3f} | {r['unit_max_dev']:.1e} |"
        )
    rd = res["renderer"]
    print(
        f"\nvs the synth renderer (far perspective camera), {rd['faces']} faces at {rd['size']} px: mean "
        f"{rd['mean_deg']:.4f} deg, p99 {rd['p99_deg']:.4f} deg, mask IoU {rd['mask_iou']:.4f}"
    )
    tp = res["throughput"]
    print(
        f"\n## Speed at 256/128/64 ({tp['meshes']} meshes of {tp['vertices']} vertices / {tp['triangles']} triangles)\n"
    )
    print("| what | meshes/s |")
    print("|---|---:|")
    for k in ("compute_only_per_s_1proc", "obj_read_per_s", "cli_per_s_workers1", "cli_per_s_workers2"):
        print(f"| {k} | {tp[k]:.1f} |")
    print(f"\nCLI start-up + one mesh: {tp['cli_one_mesh_s']:.2f} s (imports of numpy, open3d, h5py)")
    if "paired" in res:
        pr = res["paired"]
        print(f"\n## Paired with --baseline: {pr['meshes']} meshes, 2 workers, {pr['rounds']} alternating rounds\n")
        print("| run | meshes/s (median) | CPU ms per mesh (median) | KB per mesh |")
        print("|---|---:|---:|---:|")
        for k in ("baseline", "current"):
            print(
                f"| {k} | {pr['median_meshes_per_s'][k]:.1f} | {pr['median_cpu_ms_per_mesh'][k]:.0f} | "
                f"{pr['kb_per_mesh'][k]:.0f} |"
            )
        print(
            f"\nspeed-up {pr['speed_ratio']:.2f}x, CPU {pr['cpu_ratio']:.2f}x of the baseline's; largest angle "
            f"between the two runs' maps {pr['max_angle_between_maps_deg']:.4f} deg"
        )
    if "image" in res:
        im = res["image"]
        print(f"\n## Images: held-out synthetic renders ({im['test_images']} people not in training), 128 px\n")
        print("| method | noise sigma | mean deg | median deg | <11.25 | <22.5 | <30 |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in im["rows"]:
            print(
                f"| {r['method']} | {r['sigma']:g} | {r['mean_deg']:.2f} | {r['median_deg']:.2f} | "
                f"{r['pct_under_11.25']:.1f}% | {r['pct_under_22.5']:.1f}% | {r['pct_under_30']:.1f}% |"
            )
        print(f"\nparameters: {im['params']}")


if __name__ == "__main__":
    main()
