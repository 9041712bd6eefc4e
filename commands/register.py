"""``facecli register``: Rigid registration of face scans: FPFH, SVD coarse, Geman-McClure fine (issue #4, not landed yet)."""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer()
add_pending(app, "register", issue=4, what="registration (FPFH + SVD + Geman-McClure)", help="Rigid registration of face scans: FPFH, SVD coarse, Geman-McClure fine")

__all__ = ["app"]
