"""facecli grid-attn: DGPA-Net vs its ablations (uniform fixed grid, no attention) and
normal maps vs RGB input, on held-out synthetic identities (disjoint from training),
on all pairs and on large-pose pairs (either face |yaw| > 45°); embedding speed on CPU.

Run (about an hour on 2 CPU cores, nearly all of it training the variants):

  .venv/bin/python benchmarks/grid_attn/bench.py --out benchmarks/grid_attn/results

Data (generated when --train/--test are not given; these are the shipped model's recipe
and the held-out set):

  facecli --seed 0 synth identities -o TRAIN --identities 300 --per-identity 6 --size 128 --normal-size 96 --yaw-sd 25
  facecli --seed 0 synth identities -o TEST --start 1000 --identities 100 --per-identity 6 --size 128 \
      --normal-size 96 --yaw-sd 35 --pairs-per-fold 300

Every variant is trained by 'facecli grid-attn train' with the same seed, budget and
settings except the ablated part; --dgpa MODEL reuses a model for the full variant (e.g.
the shipped one, which is the same recipe). All variants are scored by 'grid-attn embed',
'grid-attn verify' and 'evaluate verify --poses'. The full model is also run on normal
maps that CAP predicts from the test images ('facecli normals', the image pipeline), and
the same recipe is trained and tested on CAP normal maps of the photos.
Prints markdown tables and writes results.json.
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

VARIANTS = {
    "DGPA-Net (dynamic grid + attention), normals": [],
    "uniform fixed grid + attention, normals": ["--grid", "uniform"],
    "dynamic grid, no attention, normals": ["--no-attention"],
    "DGPA-Net, RGB input": ["--inputs", "rgb"],
}


def sh(args: list[str], **kw: object) -> str:
    t0 = time.perf_counter()
    res = subprocess.run(args, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if res.returncode != 0:
        raise SystemExit(f"failed ({res.returncode}): {' '.join(args)}\n{res.stderr[-3000:]}")
    print(
        f"  [{time.perf_counter() - t0:6.1f} s] {' '.join(a if len(a) < 60 else '...' for a in args[1:6])}",
        file=sys.stderr,
        flush=True,
    )
    return res.stdout


def ensure_data(path: Path | None, default: Path, args: list[str]) -> Path:
    if path is not None:
        return path
    if not (default / "pairs.txt").exists():
        sh([FACECLI, "-q", "--seed", "0", "synth", "identities", "-o", str(default), *args])
    return default


def score(model: Path, normals: Path, test: Path, out: Path, tag: str, rgb: bool) -> dict:
    emb, scores = out / f"emb_{tag}.h5", out / f"scores_{tag}.h5"
    extra = ["--images", str(test)] if rgb else []
    sh([FACECLI, "-q", "grid-attn", "embed", str(normals), "-o", str(emb), "--model", str(model), *extra])
    sh([FACECLI, "-q", "grid-attn", "verify", str(emb), "--pairs", str(test / "pairs.txt"), "-o", str(scores)])
    rep = json.loads(
        sh(
            [
                FACECLI,
                "-q",
                "evaluate",
                "verify",
                str(scores),
                "--poses",
                str(test / "poses.csv"),
                "--roc",
                str(out / f"roc_{tag}.png"),
                "--json",
            ]
        )
    )
    return rep["sets"]


def embed_speed(model: Path, x: np.ndarray, threads: int = 2, reps: int = 3) -> float:
    import torch

    from facecli.recognition.embed import load_dgpa
    from facecli.recognition.training import embed_array

    torch.set_num_threads(threads)
    m = load_dgpa(model)
    embed_array(m.net, x[:64])
    best = 0.0
    for _ in range(reps):
        t0 = time.perf_counter()
        embed_array(m.net, x, batch=64)
        best = max(best, len(x) / (time.perf_counter() - t0))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/grid_attn/results"))
    ap.add_argument("--train", type=Path, help="a 'synth identities' training set [generated]")
    ap.add_argument("--test", type=Path, help="a 'synth identities' held-out set with other people [generated]")
    ap.add_argument("--dgpa", type=Path, help="use this model for the full variant instead of training it")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-cap", action="store_true", help="skip the CAP image pipeline row")
    a = ap.parse_args()
    out = a.out
    out.mkdir(parents=True, exist_ok=True)
    train = ensure_data(
        a.train,
        out / "train",
        [
            "--identities",
            "300",
            "--per-identity",
            "6",
            "--size",
            "128",
            "--normal-size",
            "96",
            "--yaw-sd",
            "25",
            "--pairs-per-fold",
            "50",
        ],
    )
    test = ensure_data(
        a.test,
        out / "test",
        [
            "--start",
            "1000",
            "--identities",
            "100",
            "--per-identity",
            "6",
            "--size",
            "128",
            "--normal-size",
            "96",
            "--yaw-sd",
            "35",
            "--pairs-per-fold",
            "300",
        ],
    )
    train_people = {p.name for p in train.iterdir() if p.is_dir()}
    test_people = {p.name for p in test.iterdir() if p.is_dir()}
    assert train_people.isdisjoint(test_people), "training and test identities overlap"

    results: dict = {"epochs": a.epochs, "seed": a.seed, "train": str(train), "test": str(test), "variants": {}}
    models: dict[str, Path] = {}
    for name, flags in VARIANTS.items():
        tag = "".join(c if c.isalnum() else "_" for c in name.lower())[:40]
        model = out / f"{tag}.pt"
        t0 = time.perf_counter()
        if not flags and a.dgpa is not None:
            model, train_s = a.dgpa, None
        elif not model.exists():
            rgb = ["--images", str(train)] if "rgb" in flags else []
            sh(
                [
                    FACECLI,
                    "-q",
                    "--seed",
                    str(a.seed),
                    "grid-attn",
                    "train",
                    str(train / "normals_gt.h5"),
                    "-o",
                    str(model),
                    "--epochs",
                    str(a.epochs),
                    *flags,
                    *rgb,
                ]
            )
            train_s = time.perf_counter() - t0
        else:
            train_s = None
        models[name] = model
        sets = score(model, test / "normals_gt.h5", test, out, tag, rgb="rgb" in flags)
        results["variants"][name] = {"model": str(model), "train_seconds": train_s, "sets": sets}

    full = next(iter(VARIANTS))
    if not a.skip_cap:
        cap_normals = out / "test_cap_normals.h5"
        if not cap_normals.exists():
            sh(
                [
                    FACECLI,
                    "-q",
                    "normals",
                    str(test),
                    "--pattern",
                    "*.jpg",
                    "--scales",
                    "96",
                    "-o",
                    str(cap_normals),
                    "--workers",
                    "2",
                ]
            )
        results["variants"][f"{full}, on CAP normals from the images"] = {
            "model": str(models[full]),
            "train_seconds": None,
            "sets": score(models[full], cap_normals, test, out, "cap", rgb=False),
        }
        # the same recipe trained on CAP normal maps of the training photos (the image pipeline end to end)
        train_cap = out / "train_cap_normals.h5"
        if not train_cap.exists():
            sh(
                [
                    FACECLI,
                    "-q",
                    "normals",
                    str(train),
                    "--pattern",
                    "*.jpg",
                    "--scales",
                    "96",
                    "-o",
                    str(train_cap),
                    "--workers",
                    "2",
                ]
            )
        cap_model = out / "dgpa_trained_on_cap_normals.pt"
        t0 = time.perf_counter()
        if not cap_model.exists():
            sh(
                [
                    FACECLI,
                    "-q",
                    "--seed",
                    str(a.seed),
                    "grid-attn",
                    "train",
                    str(train_cap),
                    "-o",
                    str(cap_model),
                    "--epochs",
                    str(a.epochs),
                ]
            )
        results["variants"]["DGPA-Net trained and tested on CAP normals from the images"] = {
            "model": str(cap_model),
            "train_seconds": time.perf_counter() - t0,
            "sets": score(cap_model, cap_normals, test, out, "cap_trained", rgb=False),
        }

    # embedding speed (2 threads, batch 64, forward only; inputs already loaded)
    from facecli.recognition.data import load_face_inputs

    x = load_face_inputs(test / "normals_gt.h5", size=96).x
    results["speed_embeddings_per_s"] = {n: embed_speed(models[n], x) for n in list(VARIANTS)[:3]}
    results["params"] = {}
    import torch

    for n, m in models.items():
        obj = torch.load(m, weights_only=True)
        results["params"][n] = int(
            sum(
                v.numel()
                for k, v in obj["state_dict"].items()
                if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))
            )
        )
        results["variants"][n]["model_bytes"] = os.path.getsize(m)

    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(report(results))


def report(r: dict) -> str:
    def pct(v: float | None) -> str:
        return "–" if v is None or v != v else f"{100 * v:.2f}"

    lines = [
        f"Held-out synthetic identities ({r['test']}), models trained {r['epochs']} epochs on {r['train']}.",
        "",
        "| variant | pairs | set | EER % | 10-fold acc % | TAR@FAR=1e-2 % | TAR@FAR=1e-3 % |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for name, v in r["variants"].items():
        for set_name, m in v["sets"].items():
            if set_name.startswith("other"):
                continue
            lines.append(
                f"| {name} | {m['pairs']} | {set_name} | {pct(m['eer'])} | {pct(m['accuracy_mean'])} ± "
                f"{pct(m['accuracy_std'])} | {pct(m['tar_at_far']['0.01'])} | {pct(m['tar_at_far']['0.001'])} |"
            )
    names = list(r["variants"])
    full = r["variants"][names[0]]["sets"]
    large = next(k for k in full if k.startswith("large"))
    lines += ["", "Margins of DGPA-Net over each ablation (EER points; positive = DGPA-Net better):", ""]
    for n in names[1:3]:
        s = r["variants"][n]["sets"]
        lines.append(
            f"- vs {n}: all pairs {100 * (s['all']['eer'] - full['all']['eer']):+.2f}, "
            f"large pose {100 * (s[large]['eer'] - full[large]['eer']):+.2f}"
        )
    lines += ["", "| variant | embeddings/s (2 threads) | parameters |", "|---|---:|---:|"]
    for n, v in r["speed_embeddings_per_s"].items():
        lines.append(f"| {n} | {v:.0f} | {r['params'][n]:,} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
