"""``facecli apex-detect``: Apex frame of micro-expression clips (issue #9, not landed yet)."""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer()
add_pending(app, "apex-detect", issue=9, what="micro-expression apex spotting", help="Apex frame of micro-expression clips")

__all__ = ["app"]
