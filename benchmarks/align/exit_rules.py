"""How much can any early-exit rule save? Rank the faces by a criterion after each iteration,
let the best-ranked share leave there, and report the NME cost against the full cascade.

Two criteria, both available at inference without the ground truth:

- ``predicted``: the model's own predicted NME (what ``--exit-threshold`` uses);
- ``step``: the size of the iteration's update (mean landmark move over the current
  inter-ocular distance), the convergence test of classic cascaded regression.

An ``oracle`` row (faces ranked by their true remaining gain) bounds every rule: if even the
oracle cannot let 30 % of the faces leave at +0.1 NME points, no rule can.

Usage:
    python benchmarks/align/exit_rules.py --test /tmp/al/test [--model M.pt] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--test", type=Path, required=True, help="a WFLW-layout root (e.g. synth images --seed 1)")
    ap.add_argument("--model", type=Path, default=None, help="an 'align train' model (default: the shipped one)")
    ap.add_argument("--shares", default="0.1,0.2,0.3,0.5")
    ap.add_argument("--out", type=Path, default=None, help="write exit_rules.json here")
    args = ap.parse_args()

    import torch

    from facecli.io.image import read_image
    from facecli.landmarks2d.crop import crop_transform, from_normalised, invert_affine, transform_points, warp_crop
    from facecli.landmarks2d.data import load_alignment_set
    from facecli.landmarks2d.predictor import DEFAULT_MUSICA, load_musica
    from facecli.metrics.align import nme

    model = args.model or DEFAULT_MUSICA
    net, _ = load_musica(model)
    cfg = net.config
    faces = load_alignment_set(args.test, split="all")
    gt = np.stack([f.landmarks for f in faces]).astype(np.float64)
    mats = [crop_transform(f.box, cfg.crop, cfg.margin) for f in faces]
    crops = torch.from_numpy(
        np.stack([warp_crop(read_image(f.image, grey=True), m, cfg.crop) for f, m in zip(faces, mats)])[:, None]
    )
    with torch.inference_mode():
        out = net(crops)
    shapes = [s.numpy() for s in out.shapes]

    def to_image(s: torch.Tensor) -> np.ndarray:
        return np.stack([transform_points(invert_affine(m), from_normalised(x, cfg.crop)) for m, x in zip(mats, s)])

    err = np.stack([nme(to_image(s), gt) for s in shapes])  # (T, N)
    eyes = (60, 72) if gt.shape[1] == 98 else (36, 45)
    prev = [net.mean_shape.expand(len(faces), -1, -1).numpy()] + shapes[:-1]
    step = np.stack(
        [
            np.linalg.norm(s - p, axis=2).mean(1) / np.linalg.norm(s[:, eyes[0]] - s[:, eyes[1]], axis=1)
            for s, p in zip(shapes, prev)
        ]
    )
    crit = {
        "predicted": np.stack([e.numpy() for e in out.errors]),
        "step": step,
        "oracle": err - err[-1][None],
    }  # the true remaining gain: lower leaves first
    final = float(err[-1].mean())
    rows = []
    for name, c in crit.items():
        for k in range(len(shapes) - 1):
            for share in (float(s) for s in args.shares.split(",")):
                leave = c[k] <= np.quantile(c[k], share)
                e = np.where(leave, err[k], err[-1])
                rows.append(
                    {
                        "criterion": name,
                        "exit_after": k + 1,
                        "share": float(leave.mean()),
                        "delta_nme_points": float(100 * (e.mean() - final)),
                    }
                )
    res = {
        "model": model.name,
        "faces": len(faces),
        "per_iteration_nme_pct": [float(100 * e.mean()) for e in err],
        "mean_gain_of_last_iteration_points": float(100 * (err[-2] - err[-1]).mean()),
        "share_of_faces_the_last_iteration_improves": float((err[-1] < err[-2]).mean()),
        "rows": rows,
    }
    print(
        f"{model.name}: NME per iteration {', '.join(f'{x:.2f}' for x in res['per_iteration_nme_pct'])} %; "
        f"the last iteration improves {100 * res['share_of_faces_the_last_iteration_improves']:.0f} % of the faces "
        f"by {res['mean_gain_of_last_iteration_points']:.2f} points on average"
    )
    print("\n| criterion | exit after iteration | share leaving | ΔNME (points) |\n|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['criterion']} | {r['exit_after']} | {100 * r['share']:.0f} % | {r['delta_nme_points']:+.2f} |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "exit_rules.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
