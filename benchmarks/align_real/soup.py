"""Average the weights of two ``align`` model files of one architecture (a "model soup").

The fine-tuned model (synthetic renders plus the MTFL train list's real five points) is started
from the synthetic-only model, so the two lie in one basin and their weights can be mixed:
``w = (1 - alpha) * w_synthetic + alpha * w_finetuned``. This trades some of the real-face
accuracy the fine-tuning bought for the synthetic accuracy it cost.

``alpha`` = 0.5 was fixed before any mixture was measured: the synthetic faces' error is
heavy-tailed (a few faces at NME > 0.5 move the mean by tenths of a point), so a search on a
small synthetic validation set would chase noise, and the real test list must not choose
anything::

  .venv/bin/python benchmarks/align_real/soup.py /tmp/al_new/musica_marched.pt \\
      facecli/models/weights/musica_mtfl.pt --alpha 0.5 -o /tmp/al_new/musica_soup.pt

``--val DIR`` also prints the mixture's NME on a ``synth images`` folder.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def mix(a: dict, b: dict, alpha: float) -> dict:
    """The file dict of ``a`` with every floating tensor ``(1 - alpha) * a + alpha * b``.

    Args:
        a: a loaded model file (``torch.load``), the synthetic-only model.
        b: a model file of the same architecture and config, the fine-tuned one.
        alpha: weight of ``b`` in [0, 1].
    """
    if a["model"] != b["model"] or set(a["state_dict"]) != set(b["state_dict"]):
        raise SystemExit("the two files are not the same kind of model")
    out = copy.deepcopy(b)
    for k, va in a["state_dict"].items():
        vb = b["state_dict"][k]
        if va.shape != vb.shape:
            raise SystemExit(f"{k}: shapes {tuple(va.shape)} and {tuple(vb.shape)} differ")
        if va.is_floating_point():
            m = (1 - alpha) * va.float() + alpha * vb.float()
            out["state_dict"][k] = m.to(vb.dtype)
    return out


def validation_nme(path: Path, root: Path) -> float:
    """Mean NME (%, inter-ocular) of the model file's full cascade on a ``synth images`` folder,
    each face cropped from its own box (as ``benchmarks/align/bench.py`` measures it)."""
    from facecli.io.image import read_image
    from facecli.landmarks2d.crop import crop_transform, from_normalised, invert_affine, transform_points, warp_crop
    from facecli.landmarks2d.data import load_alignment_set
    from facecli.landmarks2d.predictor import load_musica
    from facecli.metrics.align import nme

    net, _ = load_musica(path)
    cfg = net.config
    faces = load_alignment_set(root, split="all")
    mats = [crop_transform(f.box, cfg.crop, cfg.margin) for f in faces]
    crops = np.stack([warp_crop(read_image(f.image, grey=True), m, cfg.crop) for f, m in zip(faces, mats)])
    with torch.inference_mode():
        shapes = net(torch.from_numpy(crops[:, None])).final.numpy()
    pred = np.stack([transform_points(invert_affine(m), from_normalised(s, cfg.crop)) for m, s in zip(mats, shapes)])
    gt = np.stack([f.landmarks for f in faces]).astype(np.float64)
    return float(100 * nme(pred, gt).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("synthetic", type=Path, help="the synthetic-only model file (alpha = 0)")
    ap.add_argument("finetuned", type=Path, help="the fine-tuned model file (alpha = 1)")
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--alpha", type=float, default=0.5, help="weight of the fine-tuned model")
    ap.add_argument("--val", type=Path, default=None, help="also print the NME on this synth images folder")
    args = ap.parse_args()
    if not 0.0 <= args.alpha <= 1.0:
        raise SystemExit(f"--alpha: expected a weight in [0, 1], got {args.alpha}")
    a = torch.load(args.synthetic, map_location="cpu", weights_only=False)
    b = torch.load(args.finetuned, map_location="cpu", weights_only=False)
    out = mix(a, b, args.alpha)
    sha = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in (args.synthetic, args.finetuned)}
    out["meta"] = dict(out.get("meta", {}))
    out["meta"]["soup"] = {
        "alpha": args.alpha,
        "synthetic": f"{args.synthetic.name} (sha256 {sha[args.synthetic.name]}...)",
        "finetuned": f"{args.finetuned.name} (sha256 {sha[args.finetuned.name]}...)",
        "argv": sys.argv,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(out, args.out)
    report = {"alpha": args.alpha, "out": str(args.out)}
    if args.val is not None:
        report["val_nme_pct"] = validation_nme(args.out, args.val)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
