"""facecli mer-train (dual-stream capsule network) vs its single-stream ablations, an
all-negative baseline and a hand-crafted baseline, under the MEGC 2019 composite
protocol (leave-one-subject-out, pooled UF1/UAR), side by side in one run.

Run:
  facecli --seed 0 synth microexpr -o /tmp/mer/casme2 --layout casme2 --subjects 12 --clips 14 --size 160 --frames 24,40
  facecli --seed 0 synth microexpr -o /tmp/mer/samm --layout samm --subjects 10 --clips 13 --size 160 --frames 24,40
  facecli --seed 0 synth microexpr -o /tmp/mer/smic --layout smic --subjects 10 --clips 13 --size 160 --frames 24,40
  facecli mer-train prepare /tmp/mer/casme2 /tmp/mer/samm /tmp/mer/smic -o /tmp/mer/flow.h5 \
    --face-box 30,10,100,135 --size 48
  .venv/bin/python benchmarks/mer/bench.py --flow /tmp/mer/flow.h5 --runs /tmp/mer/runs --out benchmarks/mer/results

Every method sees the same clips and the same folds. The networks run through the
library's LOSO runner (fixed epoch budget, last epoch kept; no test-subject data in
training or selection). The hand-crafted baseline is a histogram of the onset→apex flow
magnitude (8 bins) in each cell of a 4 × 4 grid, standardised on the fold's training
clips, then a class-balanced logistic regression (scikit-learn). All-negative predicts
the majority class everywhere. Wall time is per full LOSO, 2 threads. Prints a markdown
table and writes results.json (and each network's run directory under --runs).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np


def flow_histograms(
    flow: np.ndarray, cells: int = 4, bins: int = 8, top: float | None = None
) -> tuple[np.ndarray, float]:
    """(N, cells² · bins) normalised histograms of the flow magnitude per grid cell."""
    mag = np.hypot(flow[:, 0], flow[:, 1])  # (N, S, S)
    top = float(np.percentile(mag, 99)) if top is None else top
    n, s, _ = mag.shape
    edges = np.linspace(0, s, cells + 1).astype(int)
    feats = []
    for i in range(cells):
        for j in range(cells):
            block = np.clip(mag[:, edges[i] : edges[i + 1], edges[j] : edges[j + 1]].reshape(n, -1), 0, top)
            h = np.stack([np.histogram(b, bins=bins, range=(0, top))[0] for b in block]).astype(np.float64)
            feats.append(h / h.sum(axis=1, keepdims=True))
    return np.concatenate(feats, axis=1), top


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flow", type=Path, required=True, help="flow file from 'facecli mer-train prepare'")
    ap.add_argument("--runs", type=Path, default=Path("/tmp/mer/runs"), help="run directories of the networks")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/mer/results"))
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stream-dropout", type=float, default=0.0, help="the full model's --stream-dropout")
    ap.add_argument("--resume", action="store_true", help="continue the networks' runs under --runs")
    args = ap.parse_args()

    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from facecli.metrics.mer import mer_report
    from facecli.microexpr.protocols import loso_folds
    from facecli.microexpr.recognition import MERConfig, load_mer_data, run_loso

    torch.set_num_threads(args.threads)
    data = load_mer_data(args.flow, "megc2019")
    classes = list(data.protocol.classes)
    folds = loso_folds(data.subject_keys)
    support = np.bincount(data.y, minlength=len(classes))
    print(
        f"{len(data)} clips, {len(folds)} subjects; classes {dict(zip(classes, support.tolist()))}; "
        f"datasets {dict(zip(*np.unique(data.dataset.astype(str), return_counts=True)))}; dropped {data.dropped}"
    )
    results: dict[str, dict] = {}

    def score(name: str, pred: np.ndarray, seconds: float, extra: dict | None = None) -> None:
        rep = mer_report(data.y, pred, classes, datasets=list(data.dataset))
        results[name] = {
            "uf1": rep["uf1"],
            "uar": rep["uar"],
            "per_dataset": rep["per_dataset"],
            "per_class_recall": rep["per_class_recall"],
            "seconds": seconds,
            **(extra or {}),
        }
        print(f"  {name}: UF1 {rep['uf1']:.4f} UAR {rep['uar']:.4f} ({seconds:.0f} s)", flush=True)

    # baselines
    score("all-negative", np.zeros(len(data), dtype=np.int64), 0.0)
    t0 = time.perf_counter()
    pred = np.zeros(len(data), dtype=np.int64)
    for f in folds:
        tr_feats, top = flow_histograms(data.flow[f.train])  # the magnitude range from training clips only
        te_feats, _ = flow_histograms(data.flow[f.test], top=top)
        sc = StandardScaler().fit(tr_feats)
        clf = LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000).fit(
            sc.transform(tr_feats), data.y[f.train]
        )
        pred[f.test] = clf.predict(sc.transform(te_feats))
    score("flow histograms + logistic regression", pred, time.perf_counter() - t0)

    # networks
    for name, streams in (
        ("capsnet flow + apex (full)", ("flow", "apex")),
        ("capsnet flow only", ("flow",)),
        ("capsnet apex only", ("apex",)),
    ):
        cfg = MERConfig(
            streams=streams,
            epochs=args.epochs,
            width=args.width,
            seed=args.seed,
            oracle=streams == ("flow", "apex"),
            stream_dropout=args.stream_dropout if len(streams) > 1 else 0.0,
        )
        run = args.runs / "_".join(streams)
        t0 = time.perf_counter()
        rep = run_loso(
            data,
            cfg,
            run,
            flow_path=args.flow,
            resume=args.resume,
            log=lambda s: print("   ", s, flush=True) if s.startswith("fold") else None,
        )
        secs = rep["train_seconds"]
        recs = sorted((json.loads(p.read_text()) for p in (run / "folds").glob("*.json")), key=lambda d: d["fold"])
        pred = np.zeros(len(data), dtype=np.int64)
        index = {cid: i for i, cid in enumerate(data.ids)}
        for rec in recs:
            for cid, p in zip(rec["ids"], rec["y_pred"]):
                pred[index[cid]] = p
        extra = {"wall_seconds_this_call": time.perf_counter() - t0, "epochs": args.epochs}
        if "oracle_optimistic" in rep:
            extra["oracle_optimistic"] = rep["oracle_optimistic"]
        score(name, pred, secs, extra)

    res = {
        "clips": len(data),
        "subjects": len(folds),
        "classes": dict(zip(classes, support.tolist())),
        "threads": args.threads,
        "machine": platform.processor() or platform.machine(),
        "methods": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(res, indent=1))
    ds_names = sorted({d for m in results.values() for d in m["per_dataset"]})
    print(
        f"\nMEGC 2019 composite (synthetic), {len(data)} clips, {len(folds)} subjects, LOSO, pooled; {args.threads} "
        "threads\n"
    )
    print("| method | UF1 | UAR | " + " | ".join(f"{d} UF1 | {d} UAR" for d in ds_names) + " | LOSO wall time |")
    print("|---|---:|---:|" + "---:|---:|" * len(ds_names) + "---:|")
    for name, m in results.items():
        cells = " | ".join(f"{m['per_dataset'][d]['uf1']:.3f} | {m['per_dataset'][d]['uar']:.3f}" for d in ds_names)
        wall = f"{m['seconds'] / 60:.1f} min" if m["seconds"] >= 60 else f"{m['seconds']:.1f} s"
        print(f"| {name} | {m['uf1']:.3f} | {m['uar']:.3f} | {cells} | {wall} |")
    full = results["capsnet flow + apex (full)"]
    if "oracle_optimistic" in full:
        o = full["oracle_optimistic"]
        print(
            f"\nOptimistic, not a result (best test epoch per fold, as the source repositories pick it): "
            f"UF1 {o['uf1']:.3f}, UAR {o['uar']:.3f}"
        )


if __name__ == "__main__":
    main()
