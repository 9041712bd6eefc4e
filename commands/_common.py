"""What every command shares: global state, option aliases, the error boundary, output.

stdout carries data only (written paths, one per line, or one JSON object with
``--json``); logs, warnings and progress go to stderr.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from typer.core import TyperGroup

from facecli.errors import FaceCLIError

__all__ = [
    "IMAGE_PATTERN",
    "Device",
    "OnError",
    "Orient",
    "State",
    "Units",
    "get_state",
    "set_state",
    "boundary",
    "emit",
    "log",
    "log_capped",
    "log_scaled_units",
    "progress",
    "show",
    "stderr_table",
    "InputsArg",
    "OutputOpt",
    "PatternOpt",
    "ShardOpt",
    "WorkersOpt",
    "ResumeOpt",
    "OnErrorOpt",
    "JsonOpt",
    "FaceBoxOpt",
    "DefaultCommandGroup",
    "run_into_container",
    "finishing",
    "output_file",
]

F = TypeVar("F", bound=Callable[..., Any])


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Units(str, Enum):
    """Units of meshes and point clouds (``auto``: read from the size)."""

    auto = "auto"
    mm = "mm"
    cm = "cm"
    m = "m"


class Orient(str, Enum):
    """How a face mesh is oriented (``auto``: found by :mod:`facecli.detection.scan_orientation`)."""

    auto = "auto"
    given = "given"


class OnError(str, Enum):
    stop = "stop"
    skip = "skip"


@dataclass
class State:
    """Global options from the app callback, shared with every command."""

    device: str = "auto"
    seed: int = 0
    threads: Optional[int] = None
    quiet: bool = False
    verbose: bool = False
    argv: list[str] = field(default_factory=lambda: list(sys.argv))
    started: float = field(default_factory=time.perf_counter)

    def apply_threads(self) -> None:
        """Apply ``--threads`` to torch and OpenCV (imported here when it is given: commands import
        them lazily, and a later import would start with the library's own default)."""
        if self.threads is None:
            return
        import cv2
        import torch

        torch.set_num_threads(self.threads)
        cv2.setNumThreads(self.threads)


_ACTIVE: list[State] = []


def set_state(state: State) -> None:
    """Make ``state`` the running invocation's state (called by the app callback)."""
    _ACTIVE[:] = [state]


def get_state(ctx: typer.Context | None = None) -> State:
    """The :class:`State` of the running command (defaults outside the app)."""
    ctx = ctx or _current_ctx()
    while ctx is not None:
        if isinstance(ctx.obj, State):
            return ctx.obj
        ctx = ctx.parent
    return _ACTIVE[0] if _ACTIVE else State()


def _current_ctx() -> typer.Context | None:
    # typer >= 0.22 runs on its own copy of click (typer._click), whose context stack
    # is not click's: ask the copy first
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # older typer on the installed click
        from click import get_current_context
    return get_current_context(silent=True)  # type: ignore[return-value]


class DefaultCommandGroup(TyperGroup):
    """A command group that runs its ``default_command`` when the first argument is not
    one of its subcommands: ``facecli normals mesh.obj`` = ``facecli normals compute mesh.obj``."""

    default_command = "compute"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


#: Every image suffix of ``facecli.io.image.IMAGE_SUFFIXES`` (kept equal by a test; matched ignoring case).
IMAGE_PATTERN = "*.jpg,*.jpeg,*.png,*.bmp,*.ppm,*.pgm,*.tif,*.tiff,*.webp"

# -- shared options, defined once -------------------------------------------------
InputsArg = Annotated[
    list[str],
    typer.Argument(help="Files, directories (searched with --pattern), globs, or - to read paths from stdin."),
]
OutputOpt = Annotated[Path, typer.Option("-o", "--output", help="Output file or directory.")]
PatternOpt = Annotated[
    Optional[str], typer.Option("--pattern", help="Comma-separated globs for files inside directories.")
]
ShardOpt = Annotated[
    Optional[str], typer.Option("--shard", help="Process a deterministic 1/N of the inputs: K/N with 1 <= K <= N.")
]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="Local worker processes.")]
ResumeOpt = Annotated[
    bool, typer.Option("--resume", help="Continue an interrupted output file; finished samples are kept.")
]
OnErrorOpt = Annotated[
    OnError, typer.Option("--on-error", help="stop at the first bad input, or skip it and list it in the output.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object on stdout instead of paths.")]
FaceBoxOpt = Annotated[
    str,
    typer.Option(
        "--face-box",
        help="The face in each clip: auto (the face detector on the onset frame, the whole frame where it finds "
        "none), frame (the whole frame, as the datasets' cropped releases are), or x,y,w,h pixels for every clip. "
        "Stored per clip (face_box, face_box_source).",
    ),
]


# -- messages ---------------------------------------------------------------------
def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, no_color=bool(os.environ.get("NO_COLOR")))


def log(message: str, *, level: str = "info") -> None:
    """Write a message on stderr (``info`` hidden by ``-q``; ``debug`` needs ``-v``)."""
    state = get_state()
    if level == "debug" and not state.verbose:
        return
    if level == "info" and state.quiet:
        return
    prefix = {"warning": "[yellow]warning:[/] ", "debug": "[dim]debug:[/] "}.get(level, "")
    _stderr_console().print(prefix + message, markup=True, soft_wrap=True)


def log_capped(lines: Sequence[str], *, limit: int, more: str, level: str = "info") -> None:
    """Log at most ``limit`` of ``lines``, then one line ``... and N more <more>``."""
    for line in lines[:limit]:
        log(line, level=level)
    if len(lines) > limit:
        log(f"... and {len(lines) - limit} more {more}", level=level)


def log_scaled_units(units: Sequence[str], noun: str) -> None:
    """Say how many inputs (``noun``: ``mesh``, ``input``) were read in other units than mm and scaled."""
    for u in sorted(set(units) - {"mm"}):
        n = list(units).count(u)
        plural = ("es" if noun.endswith("sh") else "s") if n > 1 else ""
        log(f"{n} {noun}{plural} in {u}: scaled to mm (--units to set it)")


def stderr_table(title: str, columns: Sequence[str], *, left: Sequence[str] = ()) -> Any:
    """A rich table for a report on stderr: the given columns, right-aligned except ``left``
    (print it with :func:`show`)."""
    from rich.table import Table

    table = Table(title=title)
    for col in columns:
        table.add_column(col, justify="left" if col in left else "right")
    return table


def show(*renderables: Any) -> None:
    """Print tables or lines of a report on stderr (``NO_COLOR`` respected)."""
    console = _stderr_console()
    for r in renderables:
        console.print(r)


def progress(iterable: Iterable, *, total: int | None = None, desc: str = "") -> Iterable:
    """A progress bar on stderr, shown only when stderr is a terminal and not ``-q``."""
    from tqdm import tqdm

    state = get_state()
    disable = state.quiet or not sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, disable=disable, leave=False)


def emit(outputs: Iterable[Path | str], *, as_json: bool, summary: dict[str, Any] | None = None) -> None:
    """Write the command's data on stdout: paths one per line, or one JSON object."""
    outs = [str(o) for o in outputs]
    if as_json:
        state = get_state()
        obj = {"outputs": outs, **(summary or {})}
        obj.setdefault("seconds", round(time.perf_counter() - state.started, 3))
        # strict JSON: NaN/inf (a metric that could not be measured) become null
        sys.stdout.write(json.dumps(_plain(obj), allow_nan=False, default=str) + "\n")
    else:
        try:
            for o in outs:
                sys.stdout.write(o + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # the reader took what it wanted (e.g. `| head -1`): stop quietly, as Unix tools do
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
    sys.stdout.flush()


def _plain(obj: Any) -> Any:
    """Make ``obj`` strict-JSON-ready: numpy values to Python, non-finite floats to None."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _plain(obj.tolist())
    if isinstance(obj, np.generic):
        return _plain(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


# -- the error boundary -------------------------------------------------------------
def boundary(fn: F) -> F:
    """Turn library errors into one line on stderr and exit status 1.

    ``FaceCLIError`` gives its message; any other exception is reported as an
    internal error. The traceback is printed only with ``-v``.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        state = get_state()
        name = _command_name()
        if name == "facecli":
            name = f"facecli {fn.__name__.replace('_', '-')}"
        from facecli.batch import clear_stop, stop_requested
        from facecli.errors import Interrupted, UsageError

        clear_stop()
        restore = _install_signal_handlers()
        try:
            state.apply_threads()
            result = fn(*args, **kwargs)
            signum = stop_requested()
            if signum is not None:  # a library swallowed the KeyboardInterrupt: the run still ends as interrupted
                raise Interrupted(signum)
            return result
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except UsageError as exc:
            _print_error(f"{name}: usage error: {exc}{_kept(exc)}")
            raise typer.Exit(2) from None
        except FaceCLIError as exc:
            if state.verbose:
                traceback.print_exc(file=sys.stderr)
            _print_error(f"{name}: error: {exc}{_kept(exc)}")
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            signum = getattr(exc, "signum", None) or stop_requested() or signal.SIGINT
            what = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"
            _print_error(f"{name}: {what}{_kept(exc)}")
            raise typer.Exit(128 + int(signum)) from None
        except Exception as exc:  # an internal bug: still one line, traceback with -v
            if state.verbose:
                traceback.print_exc(file=sys.stderr)
            hint = "" if state.verbose else " (run with -v for the traceback)"
            _print_error(f"{name}: internal error: {exc.__class__.__name__}: {exc}{hint}{_kept(exc)}")
            raise typer.Exit(1) from None
        finally:
            restore()

    return wrapper  # type: ignore[return-value]


def _install_signal_handlers() -> Callable[[], None]:
    """SIGINT and SIGTERM stop the run: the batch in progress is told to stop (so it ends
    even where a library swallows the ``KeyboardInterrupt``) and an
    :class:`~facecli.errors.Interrupted` is raised; a second signal ends the process at
    once. Returns a function restoring the previous handlers. Outside the main thread
    (some test runners) nothing is installed."""
    import threading

    from facecli.batch import request_stop, stop_requested
    from facecli.errors import Interrupted

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: Any) -> None:
        if stop_requested() is not None:  # a second Ctrl-C while stopping: stop at once (as kill -9 would)
            os.write(2, b"facecli: stopped at once (a second signal); finished samples stay in the .part file\n")
            os._exit(128 + signum)
        request_stop(signum)
        raise Interrupted(signum)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, handler)
    old_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        # the signal arrived inside a callback whose exceptions Python swallows (a weakref or
        # __del__): the stop request stands and ends the batch, so the swallowed copy is noise
        if isinstance(getattr(info, "exc_value", None), Interrupted):
            return
        old_hook(info)

    sys.unraisablehook = unraisable

    def restore() -> None:
        sys.unraisablehook = old_hook
        for sig, old in previous.items():
            try:
                signal.signal(sig, old if old is not None else signal.SIG_DFL)
            except (ValueError, TypeError):
                pass

    return restore


def _kept(exc: BaseException) -> str:
    """The note a stopped batch attaches to its error: what was kept, and how to go on."""
    note = getattr(exc, "facecli_kept", None)
    return f" ({note})" if note else ""


def _print_error(line: str) -> None:
    sys.stderr.write(line.replace("\n", " ") + "\n")
    sys.stderr.flush()


def _command_name() -> str:
    ctx = _current_ctx()
    names: list[str] = []
    while ctx is not None:
        if ctx.info_name and (not names or names[-1] != ctx.info_name):
            names.append(ctx.info_name)
        ctx = ctx.parent
    names = names[::-1]
    if names:
        names[0] = "facecli"
    return " ".join(names) or "facecli"


def output_file(output: Path, default_name: str, *, inputs: Iterable[Any] = (), also: Iterable[Any] = ()) -> Path:
    """The output file a command writes: ``-o`` as given, or ``DIR/default_name`` when
    ``-o`` is a directory; refused (before anything is touched) when it is also one of
    the command's inputs.

    Args:
        output: the ``-o`` value.
        default_name: the file name used inside a directory (e.g. ``normals.h5``).
        inputs: resolved input items (``.path``) or paths the command reads.
        also: further files the command reads (models, annotation files).
    """
    from facecli.io.atomic import check_distinct, partial_path, resolve_output

    out = resolve_output(output, default_name)
    read = [getattr(i, "path", i) for i in [*inputs, *also]]
    check_distinct([out, partial_path(out)], read, what="-o")
    return out


@contextlib.contextmanager
def finishing(writer: Any) -> Any:
    """Close ``writer`` (renaming its work file into place) when the block succeeds; on
    an error or interruption abort it instead, keeping ``<output>.part`` for ``--resume``,
    and attach a note saying so to the exception (printed by :func:`boundary`)."""
    try:
        yield writer
    except BaseException as exc:
        writer.abort()
        done = 0
        with contextlib.suppress(Exception):
            from facecli.io.container import ContainerReader

            if writer.part.exists():
                with ContainerReader(writer.part) as r:
                    done = len(r)
        if done:
            exc.facecli_kept = (
                f"{done} finished sample{'s' if done != 1 else ''} kept in {writer.part}; "  # type: ignore[attr-defined]
                f"rerun with --resume to continue"
            )
        raise
    writer.close()


def run_into_container(
    items: list[Any],
    job: Callable[[Any], Any],
    writer: Any,
    *,
    on_error: OnError,
    workers: int,
    desc: str,
    what: str,
    unit: str,
    output: Path,
) -> Any:
    """Run a batch job into an open container writer, finish it, and report.

    Shows progress; on success renames the writer's work file into place, on an error
    or interruption keeps it (see :func:`finishing`); then logs one summary line
    (``<what> of P of N <unit> in S s (R/s; K already done, F failed) -> OUTPUT``) and
    one warning per failed sample.

    Returns:
        The :class:`facecli.batch.BatchSummary`.
    """
    from facecli.batch import run_batch

    with finishing(writer):
        summary = run_batch(
            items,
            job,
            writer,
            on_error=on_error.value,
            workers=workers,
            progress=lambda it: progress(it, total=len(items), desc=desc),
            threads=get_state().threads,  # --threads: per worker (default: the cores shared)
        )
    rate = summary.processed / summary.seconds if summary.seconds > 0 else 0.0
    log(
        f"{what} of {summary.processed} of {len(items)} {unit} in {summary.seconds:.1f} s ({rate:.1f}/s; "
        f"{summary.skipped_existing} already done, {len(summary.failures)} failed) -> {output}"
    )
    for sid, err in summary.failures.items():
        log(f"{sid}: {err}", level="warning")
    return summary
