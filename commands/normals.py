"""``facecli normals``: Multi-scale normal maps of faces, with GLCM/LBP texture descriptors (issue #7, not landed yet)."""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer()
add_pending(app, "normals", issue=7, what="multi-scale normal maps", help="Multi-scale normal maps of faces, with GLCM/LBP texture descriptors")

__all__ = ["app"]
