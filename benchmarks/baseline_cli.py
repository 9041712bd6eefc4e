"""Make a ``facecli`` launcher that runs an older commit of this repository, for paired
before/after benchmarks (``--baseline`` of ``benchmarks/normals/bench.py``).

  .venv/bin/python benchmarks/baseline_cli.py HEAD~3 /tmp/oldtree   # prints /tmp/oldtree/facecli-baseline

The commit is checked out as a git worktree; the launcher puts it first on ``sys.path`` and
runs it with this environment's packages.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("commit")
    ap.add_argument("where", type=Path)
    args = ap.parse_args()
    repo = Path(__file__).resolve().parents[1]
    if not args.where.exists():
        subprocess.run(
            ["git", "-C", str(repo), "worktree", "add", "--detach", str(args.where), args.commit], check=True
        )
    for pkg in ("commands", "kernels"):  # the installed layout: facecli.commands lives in commands/
        link = args.where / "facecli" / pkg
        if not link.exists():
            link.symlink_to(args.where / pkg)
    launcher = args.where / "facecli-baseline"
    launcher.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(args.where)!r})\n"
        "from facecli.commands.main import main\n\nif __name__ == '__main__':  # worker processes import this file\n"
        "    sys.exit(main())\n"
    )
    launcher.chmod(0o755)
    print(launcher)


if __name__ == "__main__":
    main()
