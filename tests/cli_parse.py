"""Parse facecli command lines against the real CLI without running them (for the README and
example-script tests)."""

import functools

import typer

from facecli.commands.main import app


@functools.lru_cache(maxsize=1)
def _root_command():
    return typer.main.get_command(app)


def parse_facecli(argv: list[str]):
    """Parse a facecli command line the way the CLI would (options, types, choices, required
    values), without running it; returns the leaf command. Raises the CLI's UsageError
    (typer's bundled click: matched by class name, its module is private)."""
    cmd = _root_command()
    ctx = cmd.make_context("facecli", list(argv))
    while hasattr(cmd, "resolve_command"):  # a group: descend to the subcommand
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, sub, rest = cmd.resolve_command(ctx, rest)
        assert sub is not None, f"no subcommand in {argv}"
        cmd = sub
        ctx = cmd.make_context(name, rest, parent=ctx)
    return cmd


def is_usage_error(exc: BaseException) -> bool:
    return any(c.__name__ == "UsageError" for c in type(exc).__mro__)
