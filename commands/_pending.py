"""Placeholders for commands whose issue has not landed: they say so and exit 1.

Nothing here pretends to work; each module that uses this is replaced when its
issue lands.
"""

from __future__ import annotations

import typer

from facecli.commands._common import not_landed

__all__ = ["add_pending"]

_EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}


def add_pending(app: typer.Typer, name: str, *, issue: int, what: str, help: str) -> None:
    """Register command ``name`` on ``app`` that reports issue ``issue`` as not landed."""

    def _command(ctx: typer.Context) -> None:
        not_landed(ctx.command_path.removeprefix("facecli ").strip() or name, issue, what)

    _command.__doc__ = f"{help} [not available yet: issue #{issue}]"
    app.command(name, context_settings=_EXTRA, add_help_option=True)(_command)
