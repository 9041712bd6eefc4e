"""How far the standard WFLW-98 -> iBUG-68 subset of the synthetic 98-point truth is from the
68-point truth of the same faces: mean NME per region (inter-ocular, outer eye corners), over
varied synthetic faces (random people, poses, expressions; a quarter of them hard ones).

  .venv/bin/python benchmarks/align/scheme_agreement.py --faces 40
  .venv/bin/python benchmarks/align/scheme_agreement.py --faces 40 --tree /tmp/oldtree   # an older commit

--tree runs the code of another checkout (benchmarks/baseline_cli.py makes one); code from before
landmark marching renders both schemes on fixed vertices.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=int, default=40)
    ap.add_argument("--tree", type=Path, default=None, help="run this checkout's facecli instead")
    args = ap.parse_args()
    if args.tree is not None:
        sys.path.insert(0, str(args.tree))
    import numpy as np

    from facecli.schemes import IBUG68_REGIONS, WFLW98_TO_IBUG68
    from facecli.synth.face_model import sample_identity
    from facecli.synth.images import sample_image_conditions
    from facecli.synth.scene import SceneOptions, render_person
    from facecli.synth.template import get_template

    tpl = get_template()
    marching = "scheme" in inspect.signature(render_person).parameters
    per: dict[str, list[float]] = {k: [] for k in IBUG68_REGIONS}
    for i in range(args.faces):
        rng = np.random.default_rng(1000 + i)
        ident = sample_identity(rng)
        pose, expr, _, _ = sample_image_conditions(rng, hard=i % 4 == 0)
        kw = {"size": (160, 160), "options": SceneOptions(clutter=False)}
        shapes = {}
        for scheme in ("ibug68", "wflw98"):
            how = {"scheme": scheme} if marching else {"landmark_index": getattr(tpl, scheme)}
            shapes[scheme] = render_person(ident, expr, pose, np.random.default_rng(i), **how, **kw)[0].landmarks
        sub, truth = shapes["wflw98"][WFLW98_TO_IBUG68], shapes["ibug68"]
        iod = np.linalg.norm(truth[36] - truth[45])
        for name, (a, b) in IBUG68_REGIONS.items():
            per[name].append(float(np.linalg.norm(sub[a:b] - truth[a:b], axis=1).mean() / iod))
    print(f"{args.faces} faces, code {'with' if marching else 'without'} landmark marching")
    print(" | ".join(f"{k} {100 * np.mean(v):.2f}% (max {100 * np.max(v):.2f})" for k, v in per.items()))


if __name__ == "__main__":
    main()
