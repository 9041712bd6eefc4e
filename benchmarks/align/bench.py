"""facecli align (MuSiCa) on held-out synthetic WFLW-layout faces: full cascade vs early
exit vs a mean-shape-in-box baseline, side by side in one run; speed, size and MACs.

Run:
  facecli --seed 0 synth images -o /tmp/al/train --count 2400 --size 160
  facecli --seed 1 synth images -o /tmp/al/test --count 400 --size 160
  facecli --seed 0 align train /tmp/al/train --split all -o musica.pt        # or use the shipped model
  .venv/bin/python benchmarks/align/bench.py --test /tmp/al/test --out benchmarks/align/results

The test faces are other synthetic people than the training ones (another seed). All
methods get the annotation's face box. The baseline places the model's mean shape in
the same crop. Early exit is run at several thresholds on the predicted NME; the
table reports NME/FR/AUC (inter-ocular, threshold 0.1), the share of faces leaving at
each iteration, and the change in NME against the full cascade. Speed: milliseconds
per face with one thread and batch 1 (crop + network; the median over the faces and
rounds, with the NCHW reference path of the patch features timed in the same rounds),
and faces per second in batches of 64 with --threads threads. MACs are counted with torch's FLOP counter
(multiply-adds = FLOPs / 2) for one face through the full cascade.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--test", type=Path, required=True, help="WFLW-layout root of held-out faces")
    ap.add_argument("--model", type=Path, default=None, help="model file [the shipped one]")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/align/results"))
    ap.add_argument("--thresholds", default="0.02,0.03,0.04,0.05,0.06,0.08")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--speed-rounds", type=int, default=3, help="rounds of one-face timings (the median is reported)")
    args = ap.parse_args()

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from facecli.io.image import read_image
    from facecli.landmarks2d.crop import crop_transform, from_normalised, invert_affine, transform_points, warp_crop
    from facecli.landmarks2d.data import load_alignment_set
    from facecli.landmarks2d.predictor import DEFAULT_MUSICA, load_musica
    from facecli.metrics.align import nme, summarize_nme

    model_path = args.model or DEFAULT_MUSICA
    net, obj = load_musica(model_path)
    cfg = net.config
    faces = load_alignment_set(args.test, split="all")
    images = [read_image(f.image, grey=True) for f in faces]
    gt = np.stack([f.landmarks for f in faces]).astype(np.float64)
    mats = [crop_transform(f.box, cfg.crop, cfg.margin) for f in faces]
    crops = torch.from_numpy(np.stack([warp_crop(im, m, cfg.crop) for im, m in zip(images, mats)])[:, None])

    def to_image(shapes: np.ndarray) -> np.ndarray:
        return np.stack(
            [transform_points(invert_affine(m), from_normalised(s, cfg.crop)) for m, s in zip(mats, shapes)]
        )

    torch.set_num_threads(args.threads)
    res: dict = {
        "faces": len(faces),
        "model": model_path.name,
        "trained_on": obj["meta"].get("trained_on"),
        "threads": args.threads,
        "machine": platform.processor() or platform.machine(),
        "methods": {},
    }
    with torch.inference_mode():
        full = net(crops)
    mean = to_image(net.mean_shape.expand(len(faces), -1, -1).numpy())
    e_mean = nme(mean, gt)
    res["methods"]["mean shape in box"] = summarize_nme(e_mean)
    per_it = [nme(to_image(s.numpy()), gt) for s in full.shapes]
    e_full = per_it[-1]
    res["methods"]["full cascade"] = {**summarize_nme(e_full), "exit_share": [0.0] * (cfg.iterations - 1) + [1.0]}
    res["per_iteration_nme_pct"] = [float(100 * e.mean()) for e in per_it]
    res["predicted_vs_true_error_pearson"] = [
        float(np.corrcoef(full.errors[k].numpy(), per_it[k])[0, 1]) for k in range(cfg.iterations)
    ]
    for thr in (float(t) for t in args.thresholds.split(",")):
        with torch.inference_mode():
            out = net(crops, exit_threshold=thr)
        e = nme(to_image(out.final.numpy()), gt)
        it = out.exit_iteration.numpy()
        res["methods"][f"early exit < {thr:g}"] = {
            **summarize_nme(e),
            "threshold": thr,
            "exit_share": [float((it == k + 1).mean()) for k in range(cfg.iterations)],
            "delta_nme_points": float(100 * (e.mean() - e_full.mean())),
        }
    ok = [m for m in res["methods"].values() if "threshold" in m and m["delta_nme_points"] <= 0.1]
    best = max(ok, key=lambda m: 1 - m["exit_share"][-1]) if ok else None
    res["best_threshold_within_0.1"] = best["threshold"] if best else None

    # speed: one face at a time on one thread (crop + network), the median over the faces and
    # over --speed-rounds rounds (robust to a busy machine); the NCHW reference path of the
    # patch features (nn.Conv2d, what autograd uses) and the early exit take turns with the
    # full cascade face by face, so the ratios are paired
    torch.set_num_threads(1)
    one = crops[:1]

    def per_face(i: int, thr: float | None) -> float:
        m = crop_transform(faces[i].box, cfg.crop, cfg.margin)
        t0 = time.perf_counter()
        x = torch.from_numpy(warp_crop(images[i], m, cfg.crop)[None, None])
        net(x, exit_threshold=thr)
        return time.perf_counter() - t0

    def use_reference(on: bool) -> None:
        for f in net.features:
            if on:
                f.forward = f.reference
            elif "forward" in f.__dict__:
                del f.forward

    paths = [("full", None, False), ("full_reference_path", None, True)]
    if best is not None:
        paths.append(("early", best["threshold"], False))
    samples: dict[str, list[float]] = {name: [] for name, *_ in paths}
    n_speed = min(200, len(faces))
    with torch.inference_mode():
        for _ in range(10):
            net(one)
        for _ in range(args.speed_rounds):
            for i in range(n_speed):  # the paths take turns face by face: a busy spell hits all of them alike
                for name, thr, ref in paths:
                    use_reference(ref)
                    samples[name].append(per_face(i, thr))
        use_reference(False)
    timings = {f"ms_per_face_1_thread_{name}": 1000 * float(np.median(v)) for name, v in samples.items()}
    timings.update({f"ms_per_face_1_thread_{name}_mean": 1000 * float(np.mean(v)) for name, v in samples.items()})
    timings["fast_path_speedup_vs_reference"] = float(
        np.median(samples["full_reference_path"]) / np.median(samples["full"])
    )
    if best is not None:
        with torch.inference_mode():
            timings["mean_iterations_early"] = float(
                net(crops, exit_threshold=best["threshold"]).exit_iteration.float().mean()
            )
    torch.set_num_threads(args.threads)
    with torch.inference_mode():
        net(crops[:64])
        t0 = time.perf_counter()
        for a in range(0, len(faces), 64):
            net(crops[a : a + 64])
        timings[f"faces_per_s_batch64_{args.threads}_threads"] = len(faces) / (time.perf_counter() - t0)
    res["speed"] = timings
    with FlopCounterMode(display=False) as fc, torch.inference_mode():
        net(one)
    res["macs_per_face"] = fc.get_total_flops() / 2
    res["parameters"] = int(sum(p.numel() for p in net.parameters()))
    res["model_file_mb"] = model_path.stat().st_size / 1e6
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(res, indent=1))

    print(f"\n{len(faces)} held-out synthetic faces (WFLW layout, 98 points); model {model_path.name}\n")
    print(
        "| method | NME % | FR@0.1 % | AUC@0.1 | exit at iteration "
        f"{' / '.join(str(k + 1) for k in range(cfg.iterations))} | ΔNME vs full (points) |"
    )
    print("|---|---:|---:|---:|---|---:|")
    for name, m in res["methods"].items():
        share = " / ".join(f"{100 * s:.0f} %" for s in m["exit_share"]) if "exit_share" in m else "–"
        delta = f"{m['delta_nme_points']:+.3f}" if "delta_nme_points" in m else "–"
        print(f"| {name} | {m['nme_pct']:.2f} | {m['fr@0.1_pct']:.2f} | {m['auc@0.1']:.4f} | {share} | {delta} |")
    print(f"\nNME after each iteration (full cascade): {', '.join(f'{v:.2f} %' for v in res['per_iteration_nme_pct'])}")
    print(
        "predicted vs true NME, Pearson r per iteration: "
        f"{', '.join(f'{v:.2f}' for v in res['predicted_vs_true_error_pearson'])}"
    )
    print(f"best threshold with ΔNME <= 0.1 points: {res['best_threshold_within_0.1']}")
    print("speed: " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    print(
        f"MACs per face {res['macs_per_face'] / 1e6:.1f} M; parameters {res['parameters']:,}; "
        f"model file {res['model_file_mb']:.2f} MB"
    )


if __name__ == "__main__":
    main()
