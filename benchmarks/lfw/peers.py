"""dlib's face descriptor for benchmarks/lfw/bench.py: the outside-data reference row, run in a
SEPARATE virtual environment (dlib never becomes a facecli dependency; set-up in
benchmarks/detect/peers.py: ``pip install dlib-bin``, and the models of the
``face_recognition_models`` sdist).

Reads a job (JSON: ``images``, ``models``: the folder with ``shape_predictor_5_face_landmarks.dat``
and ``dlib_face_recognition_resnet_model_v1.dat``) and writes an (N, 128) float32 .npy: per
image, the descriptor of the HOG face nearest the image centre (upsampled once; the central
60 % of the image when HOG finds none), aligned by dlib's own 5-point predictor. dlib's
descriptor was trained on about 3 million faces of 7,485 people from outside LFW.
"""

from __future__ import annotations

import argparse
import json
import sys

import cv2
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("job")
    ap.add_argument("out")
    args = ap.parse_args()
    import dlib

    job = json.load(open(args.job))
    hog = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(f"{job['models']}/shape_predictor_5_face_landmarks.dat")
    rec = dlib.face_recognition_model_v1(f"{job['models']}/dlib_face_recognition_resnet_model_v1.dat")
    out, missed = [], 0
    for n, path in enumerate(job["images"]):
        rgb = cv2.imread(path, cv2.IMREAD_COLOR)[:, :, ::-1].copy()
        h, w = rgb.shape[:2]
        rects = hog(rgb, 1)
        if len(rects):
            r = min(rects, key=lambda r: (r.center().x - w / 2) ** 2 + (r.center().y - h / 2) ** 2)
        else:
            missed += 1
            r = dlib.rectangle(int(0.2 * w), int(0.2 * h), int(0.8 * w), int(0.8 * h))
        out.append(np.asarray(rec.compute_face_descriptor(rgb, sp(rgb, r)), np.float32))
        if (n + 1) % 1000 == 0:
            print(f"dlib: {n + 1}/{len(job['images'])} ({missed} without a HOG face)", file=sys.stderr, flush=True)
    np.save(args.out, np.stack(out))
    print(f"dlib: {missed} of {len(out)} images without a HOG face", file=sys.stderr)


if __name__ == "__main__":
    main()
