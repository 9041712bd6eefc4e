"""``facecli grid-attn``: Face-recognition embeddings from normal maps (DGPA-Net) (issue #8, not landed yet)."""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer(help="Face-recognition embeddings from normal maps (DGPA-Net) [not available yet: issue #8]", no_args_is_help=True)
add_pending(app, "train", issue=8, what="DGPA-Net grid-attention recognition", help="grid-attn train")
add_pending(app, "embed", issue=8, what="DGPA-Net grid-attention recognition", help="grid-attn embed")
add_pending(app, "verify", issue=8, what="DGPA-Net grid-attention recognition", help="grid-attn verify")

__all__ = ["app"]
