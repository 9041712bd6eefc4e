"""The ``facecli`` application: global options and the registered subcommands.

Heavy libraries (torch, open3d) are imported inside command functions only, so
``facecli --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from facecli._version import __version__
from facecli.commands import (
    align,
    apex_detect,
    detect,
    evaluate,
    grid_attn,
    info,
    landmarks3d,
    mer_train,
    normals,
    register,
    synth,
)
from facecli.commands._common import Device, State, set_state

__all__ = ["app", "main"]

app = typer.Typer(
    name="facecli",
    help=(
        "Composable commands for face-geometry and face-analysis research. "
        "stdout carries data (written paths, or JSON with --json); messages go to stderr."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"facecli {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _global(
    ctx: typer.Context,
    device: Annotated[Device, typer.Option("--device", help="Where models and kernels run.")] = Device.auto,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of every random stream; same inputs + seed = same outputs.")
    ] = 0,
    threads: Annotated[
        Optional[int], typer.Option("--threads", min=1, help="CPU threads for torch/OpenCV (default: library default).")
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors on stderr.")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="Debug messages and tracebacks on stderr.")] = False,
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    ctx.obj = State(device=device.value, seed=seed, threads=threads, quiet=quiet, verbose=verbose)
    set_state(ctx.obj)


# single-command modules merge into the top level; groups keep their name
app.add_typer(normals.app, name="normals")
app.add_typer(grid_attn.app, name="grid-attn")
app.add_typer(register.app)
app.add_typer(landmarks3d.app, name="landmarks3d")
app.add_typer(align.app, name="align")
app.add_typer(detect.app)
app.add_typer(apex_detect.app)
app.add_typer(mer_train.app, name="mer-train")
app.add_typer(evaluate.app, name="evaluate")
app.add_typer(synth.app, name="synth")
app.add_typer(info.app)


def main() -> None:
    """Console-script entry point.

    A Ctrl-C that lands before a command has installed its own handling (while the
    libraries load) still ends with one line and exit status 130, not a traceback.
    """
    code: int | str | None = 0
    try:
        app(prog_name="facecli")
    except KeyboardInterrupt:
        sys.stderr.write("facecli: interrupted\n")
        code = 130
    except SystemExit as exc:
        code = exc.code
    container = sys.modules.get("facecli.io.container")
    batch = sys.modules.get("facecli.batch")
    if (container is not None and getattr(container, "STORAGE_FAILED", False)) or (
        batch is not None and batch.workers_killed()
    ):
        # HDF5 failed a write (disk full...): freeing its objects at interpreter exit may
        # crash, turning the clean one-line error into a segfault; a killed worker pool may
        # leave a thread that exit would wait on forever. Leave without teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else 1)
    sys.exit(code)
