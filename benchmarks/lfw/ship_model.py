"""Fit the shipped real-photo projection (``facecli/models/weights/hd_lfw.pt``) on all of LFW.

It uses the faces and the high-dimensional LBP, SIFT and Gabor features that ``bench.py``
cached in ``--work``.
The model is fitted on every LFW person with at least two images, which is all of LFW's people
that identity training can use. So the file must **not** be scored on LFW: ``bench.py`` fits
one model per fold for that.

``--check-fold K`` first fits the library's projection
(:func:`facecli.recognition.hdprojection.fit_hd_projection`, what this file ships) on fold K's
training people. It scores fold K's pairs through :class:`facecli.models.hd_lda.HDDescriptorLDA`
and prints the accuracy next to the benchmark's own ``hd3-blocks-pca-lda`` fold result: the two
implementations must agree.

  .venv/bin/python benchmarks/lfw/ship_model.py --lfw ~/.cache/facecli-real/lfw \\
      --work ~/.cache/facecli-real/lfw-work --check-fold 0 -o facecli/models/weights/hd_lfw.pt
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PARTS = ("lbp1", "sift", "gabor")
#: part → the feature file bench.py caches it in
FEATURE = {"lbp1": "hdlbp", "lbp2": "hdlbp2", "sift": "hdsift", "gabor": "hdgabor"}
OPTIONS = {"per_block": 48, "pca_dim": 400, "shrinkage": 0.001, "sample": 3000, "seed": 0}


def build(x: dict[str, np.ndarray], rows: np.ndarray, labels: np.ndarray):
    """The HDDescriptorLDA network fitted on ``rows``."""
    from facecli.models.hd_lda import HDDescriptorConfig, HDDescriptorLDA
    from facecli.recognition.hdparts import HD_PARTS
    from facecli.recognition.hdprojection import fit_hd_projection

    projs = {}
    for part in PARTS:
        _, block, norm = HD_PARTS[part]
        projs[part] = fit_hd_projection(x[part][rows], labels[rows], block=block, norm=norm, **OPTIONS)
    first = projs[PARTS[0]]
    cfg = HDDescriptorConfig(
        parts=PARTS,
        blocks=tuple(projs[p].bases.shape[0] for p in PARTS),
        per_block=first.bases.shape[2],
        dim=first.matrix.shape[1],
    )
    net = HDDescriptorLDA(cfg)
    for part, p in projs.items():
        net.set_projection(part, p.means, p.bases, p.matrix, p.offset)
    return net.eval()


def embed(net, x: dict[str, np.ndarray], rows: np.ndarray, batch: int = 512) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for s in range(0, len(rows), batch):
            part = rows[s : s + batch]
            out.append(net([torch.from_numpy(x[p][part].astype(np.float32)) for p in PARTS]).numpy())
    return np.concatenate(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lfw", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--check-fold", type=int, default=None)
    ap.add_argument(
        "--exclude-fold",
        type=int,
        default=None,
        help="fit on the other nine folds' people only (a file to check the command line on fold K's photos)",
    )
    args = ap.parse_args()

    import bench as B

    from facecli.io.lfw import person_of, read_pairs, read_people
    from facecli.recognition.protocol import protocol_accuracy, view2_folds
    from facecli.train.checkpoint import save_model_file

    faces = dict(np.load(args.work / "faces.npz", allow_pickle=False))
    ids = [str(i) for i in faces["ids"]]
    people = np.array([person_of(i) for i in ids])
    x = {p: np.load(args.work / f"features_{FEATURE[p]}.npy", mmap_mode="r") for p in PARTS}
    if args.check_fold is not None:
        k = args.check_fold
        pairs = read_pairs(args.lfw / "pairs.txt")
        folds = view2_folds(read_people(args.lfw / "people.txt"), pairs)
        index = {i: n for n, i in enumerate(ids)}
        a = np.array([index[p.a] for p in pairs])
        b = np.array([index[p.b] for p in pairs])
        same = np.array([p.same for p in pairs])
        pfold = np.array([p.fold for p in pairs])
        train = np.flatnonzero(B.trainable(people, folds[k].train_people))
        t0 = time.perf_counter()
        net = build(x, train, people)
        used = np.unique(np.concatenate([a, b]))
        e = np.zeros((len(ids), net.config.dim * len(PARTS)), np.float32)
        e[used] = embed(net, x, used)
        s = np.sum(e[a] * e[b], axis=1)
        test = pfold == k
        acc, _ = protocol_accuracy(s[~test], same[~test], s[test], same[test])
        ref = args.work / "folds" / "hd3-blocks-pca-lda" / f"fold{k}.json"
        bench_acc = json.loads(ref.read_text())["accuracy"] if ref.exists() else float("nan")
        print(
            f"fold {k + 1}: library projection {acc:.4f}, benchmark's hd3-blocks-pca-lda {bench_acc:.4f} "
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    allowed = set(people)
    if args.exclude_fold is not None:
        allowed = view2_folds(read_people(args.lfw / "people.txt"), read_pairs(args.lfw / "pairs.txt"))[
            args.exclude_fold
        ].train_people
    rows = np.flatnonzero(B.trainable(people, allowed))
    t0 = time.perf_counter()
    net = build(x, rows, people)
    seconds = time.perf_counter() - t0
    meta = {
        "synthetic": False,
        "trained_on": f"LFW: {len(rows)} images of the {len(set(people[rows]))} people with at least two"
        + ("" if args.exclude_fold is None else f", fold {args.exclude_fold + 1}'s people left out"),
        "options": {**OPTIONS, "parts": list(PARTS)},
        "seconds": round(seconds, 1),
        "argv": sys.argv,
    }
    save_model_file(
        args.out, model="hd-lda", config=net.config.as_dict(), state_dict=net.state_dict(), meta=meta, half=True
    )
    sha = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(json.dumps({"out": str(args.out), "sha256": sha, **meta}, indent=1))


if __name__ == "__main__":
    main()
