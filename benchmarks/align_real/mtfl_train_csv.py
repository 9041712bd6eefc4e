"""Write the five-point CSV (``facecli.io.fivepoint``) of the LFW faces of the MTFL *train*
list, for ``facecli align train --five-point`` (the test list is never written: it is for
reporting only).

  .venv/bin/python benchmarks/align_real/mtfl_train_csv.py --data ~/.cache/facecli-real -o /tmp/mtfl_train.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realdata import mtfl  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with lfw/images and mtfl/trainImageList.txt")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args()
    from facecli.io.fivepoint import write_five_points

    faces = mtfl(args.data, "trainImageList.txt")
    write_five_points(args.output, [(f["path"], f["points"]) for f in faces])
    print(f"{len(faces)} faces -> {args.output}")


if __name__ == "__main__":
    main()
