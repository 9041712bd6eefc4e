"""``facecli align``: 2D facial landmarks on images (MuSiCa) (issue #6, not landed yet)."""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer(help="2D facial landmarks on images (MuSiCa) [not available yet: issue #6]", no_args_is_help=True)
add_pending(app, "train", issue=6, what="MuSiCa 2D alignment", help="align train")
add_pending(app, "predict", issue=6, what="MuSiCa 2D alignment", help="align predict")

__all__ = ["app"]
