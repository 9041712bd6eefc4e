"""Peer landmark detectors for benchmarks/align_real/bench.py, run in a SEPARATE virtual
environment (peers never become facecli dependencies; set-up in benchmarks/detect/peers.py).

Reads a job (JSON: images with a reference box) and writes, per peer and image, five points
(left eye centre, right eye centre, nose tip, left and right mouth corner, image left/right)
and the milliseconds per face:

- dlib-68: dlib's 68-point shape predictor on dlib's HOG face box (upsampled once; the
  reference box when HOG finds none), reduced to the five points (eye centres = mean of each
  eye's six contour points, iBUG 30, 48, 54);
- mediapipe-mesh: MediaPipe FaceMesh (468 points, static images), reduced to the five points
  (eye centres = mean of each eye's 16 contour points, nose tip 1, mouth corners 61 and 291).
"""

from __future__ import annotations

import argparse
import json
import time

import cv2
import numpy as np

MP_EYE_A = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
MP_EYE_B = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]


def ordered(eye_a, eye_b, nose, m_a, m_b) -> list:
    eyes = sorted([eye_a, eye_b], key=lambda p: p[0])
    mouth = sorted([m_a, m_b], key=lambda p: p[0])
    return [list(map(float, p)) for p in (*eyes, nose, *mouth)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("job")
    ap.add_argument("out")
    ap.add_argument("--predictor", required=True, help="shape_predictor_68_face_landmarks.dat")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    job = json.load(open(args.job))
    import dlib
    import mediapipe as mp

    hog = dlib.get_frontal_face_detector()
    sp = dlib.shape_predictor(args.predictor)
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=3, refine_landmarks=False)
    out = {"dlib-68": [], "mediapipe-mesh": []}
    for e in job["images"]:
        rgb = cv2.imread(e["path"], cv2.IMREAD_COLOR)[:, :, ::-1].copy()
        x0, y0, x1, y1 = e["box"]
        t0 = time.perf_counter()
        rects = hog(rgb, 1)
        if len(rects):  # the HOG face nearest the reference box
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            r = min(rects, key=lambda r: (r.center().x - cx) ** 2 + (r.center().y - cy) ** 2)
            source = "hog"
        else:
            r = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
            source = "reference"
        s = sp(rgb, r)
        p = np.array([[s.part(i).x, s.part(i).y] for i in range(68)], float)
        ms = (time.perf_counter() - t0) * 1000
        five = ordered(p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54])
        out["dlib-68"].append({"five": five, "ms": ms, "box_source": source, "points": p.tolist()})
        t0 = time.perf_counter()
        res = mesh.process(rgb)
        ms = (time.perf_counter() - t0) * 1000
        if not res.multi_face_landmarks:
            out["mediapipe-mesh"].append({"five": None, "ms": ms})
            continue
        h, w = rgb.shape[:2]
        cands = []
        for f in res.multi_face_landmarks:
            q = np.array([[lm.x * w, lm.y * h] for lm in f.landmark])
            cands.append(q)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        q = min(cands, key=lambda q: (q[:, 0].mean() - cx) ** 2 + (q[:, 1].mean() - cy) ** 2)
        five = ordered(q[MP_EYE_A].mean(0), q[MP_EYE_B].mean(0), q[1], q[61], q[291])
        out["mediapipe-mesh"].append({"five": five, "ms": ms, "points": q[::4].tolist()})
    json.dump(out, open(args.out, "w"))


if __name__ == "__main__":
    main()
