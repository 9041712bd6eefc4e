"""facecli align on real photos: five-point NME on the 1,439 LFW faces of the MTFL test list,
side by side with dlib's 68-point predictor and MediaPipe FaceMesh in one run.

Data (../shared/REALDATA.md; nothing shipped): LFW's 150 px images and the MTFL lists, as in
benchmarks/detect/bench.py; the peers run in their own environment (benchmarks/align_real/peers.py):

  .venv/bin/python benchmarks/align_real/bench.py --data ~/.cache/facecli-real \\
      --peer-python /tmp/peers/bin/python --predictor /tmp/frm/models/shape_predictor_68_face_landmarks.dat

Rows (the five points: eye centres as the mean of each eye's contour points, nose tip, mouth
corners; NME = mean distance / distance between the true eye centres; FR@0.1 = share above 0.1):

- facecli align (shipped model) on the face facecli detect finds (the detection overlapping the
  MTFL box most; its box placed on the detector's five points, as ``--boxes auto`` does), and on
  the MTFL box as given;
- facecli detect's own five keypoints (MTCNN's O-Net);
- dlib's 68 points on its HOG face box; MediaPipe FaceMesh's 468 points.

Also the cascade's predicted NME against the measured one (does early exit work on real faces?):
its mean, its Spearman correlation with the five-point NME, and the mean five-point error in the
predicted NME's own unit (over the predicted outer-eye-corner distance), which the head learns on
five-point faces.
and ms per face on one thread. Only the MTFL *test* list is read.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realdata import five_point_nme, iou, mtfl, run_peer  # noqa: E402


def run_facecli(
    test: list[dict], model: Path | None = None, tag: str = "", exit_threshold: float = 0.0, flip: bool = False
) -> dict[str, list]:
    import cv2
    import torch

    from facecli.detection import FaceDetector
    from facecli.io.image import read_image
    from facecli.landmarks2d.predictor import Aligner
    from facecli.schemes import to_five

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    det, aligner = FaceDetector(), Aligner(model, flip=flip)
    early = Aligner(model, exit_threshold=exit_threshold, flip=flip) if exit_threshold > 0 else None
    own, given = f"facecli align{tag} (own detector)", f"facecli align{tag} (MTFL box)"
    leave = f"facecli align{tag} (own detector, early exit < {exit_threshold:g})"
    rows: dict[str, list] = {own: [], given: [], "facecli detect": []}
    if early is not None:
        rows[leave] = []
    for e in test:
        img = read_image(e["path"])
        t0 = time.perf_counter()
        faces = det.detect(img)
        t_det = (time.perf_counter() - t0) * 1000
        k = int(np.argmax(iou(e["boxes"][0], faces.boxes)[0])) if len(faces) else -1
        if k < 0 or iou(e["boxes"][0], faces.boxes[k])[0, 0] < 0.3:
            for name in (own, "facecli detect", *([leave] if early is not None else [])):
                rows[name].append({"five": None, "ms": t_det})
        else:
            rows["facecli detect"].append({"five": faces.keypoints[k].tolist(), "ms": t_det})
            box = aligner.box_from_five(faces.keypoints[k])
            t0 = time.perf_counter()
            r = aligner.predict([img], [box])[0]
            ms = (time.perf_counter() - t0) * 1000
            rows[own].append(
                {
                    "five": to_five(r.landmarks).tolist(),
                    "ms": ms,
                    "predicted_nme": r.predicted_nme,
                    "iod": _outer_corners(r.landmarks),
                    "points": r.landmarks.tolist(),
                }
            )
            if early is not None:
                t0 = time.perf_counter()
                q = early.predict([img], [box])[0]
                rows[leave].append(
                    {
                        "five": to_five(q.landmarks).tolist(),
                        "ms": (time.perf_counter() - t0) * 1000,
                        "exit_iteration": q.exit_iteration,
                        "last_iteration": aligner.net.config.iterations,
                    }
                )
        t0 = time.perf_counter()
        r = aligner.predict([img], [np.asarray(e["boxes"][0])])[0]
        ms = (time.perf_counter() - t0) * 1000
        rows[given].append(
            {
                "five": to_five(r.landmarks).tolist(),
                "ms": ms,
                "predicted_nme": r.predicted_nme,
                "iod": _outer_corners(r.landmarks),
            }
        )
    return rows


def _outer_corners(landmarks: np.ndarray) -> float:
    """The predicted shape's outer-eye-corner distance: the predicted NME's unit."""
    from facecli.models.musica import EYE_CORNERS

    a, b = EYE_CORNERS[len(landmarks)]
    return float(np.linalg.norm(landmarks[a] - landmarks[b]))


def run_peers(python: str, predictor: str, test: list[dict]) -> dict[str, list]:
    job = {"images": [{"path": e["path"], "box": e["boxes"][0]} for e in test]}
    return run_peer(python, Path(__file__).with_name("peers.py"), job, "--predictor", predictor)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with lfw/images and mtfl/testImageList.txt")
    ap.add_argument("--peer-python", default=None, help="python of the peers' separate environment")
    ap.add_argument("--predictor", default=None, help="dlib's shape_predictor_68_face_landmarks.dat")
    ap.add_argument(
        "--model", type=Path, action="append", help="also these align model files (rows tagged with the name)"
    )
    ap.add_argument("--limit", type=int, default=None, help="only the first N test faces (a quick look)")
    ap.add_argument(
        "--flip", action="store_true", help="also each model with mirrored-crop averaging (align predict --flip)"
    )
    ap.add_argument(
        "--exit-threshold",
        type=float,
        default=0.018,
        help="also each model with this early exit (its own-detector row; 0: not)",
    )
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    ap.add_argument(
        "--picture",
        type=Path,
        default=None,
        help="write a PNG of the first faces with every method's points (real photos: keep it out of the repository)",
    )
    args = ap.parse_args()

    test = mtfl(args.data, "testImageList.txt", args.limit)
    rows = run_facecli(test, exit_threshold=args.exit_threshold)
    for extra in args.model or []:
        more = run_facecli(test, extra, f" [{extra.name}]", args.exit_threshold)
        rows.update({k: v for k, v in more.items() if k != "facecli detect"})
    if args.flip:
        for extra in [None, *(args.model or [])]:
            tag = f" [{extra.name}, flip]" if extra else " [flip]"
            more = run_facecli(test, extra, tag, args.exit_threshold, flip=True)
            rows.update({k: v for k, v in more.items() if k != "facecli detect"})
    if args.peer_python and args.predictor:
        rows.update(run_peers(args.peer_python, args.predictor, test))
    table = []
    for name, per in rows.items():
        nme = np.array(
            [np.inf if r["five"] is None else five_point_nme(r["five"], e["points"]) for r, e in zip(per, test)]
        )
        found = np.isfinite(nme)
        row = {
            "method": name,
            "faces": len(test),
            "missed": int((~found).sum()),
            "nme_mean": float(nme[found].mean()),
            "nme_median": float(np.median(nme[found])),
            "fr10_pct": float(100 * np.mean(nme > 0.1)),  # a missed face counts as a failure
            "ms_per_face": float(np.mean([r["ms"] for r in per])),
        }
        exits = [r for r in per if "exit_iteration" in r]
        if exits:
            row["left_early_pct"] = float(100 * np.mean([r["exit_iteration"] < r["last_iteration"] for r in exits]))
        pred = np.array([r.get("predicted_nme", np.nan) for r in per], float)
        if np.isfinite(pred).any():
            ok = found & np.isfinite(pred)
            from scipy.stats import spearmanr

            row["predicted_nme_mean"] = float(pred[ok].mean())
            row["predicted_vs_true_spearman"] = float(spearmanr(pred[ok], nme[ok]).statistic)
            # the same five-point error in the predicted NME's unit (the outer-eye-corner distance)
            true_io = np.array(
                [
                    np.linalg.norm(np.subtract(r["five"], e["points"]), axis=1).mean() / r["iod"] if f else np.nan
                    for r, e, f in zip(per, test, found)
                ]
            )
            row["true_five_point_error_io_mean"] = float(np.nanmean(true_io[ok]))
        table.append(row)
    print(f"{len(test)} LFW faces of the MTFL test list; five-point NME (eye-centre distance)\n")
    print(
        "| method | missed | NME mean | NME median | FR@0.1 | ms / face | predicted NME (Spearman vs true) | "
        "true five-point error over the predicted outer-corner distance |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in table:
        pred = (
            f"{r['predicted_nme_mean']:.4f} ({r['predicted_vs_true_spearman']:.2f}) | "
            f"{r['true_five_point_error_io_mean']:.4f}"
            if "predicted_nme_mean" in r
            else "- | -"
        )
        print(
            f"| {r['method']} | {r['missed']} | {r['nme_mean']:.4f} | {r['nme_median']:.4f} | {r['fr10_pct']:.1f} % | "
            f"{r['ms_per_face']:.1f} | {pred} |"
            + (f" {r['left_early_pct']:.1f} % left before the last iteration" if "left_early_pct" in r else "")
        )
    args.out.write_text(json.dumps({"argv": sys.argv, "rows": table}, indent=1))
    if args.picture is not None:
        picture(args.picture, test, rows)


def picture(path: Path, test: list[dict], rows: dict[str, list], n: int = 8) -> None:
    """One row per method with points (facecli's 98, dlib's 68, MediaPipe's 468 / 4), n faces."""
    import cv2

    from facecli.io.image import read_image, write_image

    methods = [m for m in rows if any(r.get("points") for r in rows[m][:n])]
    grid = []
    for m in methods:
        tiles = []
        for e, r in zip(test[:n], rows[m][:n]):
            img = np.ascontiguousarray(read_image(e["path"]))
            for x, y in r.get("points") or []:
                cv2.circle(img, (int(round(x)), int(round(y))), 1, (40, 230, 40), -1)
            for x, y in e["points"]:
                cv2.circle(img, (int(round(x)), int(round(y))), 2, (255, 60, 60), -1)
            cv2.putText(img, m[:22], (2, 10), cv2.FONT_HERSHEY_SIMPLEX, 0.3, (255, 255, 0), 1)
            tiles.append(img)
        grid.append(np.concatenate(tiles, axis=1))
    write_image(path, np.concatenate(grid, axis=0))


if __name__ == "__main__":
    main()
