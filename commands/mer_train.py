"""``facecli mer-train``: Micro-expression recognition, leave-one-subject-out (issue #10, not landed yet)."""

from __future__ import annotations

import typer

from facecli.commands._pending import add_pending

app = typer.Typer()
add_pending(app, "mer-train", issue=10, what="leave-one-subject-out micro-expression recognition", help="Micro-expression recognition, leave-one-subject-out")

__all__ = ["app"]
