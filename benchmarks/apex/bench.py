"""facecli apex-detect (LBP, optical flow, both) vs the onset-offset midpoint baseline,
side by side on the same synthetic CASME II-layout clips (head jitter, pixel noise).

Run:
  facecli --seed 0 synth microexpr -o /tmp/meb --subjects 8 --clips 5 --size 256
  .venv/bin/python benchmarks/apex/bench.py --root /tmp/meb --out benchmarks/apex/results

The true apex is the frame where the synthetic face's landmarks are displaced most
from the onset (synth_microexpr.json). Spotting sees only the frames and the sheet's
onset and offset (and, in the face-box rows, a fixed box around where the renderer
puts the face, standing in for a face detector). Frames per second are for spotting decoded 256x256 grey frames
(ROIs found, i.e. after reading), on this machine; decoding the JPEGs is timed apart.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/apex/results"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--face-box",
        default=None,
        help="x,y,w,h: also run every method with this face box (synthetic frames: 48,16,160,216)",
    )
    ap.add_argument("--methods", default="residual,flow,lbp,both", help="comma-separated spotting methods to run")
    args = ap.parse_args()

    import cv2

    from facecli.io.clips import find_clip_dir, list_frames, read_clip_frames
    from facecli.io.microexpr import guess_dataset, read_coding_sheet
    from facecli.metrics.apex import midpoint_apex, summarize_apex
    from facecli.microexpr.rois import parse_face_box
    from facecli.microexpr.spotting import SpotSettings, spot_apex

    cv2.setNumThreads(args.threads)
    sheet = next(args.root.glob("*.csv"))
    ds = guess_dataset(sheet)
    truth = json.loads((args.root / "synth_microexpr.json").read_text())["clips"]
    box = parse_face_box(args.face_box)
    methods = args.methods.split(",")
    variants = [(m, None, m) for m in methods]
    if box is not None:
        variants += [(m, box, f"{m}, face box {args.face_box}") for m in methods]
    errs: dict[str, list[int]] = {name: [] for *_, name in variants}
    errs["midpoint"] = []
    secs = {name: 0.0 for *_, name in variants}
    n_frames, t_read = 0, 0.0
    amps: list[float] = []
    for c in read_coding_sheet(sheet, ds):
        clip = list_frames(find_clip_dir(args.root, c.subject, c.clip))
        t0 = time.perf_counter()
        frames = read_clip_frames(clip)
        t_read += time.perf_counter() - t0
        n_frames += len(frames)
        key = f"{clip.source.parent.name}/{clip.source.name}"
        true = int(truth[key]["apex"])
        amps.append(float(truth[key]["max_displacement_mm"]))
        on, off = clip.index_of(c.onset), clip.index_of(c.offset)
        for m, b, name in variants:
            t0 = time.perf_counter()
            r = spot_apex(frames, onset=on, offset=off, box=b, settings=SpotSettings(method=m))
            secs[name] += time.perf_counter() - t0
            errs[name].append(abs(int(clip.numbers[r.apex_index]) - true))
        errs["midpoint"].append(abs(int(midpoint_apex(np.array([c.onset]), np.array([c.offset]))[0]) - true))
    res = {
        "clips": len(errs["midpoint"]),
        "frames": n_frames,
        "threads": args.threads,
        "read_fps": n_frames / t_read,
        "methods": {},
    }
    for m, e in errs.items():
        res["methods"][m] = summarize_apex(np.array(e))
        if m in secs:
            res["methods"][m]["fps"] = n_frames / secs[m]
    a = np.array(amps)
    bands = [("< 0.7 mm", a < 0.7), ("0.7-1.0 mm", (a >= 0.7) & (a < 1.0)), (">= 1.0 mm", a >= 1.0)]
    res["by_amplitude"] = {
        m: {
            b: {"clips": int(sel.sum()), "mae": float(np.array(e)[sel].mean()) if sel.any() else float("nan")}
            for b, sel in bands
        }
        for m, e in errs.items()
    }
    res["per_clip_error"] = errs
    base = res["methods"]["midpoint"]["mae"]
    for m in res["methods"].values():
        m["mae_vs_midpoint"] = m["mae"] / base if base > 0 else float("nan")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(res, indent=1))
    print(f"\n{res['clips']} clips, {n_frames} frames ({ds} layout); reading+decoding {res['read_fps']:.0f} frames/s\n")
    print("| method | MAE (frames) | median | within ±5 | MAE / midpoint's | frames/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for m, r in res["methods"].items():
        fps = f"{r['fps']:.0f}" if "fps" in r else "–"
        print(
            f"| {m} | {r['mae']:.2f} | {r['median']:.1f} | {100 * r['within_5']:.0f} % | {r['mae_vs_midpoint']:.2f} "
            f"| {fps} |"
        )
    print("\nMAE by the clip's largest landmark displacement:\n")
    names = list(res["by_amplitude"])
    print(
        "| method | " + " | ".join(f"{b} ({res['by_amplitude'][names[0]][b]['clips']} clips)" for b, _ in bands) + " |"
    )
    print("|---|" + "---:|" * len(bands))
    for m in names:
        print(f"| {m} | " + " | ".join(f"{res['by_amplitude'][m][b]['mae']:.2f}" for b, _ in bands) + " |")


if __name__ == "__main__":
    main()
