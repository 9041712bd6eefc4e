"""Does landmarks3d's confidence warning catch failures? Held-out synthetic faces as given, and
the same faces made to fail the ways real scans do, through `landmarks3d predict`'s default path.

Run:
  facecli --seed 0 synth faces3d -o /tmp/lm/test --start 1000 --subjects 15 --expressions 8
  .venv/bin/python benchmarks/landmarks3d/confidence.py --test /tmp/lm/test --limit 40 \\
      --out benchmarks/landmarks3d/results

Cases (each applied to every face): upside down (180 degrees about the view axis), turned
away (facing -Z), turned to profile (90 degrees about +Y), lying (90 degrees about +X), a wrong
crop (the face cut to its lower half before prediction), and scan-like (a neck, maybe a skull
cap, holes, noise, a small turn and a random face box: ``facecli.landmarks3d.augment.scan_like``,
a good input that looks like a real scan). A case counts as a failure when its mean landmark
error exceeds 10 mm. With ``--orient auto`` (the command's default) the turned faces are found
and turned back, so most of them are no longer failures; ``--orient given`` shows the model on
them as they are. Prints the share of failures flagged (mean confidence under the threshold),
the false alarms on the faces as given, and on every good result (error at most 10 mm, any
case), for a range of thresholds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np


def _rot(axis: str, deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return {
        "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


CASES = {
    "as given": None,
    "upside down": ("z", 180.0),
    "turned away": ("y", 180.0),
    "profile": ("y", 90.0),
    "lying": ("x", 90.0),
    "lower half only": "half",
    "scan-like": "scan",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--test", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/landmarks3d/results"))
    ap.add_argument("--thresholds", default="0.45,0.5,0.55,0.6,0.65,0.68")
    ap.add_argument("--orient", default="auto", choices=("auto", "given"), help="landmarks3d predict --orient")
    args = ap.parse_args()

    from facecli.io.inputs import InputItem
    from facecli.io.mesh import read_mesh, write_mesh
    from facecli.landmarks3d.data import load_landmark_set
    from facecli.landmarks3d.jobs import LandmarksJob

    ls = load_landmark_set(args.test, limit=args.limit)
    from facecli.landmarks3d.augment import scan_like
    from facecli.seeding import rng_for

    job = LandmarksJob(crop_z=None, orient=args.orient)  # the command's defaults
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sc in ls.scans:
            m = read_mesh(sc.path)
            gt = ls.landmarks(m)
            for case, how in CASES.items():
                v, f, g = m.vertices, m.faces, gt
                if isinstance(how, tuple):
                    r = _rot(*how)
                    v, g = v @ r.T, gt @ r.T
                elif how == "half":
                    keep = (v[:, 1] <= np.median(v[:, 1]))[f].all(axis=1)
                    f = f[keep]
                elif how == "scan":
                    sl = scan_like(v, f, gt, rng_for(0, "confidence-scan-like", sc.id))
                    v, f, g = sl.vertices, sl.faces, sl.landmarks
                path = write_mesh(Path(tmp) / "face.ply", v, f)
                out = job(InputItem("face.ply", path))
                err = float(np.linalg.norm(out["landmarks"] - g, axis=1).mean())
                rows.append(
                    {"mesh": sc.id, "case": case, "error_mm": err, "confidence": float(np.mean(out["confidence"]))}
                )
            print(sc.id, flush=True)
    good = [r for r in rows if r["case"] == "as given"]
    bad = [r for r in rows if r["case"] != "as given" and r["error_mm"] > 10.0]
    print(
        f"\n{len(good)} faces as given (mean error {np.mean([r['error_mm'] for r in good]):.2f} mm, confidence "
        f"{min(r['confidence'] for r in good):.2f}-{max(r['confidence'] for r in good):.2f}); {len(bad)} failure cases "
        f"(error > 10 mm) of {len(rows) - len(good)} altered\n"
    )
    print("| case | cases | failures (> 10 mm) | mean error mm | confidence min / median / max |")
    print("|---|---:|---:|---:|---|")
    for case in CASES:
        rs = [r for r in rows if r["case"] == case]
        c = [r["confidence"] for r in rs]
        n_fail = sum(r["error_mm"] > 10 for r in rs)
        mean_err = np.mean([r["error_mm"] for r in rs])
        print(f"| {case} | {len(rs)} | {n_fail} | {mean_err:.1f} | {min(c):.2f} / {np.median(c):.2f} / {max(c):.2f} |")
    ok = [r for r in rows if r["error_mm"] <= 10.0]
    print(
        "\n| warn below | failures flagged | false alarms on faces as given | false alarms on every good result |"
        "\n|---:|---:|---:|---:|"
    )
    table = []
    for t in (float(x) for x in args.thresholds.split(",")):
        hit = float(np.mean([r["confidence"] < t for r in bad])) if bad else float("nan")
        fa = float(np.mean([r["confidence"] < t for r in good]))
        fa_ok = float(np.mean([r["confidence"] < t for r in ok]))
        table.append({"threshold": t, "flagged": hit, "false_alarms": fa, "false_alarms_good_results": fa_ok})
        print(f"| {t:.2f} | {100 * hit:.1f} % | {100 * fa:.1f} % | {100 * fa_ok:.1f} % ({len(ok)}) |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "confidence.json").write_text(json.dumps({"rows": rows, "thresholds": table}, indent=1))


if __name__ == "__main__":
    main()
