"""facecli landmarks3d on real scans as scanners make them, side by side with a rigid template.

Run (data: ../shared/REALDATA.md, the FLAME sample head scan with its 51 annotated landmarks,
iBUG points 17..67, in metres; the template is the synthetic training faces' mean):

  git -C M show HEAD:data/scan.obj > ~/.cache/facecli-real/flame/scan.obj
  git -C M show HEAD:data/scan_lmks.npy > ~/.cache/facecli-real/flame/scan_lmks.npy
  facecli --seed 0 synth faces3d -o /tmp/lm/train --subjects 60 --expressions 8
  .venv/bin/python benchmarks/landmarks3d_real/bench.py \\
      --case ~/.cache/facecli-real/flame/scan.obj:~/.cache/facecli-real/flame/scan_lmks.npy:17 \\
      --train /tmp/lm/train --out benchmarks/landmarks3d_real/results

A case is SCAN:LANDMARKS:FIRST: the scan (any mesh format and units), an (n, 3) .npy of
annotated landmarks in the scan's units, and the iBUG index of the first one (they follow in
iBUG order). Rows, all on the scan as given (no hand crop):

- 2S-SGCN, default flags (units read from the size, the face cut out about the nose tip), for
  the shipped model and each ``--model LABEL=PATH`` (a candidate, side by side in one run);
- the same, with the face box cut at other extents (how much lower below the nose tip and
  how deep behind it: ``BOXES``): scans are cut at other places, and a model that reads the
  face rather than the input's edges should not care (the spread is reported);
- 2S-SGCN as before issue #26 (the scan scaled to mm by hand, no face crop, the model's
  absolute z crop);
- the training faces' mean face with its mean landmarks, placed by rigid point-to-plane ICP
  (Open3D) on the whole scan in mm, and on the face region that facecli cuts out;
- the same mean face placed by ``facecli register`` with default flags (FGR + Geman-McClure,
  the scan as read: its units found and folded into the transform), on the whole scan and
  with ``--face-crop``.

Errors are Euclidean, mm, per landmark; regions are iBUG's (brows 17-26, nose 27-35, eyes
36-47, mouth 48-67, jaw 0-16). Writes results.json and a front/profile picture per case.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realdata import read_scan_case  # noqa: E402

REGIONS = {
    "jaw": range(17),
    "brows": range(17, 27),
    "nose": range(27, 36),
    "eyes": range(36, 48),
    "mouth": range(48, 68),
}
#: Face boxes (half width, below, above, behind; mm) of the crop-sensitivity sweep.
BOXES = [(90.0, below, 120.0, behind) for below in (80.0, 95.0, 110.0, 125.0) for behind in (100.0, 150.0)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", required=True, help="SCAN:LANDMARKS.npy:FIRST_IBUG_INDEX")
    ap.add_argument("--train", type=Path, required=True, help="FaceScape-layout root of the training faces (template)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/landmarks3d_real/results"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="also this model file (rows labelled LABEL), beside the shipped one",
    )
    ap.add_argument(
        "--synthetic",
        type=Path,
        default=None,
        help="also the default flags with and without the face crop on this "
        "FaceScape-layout root of held-out synthetic faces (the no-regression check)",
    )
    args = ap.parse_args()

    from facecli.geometry.facefind import UNIT_FACTORS, face_region
    from facecli.io.inputs import InputItem
    from facecli.io.mesh import Mesh, read_mesh
    from facecli.landmarks3d.data import load_landmark_set
    from facecli.landmarks3d.jobs import LandmarksJob
    from facecli.landmarks3d.predictor import Landmarker
    from facecli.landmarks3d.preview import save_landmarks_preview
    from facecli.landmarks3d.template import RigidTemplate
    from facecli.registration import RegistrationConfig, register_clouds

    args.out.mkdir(parents=True, exist_ok=True)
    train = load_landmark_set(args.train)
    first = read_mesh(train.scans[0].path)
    template = RigidTemplate.from_meshes([read_mesh(s.path).vertices for s in train.scans], first.faces, train.indices)
    models: dict[str, str | None] = {"shipped": None}
    for spec in args.model:
        label, _, path = spec.partition("=")
        models[label] = str(Path(path).expanduser())
    # what `landmarks3d predict` runs by default, with each model
    jobs = {label: LandmarksJob(model=path, seed=args.seed, crop_z=None) for label, path in models.items()}
    before = Landmarker.from_file(None, seed=args.seed)  # the model's own absolute crop, no face crop
    results = []
    for case in args.case:
        c = read_scan_case(case)
        scan, mesh, units, truth, idx = c["scan"], c["mesh"], c["units"], c["truth"], c["idx"]
        first_idx = int(idx[0])
        k = UNIT_FACTORS[units]
        rows = {}
        sweep: dict[str, list[float]] = {}
        v_mm = mesh.vertices * k
        for label, job in jobs.items():
            t0 = time.perf_counter()
            out_l = job(InputItem(scan.name, scan))
            name = f"2S-SGCN {label}, default flags"
            rows[name] = (out_l["landmarks"], float(np.mean(out_l["confidence"])), time.perf_counter() - t0)
            if label == "shipped":
                out = out_l
            sweep[name] = []
            for box in BOXES:
                reg_b = face_region(v_mm, mesh.faces, box=box)
                res_b = job.landmarker().predict(
                    Mesh(vertices=reg_b.vertices, faces=reg_b.faces, source=str(scan)), scan.name
                )
                sweep[name].append(float(np.linalg.norm(res_b.landmarks[idx] - truth, axis=1).mean()))
        t0 = time.perf_counter()
        res = before.predict(Mesh(vertices=v_mm, faces=mesh.faces, source=str(scan)), scan.name)
        rows["2S-SGCN before #26 (scaled by hand, no face crop)"] = (
            res.landmarks,
            float(np.mean(res.confidence)),
            time.perf_counter() - t0,
        )
        t0 = time.perf_counter()
        rows["template by ICP, whole scan"] = (template.predict(v_mm), float("nan"), time.perf_counter() - t0)
        reg = face_region(v_mm, mesh.faces)
        t0 = time.perf_counter()
        rows["template by ICP, face region"] = (template.predict(reg.vertices), float("nan"), time.perf_counter() - t0)
        for label, crop in (("whole scan", False), ("--face-crop", True)):
            # `facecli register SCAN mean-face` with default flags: the scan as read (any units)
            t0 = time.perf_counter()
            reg_r = register_clouds(mesh.vertices, template.vertices, RegistrationConfig(face_crop=crop))
            back = np.linalg.inv(reg_r.transform)  # the mean face onto the scan as read
            lm_r = (template.landmarks @ back[:3, :3].T + back[:3, 3]) * k
            rows[f"template by facecli register, {label}"] = (lm_r, float("nan"), time.perf_counter() - t0)
        table = {}
        for name, (lm, conf, secs) in rows.items():
            err = np.linalg.norm(np.asarray(lm, np.float64)[idx] - truth, axis=1)
            per = {
                r: float(np.mean(err[np.isin(idx, list(ix))]))
                for r, ix in REGIONS.items()
                if np.isin(idx, list(ix)).any()
            }
            table[name] = {
                "mean_mm": float(err.mean()),
                "median_mm": float(np.median(err)),
                "max_mm": float(err.max()),
                "regions_mm": per,
                "confidence": conf,
                "seconds": secs,
            }
            if name in sweep:
                table[name]["box_sweep_mm"] = dict(zip([str(b) for b in BOXES], sweep[name]))
        save_landmarks_preview(
            args.out / f"{scan.stem}_default.png",
            reg.vertices,
            reg.faces,
            np.asarray(out["landmarks"], np.float64),
        )
        results.append(
            {
                "scan": str(scan),
                "units": units,
                "landmarks": len(truth),
                "first_ibug": first_idx,
                "nose_tip_mm": reg.nose_tip.tolist(),
                "face_region_removed": reg.removed,
                "methods": table,
            }
        )
        print(
            f"\n### {scan.name} ({units}, {len(truth)} landmarks from iBUG {first_idx}; face crop removed "
            f"{100 * reg.removed:.0f} % of the triangles)\n"
        )
        regs = list(next(iter(table.values()))["regions_mm"])
        print("| method | mean mm | median mm | max mm | " + " | ".join(regs) + " | confidence | s |")
        print("|---|---:|---:|---:|" + "---:|" * len(regs) + "---:|---:|")
        for name, m in table.items():
            cells = [f"{m['regions_mm'][r]:.1f}" for r in regs]
            conf = "–" if m["confidence"] != m["confidence"] else f"{m['confidence']:.2f}"
            print(
                f"| {name} | {m['mean_mm']:.2f} | {m['median_mm']:.2f} | {m['max_mm']:.1f} | "
                + " | ".join(cells)
                + f" | {conf} | {m['seconds']:.2f} |"
            )
        print("\ncrop sensitivity: mean mm with the face box cut at other extents (below the tip / behind it, mm)\n")
        print("| model | " + " | ".join(f"{b[1]:.0f}/{b[3]:.0f}" for b in BOXES) + " | spread |")
        print("|---|" + "---:|" * (len(BOXES) + 1))
        for name, errs in sweep.items():
            print(f"| {name} | " + " | ".join(f"{e:.1f}" for e in errs) + f" | {max(errs) - min(errs):.1f} |")
    synthetic = synthetic_check(args.synthetic, args.seed, models) if args.synthetic else None
    (args.out / "results.json").write_text(
        json.dumps({"template_meshes": len(train.scans), "cases": results, "synthetic": synthetic}, indent=1)
    )


def synthetic_check(root: Path, seed: int, models: dict[str, str | None]) -> dict:
    """Mean error on held-out synthetic faces with the face crop (the default), per model, and
    without the crop for the shipped model."""
    from facecli.io.inputs import InputItem
    from facecli.io.mesh import read_mesh
    from facecli.landmarks3d.data import load_landmark_set
    from facecli.landmarks3d.jobs import LandmarksJob

    ls = load_landmark_set(root)
    jobs = {
        f"{label}, face crop (default)": LandmarksJob(model=path, seed=seed, crop_z=None)
        for label, path in models.items()
    }
    jobs["shipped, no face crop"] = LandmarksJob(seed=seed, face_crop=False)
    errs: dict[str, list[float]] = {k: [] for k in jobs}
    changed = 0
    for sc in ls.scans:
        gt = ls.landmarks(read_mesh(sc.path))
        item = InputItem(sc.path.relative_to(root).as_posix(), sc.path)
        outs = {k: j(item)["landmarks"] for k, j in jobs.items()}
        for k in jobs:
            errs[k].append(float(np.linalg.norm(outs[k] - gt, axis=1).mean()))
        changed += not np.array_equal(outs["shipped, face crop (default)"], outs["shipped, no face crop"])
    out = {"meshes": len(ls.scans), "changed": changed, **{k: float(np.mean(v)) for k, v in errs.items()}}
    means = ", ".join(f"{k} {float(np.mean(v)):.3f} mm" for k, v in errs.items())
    print(
        f"\nsynthetic check ({root}, {out['meshes']} meshes): {means}; "
        f"{changed} meshes changed by the crop (shipped model)"
    )
    return out


if __name__ == "__main__":
    main()
