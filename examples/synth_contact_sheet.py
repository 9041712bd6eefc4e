"""Render a contact sheet of synthetic faces: identities × poses × expressions, with
iBUG landmarks drawn (green: visible, red: hidden).

Usage: python examples/synth_contact_sheet.py contact_sheet.png [--seed 0]
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from facecli.io.image import write_image
from facecli.seeding import rng_for
from facecli.synth.face_model import sample_identity
from facecli.synth.scene import Pose, SceneOptions, render_person

COLUMNS = [
    ("neutral, frontal", Pose(), {}),
    ("smile, yaw 30", Pose(yaw=30), {"AU6": 1.0, "AU12": 1.0}),
    ("jaw drop, yaw -45", Pose(yaw=-45, pitch=-10), {"AU26": 0.8}),
    ("brows up, pitch 15", Pose(pitch=15, roll=8), {"AU1": 1.0, "AU2": 1.0}),
    ("anger + glasses", Pose(yaw=15), {"AU4": 1.0, "AU7": 0.8}),
    ("eyes closed, yaw 80", Pose(yaw=80), {"AU43": 1.0}),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("output")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--identities", type=int, default=4)
    ap.add_argument("--size", type=int, default=192)
    args = ap.parse_args()
    rows = []
    for k in range(args.identities):
        ident = sample_identity(rng_for(args.seed, "sheet", k))
        tiles = []
        for j, (label, pose, aus) in enumerate(COLUMNS):
            occ = ("glasses",) if "glasses" in label else ()
            res, _ = render_person(
                ident,
                aus,
                pose,
                rng_for(args.seed, "sheet", k, j),
                size=(args.size, args.size),
                options=SceneOptions(occluders=occ),
            )
            im = res.image.copy()
            for (x, y), vis in zip(res.landmarks, res.visible):
                cv2.circle(im, (int(round(x)), int(round(y))), 1, (0, 230, 0) if vis else (230, 0, 0), -1)
            if k == 0:
                cv2.putText(im, label, (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
            tiles.append(im)
        rows.append(np.concatenate(tiles, axis=1))
    write_image(args.output, np.concatenate(rows, axis=0))
    print(args.output)


if __name__ == "__main__":
    main()
