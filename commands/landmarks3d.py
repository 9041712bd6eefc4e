"""``facecli landmarks3d``: 68 landmarks on 3D face meshes (2S-SGCN) (issue #5, not landed yet)."""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer(help="68 landmarks on 3D face meshes (2S-SGCN) [not available yet: issue #5]", no_args_is_help=True)
add_pending(app, "train", issue=5, what="2S-SGCN 3D landmarks", help="landmarks3d train")
add_pending(app, "predict", issue=5, what="2S-SGCN 3D landmarks", help="landmarks3d predict")

__all__ = ["app"]
