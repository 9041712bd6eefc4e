"""Peer face detectors for benchmarks/detect/bench.py, run in a SEPARATE virtual environment
(peers never become facecli dependencies):

  python3 -m venv /tmp/peers && /tmp/peers/bin/pip install dlib-bin mediapipe==0.10.14
  pip download --no-deps face_recognition_models && tar xzf face_recognition_models-0.3.0.tar.gz

Reads a job (JSON: images, detectors, repeat) and writes, per detector and image, the boxes
``x0, y0, x1, y1, score`` and the milliseconds per call (one thread where the peer allows:
OpenCV and dlib are set to one; MediaPipe's graph runs its own threads).

Detectors: dlib-hog (frontal HOG + linear SVM, upsampled once, as dlib's example),
dlib-mmod (dlib's CNN, upsampled once; needs --mmod), mediapipe-short and mediapipe-full
(BlazeFace short- and full-range), opencv-haar (OpenCV's frontal default cascade).
"""

from __future__ import annotations

import argparse
import json
import time

import cv2
import numpy as np


def load(entry: dict) -> np.ndarray:
    img = cv2.imread(entry["path"], cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"cannot read {entry['path']}")
    if entry.get("size"):
        img = cv2.resize(img, tuple(entry["size"]), interpolation=cv2.INTER_AREA)
    return img[:, :, ::-1].copy()  # RGB


def make(name: str, mmod: str | None):
    if name == "dlib-hog":
        import dlib

        det = dlib.get_frontal_face_detector()

        def run(rgb):
            rects, scores, _ = det.run(rgb, 1, -0.0)
            return [[r.left(), r.top(), r.right() + 1, r.bottom() + 1, s] for r, s in zip(rects, scores)]

        return run
    if name == "dlib-mmod":
        import dlib

        det = dlib.cnn_face_detection_model_v1(mmod)

        def run(rgb):
            return [
                [d.rect.left(), d.rect.top(), d.rect.right() + 1, d.rect.bottom() + 1, d.confidence]
                for d in det(rgb, 1)
            ]

        return run
    if name.startswith("mediapipe"):
        import mediapipe as mp

        fd = mp.solutions.face_detection.FaceDetection(
            model_selection=0 if name.endswith("short") else 1, min_detection_confidence=0.5
        )

        def run(rgb):
            h, w = rgb.shape[:2]
            res = fd.process(rgb)
            out = []
            for d in res.detections or []:
                b = d.location_data.relative_bounding_box
                out.append([b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h, d.score[0]])
            return out

        return run
    if name == "opencv-haar":
        casc = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

        def run(rgb):
            g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            rects, _, weights = casc.detectMultiScale3(g, 1.1, 3, minSize=(20, 20), outputRejectLevels=True)
            return [[x, y, x + w, y + h, float(s)] for (x, y, w, h), s in zip(rects, np.ravel(weights))]

        return run
    raise SystemExit(f"unknown detector {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("job")
    ap.add_argument("out")
    ap.add_argument("--mmod", default=None, help="mmod_human_face_detector.dat (face_recognition_models)")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    job = json.load(open(args.job))
    images = [load(e) for e in job["images"]]
    result = {}
    for name in job["detectors"]:
        run = make(name, args.mmod)
        run(images[0])  # warm-up
        per = []
        for img in images:
            t0 = time.perf_counter()
            for _ in range(job.get("repeat", 1)):
                boxes = run(img)
            ms = (time.perf_counter() - t0) / job.get("repeat", 1) * 1000
            per.append({"boxes": [[float(v) for v in b] for b in boxes], "ms": ms})
        result[name] = per
    json.dump(result, open(args.out, "w"))


if __name__ == "__main__":
    main()
