"""Face detectors side by side on real photos: facecli detect (MTCNN) and its peers.

Data (../shared/REALDATA.md; nothing is shipped): LFW's 150 px images, the MTFL/CUHK lists
(face box and 5 points on LFW, in 250 px coordinates, scaled by 0.6 here) and dlib's
examples/faces (9 crowded PASCAL VOC photos, 43 human face boxes):

  git -C LFW_MIRROR archive HEAD images | tar -x -C ~/.cache/facecli-real/lfw
  git -C MTFL_MIRROR show HEAD:prepare_data/testImageList.txt > ~/.cache/facecli-real/mtfl/testImageList.txt
  git -C MTFL_MIRROR show HEAD:prepare_data/trainImageList.txt > ~/.cache/facecli-real/mtfl/trainImageList.txt
  git -C DLIB_MIRROR archive HEAD examples/faces | tar -x -C ~/.cache/facecli-real/dlibfaces
  .venv/bin/python benchmarks/detect/bench.py --data ~/.cache/facecli-real \\
      --peer-python /tmp/peers/bin/python --mmod /tmp/face_recognition_models/models/mmod_human_face_detector.dat

(the peers' environment: see benchmarks/detect/peers.py). Reported per detector:

- recall at IoU >= 0.5 on the 1,439 LFW faces of the MTFL *test* list, with the detector's
  own box and with its box mapped to MTFL's convention (a fixed shift and scale, the medians
  over faces of the MTFL *train* list: box conventions differ between detectors and
  annotators, and the map is fitted on training faces only);
- the same on dlib's 43 VOC faces (one-to-one matching; raw boxes, and with the MTFL map);
- detections on VOC images matched to no annotated face (VOC leaves some faces unannotated:
  indicative only);
- ms per 640 x 480 image on one thread (the 9 VOC photos resized; mean of 3 calls);
- for detectors that give 5 points, their NME on the MTFL test faces (mean distance / eye
  distance; eye centres as MTFL labels them).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realdata import five_point_nme, iou, mtfl, run_peer  # noqa: E402

PEERS = ("dlib-hog", "dlib-mmod", "mediapipe-short", "mediapipe-full", "opencv-haar")


def voc(data: Path) -> list[dict]:
    root = data / "dlibfaces" / "examples" / "faces"
    images: dict[str, list] = {}
    for xml in ("training.xml", "testing.xml"):
        text = (root / xml).read_text(encoding="latin-1")
        for m in re.finditer(r"<image file='([^']+)'[^>]*>(.*?)</image>", text, re.S):
            boxes = images.setdefault(m.group(1), [])
            for b in re.finditer(r"top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)'", m.group(2)):
                top, left, w, h = (float(x) for x in b.groups())
                boxes.append([left, top, left + w, top + h])
    return [{"path": str(root / f), "boxes": b} for f, b in sorted(images.items())]


def match(gt: np.ndarray, det: np.ndarray, thr: float = 0.5) -> tuple[int, int]:
    """Greedy one-to-one matching by IoU: (matched ground truths, unmatched detections)."""
    if len(det) == 0 or len(gt) == 0:
        return 0, len(det)
    m = iou(gt, det)
    hit, used = 0, set()
    for g in np.argsort(-m.max(axis=1)):
        order = [d for d in np.argsort(-m[g]) if d not in used and m[g, d] >= thr]
        if order:
            used.add(order[0])
            hit += 1
    return hit, len(det) - len(used)


def fit_map(sets: list[dict], dets: list[np.ndarray]) -> np.ndarray:
    """Median (dx, dy, log sw, log sh) from the detector's best box to the annotated one."""
    rel = []
    for s, d in zip(sets, dets):
        if len(d) == 0:
            continue
        g = np.asarray(s["boxes"][0], float)
        k = int(np.argmax(iou(g, d[:, :4])[0]))
        if iou(g, d[k : k + 1, :4])[0, 0] < 0.3:
            continue
        b = d[k, :4]
        bw, bh = b[2] - b[0], b[3] - b[1]
        rel.append(
            [
                ((g[0] + g[2]) - (b[0] + b[2])) / 2 / bw,
                ((g[1] + g[3]) - (b[1] + b[3])) / 2 / bh,
                np.log((g[2] - g[0]) / bw),
                np.log((g[3] - g[1]) / bh),
            ]
        )
    return np.median(np.asarray(rel), axis=0) if rel else np.zeros(4)


def apply_map(d: np.ndarray, m: np.ndarray) -> np.ndarray:
    if len(d) == 0:
        return d[:, :4]
    b = d[:, :4]
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    cx, cy = (b[:, 0] + b[:, 2]) / 2 + m[0] * w, (b[:, 1] + b[:, 3]) / 2 + m[1] * h
    w, h = w * np.exp(m[2]), h * np.exp(m[3])
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def run_facecli(entries: list[dict], repeat: int = 1, min_face: float = 20.0) -> list[dict]:
    import cv2
    import torch

    from facecli.detection import DetectorConfig, FaceDetector
    from facecli.io.image import read_image

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    det = FaceDetector(DetectorConfig(min_face=min_face))
    imgs = []
    for e in entries:
        img = read_image(e["path"])
        if e.get("size"):
            img = cv2.resize(img, tuple(e["size"]), interpolation=cv2.INTER_AREA)
        imgs.append(img)
    det.detect(imgs[0])
    out = []
    for img in imgs:
        t0 = time.perf_counter()
        for _ in range(repeat):
            f = det.detect(img)
        ms = (time.perf_counter() - t0) / repeat * 1000
        boxes = np.concatenate([f.boxes, f.scores[:, None]], axis=1) if len(f) else np.zeros((0, 5))
        out.append({"boxes": boxes.tolist(), "ms": ms, "points": f.keypoints.tolist()})
    return out


def run_peers(python: str, names: list[str], entries: list[dict], repeat: int, mmod: str | None) -> dict:
    images = [{"path": e["path"], "size": e.get("size")} for e in entries]
    job = {"images": images, "detectors": names, "repeat": repeat}
    return run_peer(python, Path(__file__).with_name("peers.py"), job, *(["--mmod", mmod] if mmod else []))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with lfw/images, mtfl/*.txt, dlibfaces/")
    ap.add_argument("--peer-python", default=None, help="python of the peers' separate environment")
    ap.add_argument("--mmod", default=None, help="dlib's mmod_human_face_detector.dat (for dlib-mmod)")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated peers to run")
    ap.add_argument(
        "--min-face", type=float, nargs="+", default=[20.0, 40.0], help="facecli rows: detect --min-face values"
    )
    ap.add_argument("--fit", type=int, default=1000, help="MTFL train faces for the box-convention map")
    ap.add_argument("--limit", type=int, default=None, help="only the first N test faces (a quick look)")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = ap.parse_args()

    test, train, faces = (
        mtfl(args.data, "testImageList.txt", args.limit),
        mtfl(args.data, "trainImageList.txt", args.fit),
        voc(args.data),
    )
    timing = [{"path": e["path"], "size": [640, 480]} for e in faces]
    sets = {"test": test, "train": train, "voc": faces, "timing": timing}
    names = []
    raw: dict[str, dict[str, list]] = {}
    for min_face in args.min_face:
        name = f"facecli (MTCNN, --min-face {min_face:g})"
        names.append(name)
        raw[name] = {k: run_facecli(e, repeat=3 if k == "timing" else 1, min_face=min_face) for k, e in sets.items()}
    peers = [p for p in args.peers.split(",") if p] if args.peer_python else []
    if "dlib-mmod" in peers and not args.mmod:
        peers.remove("dlib-mmod")
    for key, entries in sets.items():
        if peers:
            got = run_peers(args.peer_python, peers, entries, 3 if key == "timing" else 1, args.mmod)
            for p in peers:
                raw.setdefault(p, {})[key] = got[p]
    names += peers

    rows = []
    for name in names:
        r = raw[name]
        det = {k: [np.asarray(x["boxes"], float).reshape(-1, 5) for x in r[k]] for k in sets}
        m = fit_map(train, det["train"])

        def rec(entries: list[dict], ds: list[np.ndarray], mapping: np.ndarray | None) -> float:
            hits = sum(
                match(np.asarray(e["boxes"]), d[:, :4] if mapping is None else apply_map(d, mapping))[0]
                for e, d in zip(entries, ds)
            )
            return hits / sum(len(e["boxes"]) for e in entries)

        fp = sum(match(np.asarray(e["boxes"]), d[:, :4])[1] for e, d in zip(faces, det["voc"]))
        row = {
            "detector": name,
            "lfw_recall_own_box": rec(test, det["test"], None),
            "lfw_recall_mtfl_box": rec(test, det["test"], m),
            "voc_recall_own_box": rec(faces, det["voc"], None),
            "voc_recall_mtfl_box": rec(faces, det["voc"], m),
            "voc_unmatched": fp,
            "ms_640x480": float(np.mean([x["ms"] for x in r["timing"]])),
            "ms_lfw_150px": float(np.mean([x["ms"] for x in r["test"]])),
            "box_map": m.tolist(),
        }
        if "points" in r["test"][0]:
            nme = []
            for e, x in zip(test, r["test"]):
                d = np.asarray(x["boxes"], float).reshape(-1, 5)
                if not len(d):
                    nme.append(np.inf)
                    continue
                k = int(np.argmax(iou(np.asarray(e["boxes"]), d[:, :4])[0]))
                nme.append(five_point_nme(x["points"][k], e["points"]))
            nme = np.asarray(nme)
            row["five_point_nme"] = float(np.mean(nme[np.isfinite(nme)]))
            row["five_point_fr10"] = float(np.mean(nme > 0.1))
        rows.append(row)

    print(
        f"{len(test)} MTFL-test LFW faces, {sum(len(e['boxes']) for e in faces)} VOC faces in {len(faces)} photos, "
        f"box map fitted on {len(train)} MTFL-train faces\n"
    )
    print(
        "| detector | LFW recall (own box) | LFW recall (MTFL box) | VOC recall (own) | VOC recall (MTFL box) "
        "| VOC unmatched | ms / 640x480 | ms / LFW image | 5-pt NME | FR@0.1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        nme = f"{r['five_point_nme']:.4f}" if "five_point_nme" in r else "-"
        fr = f"{100 * r['five_point_fr10']:.1f} %" if "five_point_fr10" in r else "-"
        print(
            f"| {r['detector']} | {100 * r['lfw_recall_own_box']:.2f} % | {100 * r['lfw_recall_mtfl_box']:.2f} % | "
            f"{100 * r['voc_recall_own_box']:.1f} % | {100 * r['voc_recall_mtfl_box']:.1f} % | {r['voc_unmatched']} | "
            f"{r['ms_640x480']:.1f} | {r['ms_lfw_150px']:.1f} | {nme} | {fr} |"
        )
    args.out.write_text(json.dumps({"argv": sys.argv, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
