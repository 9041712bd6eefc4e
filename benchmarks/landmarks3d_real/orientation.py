"""facecli landmarks3d on real scans turned as scanners may write them: --orient auto vs given.

Scanners do not all write FaceScape's frame (+Y up, +Z towards the viewer). This turns each
real scan (as in ``bench.py``: SCAN:LANDMARKS:FIRST) by a set of rotations, moves it, writes
it as PLY, and runs ``landmarks3d predict`` with ``--orient auto`` (the default: the face
found by the face detector on renders of the mesh) and ``--orient given`` (the frame
trusted) in one run. The error is measured against the annotated landmarks turned the same
way (mm, mean over the annotated points), with the rotation that ``auto`` applied and its
angle from the one that undoes the turn. Two more cases add a dense flat "chest" whose front
lies 40 mm ahead of the nose tip, as given and turned: the face crop then needs the detector's
nose point rather than the most forward surface.

Run (data: ../shared/REALDATA.md; see bench.py):

  .venv/bin/python benchmarks/landmarks3d_real/orientation.py \\
      --case ~/.cache/facecli-real/flame/scan.obj:~/.cache/facecli-real/flame/scan_lmks.npy:17 \\
      --out /tmp/l3orient
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realdata import landmarks3d_cli, read_scan_case  # noqa: E402

#: (label, Euler axes, degrees): turns of the head as scanners may write it.
TURNS = [
    ("as given", "x", 0.0),
    ("pitch 30", "x", 30.0),
    ("yaw 45", "y", 45.0),
    ("roll 40", "z", 40.0),
    ("+Z up, facing -Y", "x", 90.0),
    ("+Z up, facing +Y", "x", -90.0),
    ("facing +X", "y", 90.0),
    ("upside down", "z", 180.0),
    ("three axes", "xyz", (40.0, 70.0, 20.0)),
    # a dense flat "chest" below the chin, its front 40 mm ahead of the nose tip (a head tilted
    # back): the most forward surface is no longer the nose
    ("chest ahead of the nose", "x", 0.0),
    ("chest ahead, +Z up", "x", 90.0),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", required=True, help="SCAN:LANDMARKS.npy:FIRST_IBUG_INDEX")
    ap.add_argument("--out", type=Path, required=True, help="work folder (turned scans, outputs, results.json)")
    ap.add_argument("--model", default=None, help="model file (default: the shipped one)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import trimesh
    from scipy.spatial.transform import Rotation

    from facecli.geometry.facefind import UNIT_FACTORS

    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list] = {}
    for case in args.case:
        c = read_scan_case(case)
        scan, mesh, units, truth, idx, v = c["scan"], c["mesh"], c["units"], c["truth"], c["idx"], c["vertices"]
        k = UNIT_FACTORS[units]
        rows = []
        print(f"\n{scan.name} ({units}, {len(truth)} landmarks)\n")
        print("| turn | --orient auto (mm) | turned by | off the undoing turn | --orient given (mm) |")
        print("|---|---:|---:|---:|---:|")
        from facecli.geometry.facefind import nose_tip

        tip = nose_tip(v)
        chest = trimesh.creation.box(extents=[240.0, 100.0, 30.0])
        while len(chest.vertices) < 20000:  # as densely sampled as a scan
            chest = chest.subdivide()
        chest.apply_translation(tip + [0.0, -180.0, 25.0])
        for label, axes, deg in TURNS:
            r = Rotation.from_euler(axes, deg, degrees=True).as_matrix()
            verts, faces = v, mesh.faces
            if label.startswith("chest"):
                verts = np.concatenate([v, chest.vertices])
                faces = np.concatenate([mesh.faces, chest.faces + len(v)])
            shift = np.array([120.0, -80.0, 300.0])
            folder = args.out / label.replace(" ", "_").replace(",", "").replace("+", "p").replace("-", "m")
            folder.mkdir(exist_ok=True)
            # in the scan's own units: the units are read from the size as usual
            trimesh.Trimesh((verts @ r.T + shift) / k, faces, process=False).export(folder / "scan.ply")
            row: dict = {"turn": label, "axes": axes, "degrees": deg}
            for orient in ("auto", "given"):
                t0 = time.perf_counter()
                got = landmarks3d_cli(
                    folder,  # the folder: the id, and so the seeded point sample, is "scan.ply" in every run
                    folder / f"{orient}.h5",
                    seed=args.seed,
                    model=args.model,
                    extra=("--orient", orient),
                )
                lm, turn = got["landmarks"], got["turn"]
                err = np.linalg.norm(lm[idx] - (truth @ r.T + shift), axis=1).mean()
                row[orient] = {"error_mm": float(err), "seconds": time.perf_counter() - t0}
                if orient == "auto":
                    ang = lambda m: float(np.degrees(np.arccos(np.clip((np.trace(m) - 1) / 2, -1, 1))))  # noqa: E731
                    row["auto"]["turned_deg"] = ang(turn)
                    row["auto"]["off_undo_deg"] = ang(turn @ r) if ang(turn) > 0 else float("nan")
            rows.append(row)
            a = row["auto"]
            off = "-" if np.isnan(a["off_undo_deg"]) else f"{a['off_undo_deg']:.1f}°"
            print(
                f"| {label} | {a['error_mm']:.2f} | {a['turned_deg']:.1f}° | {off} | {row['given']['error_mm']:.2f} |",
                flush=True,
            )
        results[scan.name] = rows
    (args.out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
