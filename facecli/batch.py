"""Run a function over a batch of inputs into one facecli container.

Shared by every batch command: sorted order, ``--resume`` (skip ids already complete),
``--on-error stop|skip`` (failures listed in the file and the summary), ``--workers``
(a local process pool; results are written by the parent in input order, so the
output does not depend on the number of workers).

Workers are forked from a fresh server process (``forkserver``) that has imported what the
job names in its ``preload`` attribute (Open3D, SciPy...) once, so each worker does not pay
those imports again (about 2 s of CPU each); where there is no ``forkserver`` they are
spawned. Neither copies the parent's running threads.

Stopping: :func:`request_stop` (called by the command line's SIGINT/SIGTERM handlers)
makes the batch stop after the sample in hand with :class:`~facecli.errors.Interrupted`,
even where a library swallowed the ``KeyboardInterrupt`` itself. Workers die with the
process that runs the batch: they ignore SIGINT (the parent decides), exit when it has
ended (a thread waits on its pidfd, or polls where there is none; spawned workers are
killed by the kernel through ``PR_SET_PDEATHSIG``), and are terminated when the batch stops
early.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from facecli.errors import FaceCLIError, InputError, Interrupted, ValidationError
from facecli.io.container import ContainerWriter
from facecli.io.inputs import InputItem

__all__ = [
    "BatchSummary",
    "run_batch",
    "ON_ERROR_CHOICES",
    "request_stop",
    "stop_requested",
    "clear_stop",
    "workers_killed",
]

ON_ERROR_CHOICES = ("stop", "skip")


@dataclass
class BatchSummary:
    """What a batch did: counts, failures (id → message), wall time in seconds."""

    processed: int = 0
    skipped_existing: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "resumed_skipped": self.skipped_existing,
            "failed": len(self.failures),
            "failures": [{"id": k, "error": v} for k, v in self.failures.items()],
            "seconds": round(self.seconds, 3),
        }


_STOP: list[int] = []


def request_stop(signum: int = signal.SIGINT) -> None:
    """Ask every running batch to stop after its current sample (signal-handler safe)."""
    if not _STOP:
        _STOP.append(int(signum))


def stop_requested() -> int | None:
    """The signal number of a pending stop request, or ``None``."""
    return _STOP[0] if _STOP else None


def clear_stop() -> None:
    """Forget a stop request (at the start of a command)."""
    _STOP.clear()


def _check_stop() -> None:
    signum = stop_requested()
    if signum is not None:
        raise Interrupted(signum)


def _limit_threads(threads: int) -> None:
    """Cap torch's and OpenCV's threads in this process (imported here, before the job's work).

    Only the libraries' own settings are used, as ``--threads`` does: environment variables
    such as ``OMP_NUM_THREADS`` would also change how some kernels split their sums, and so
    the last bits of the results.
    """
    for name, setter in (("torch", "set_num_threads"), ("cv2", "setNumThreads")):
        try:
            module = __import__(name)
        except ImportError:  # an optional library this job does not need
            continue
        getattr(module, setter)(threads)


def _worker_init(parent: int | None = None, threads: int | None = None) -> None:
    """Run in each worker process: leave Ctrl-C to the parent, die with the parent, and share the cores.

    Args:
        parent: the pid of the process that runs the batch. A forked worker's own parent is
            the fork server, which its workers keep alive, so the batch's process is watched
            instead (a pidfd where Linux has it, else polling).
        threads: math-library threads for this worker (the cores divided among the workers:
            without it, each worker's torch and OpenCV take every core, and the workers'
            threads fight over them).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if threads is not None:
        _limit_threads(threads)
    if parent is None or parent == os.getppid():
        parent = os.getppid()
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
                if os.getppid() != parent:  # the parent died before the request took effect
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as process ``parent`` has ended."""
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd (macOS, old kernels): poll
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
    import select

    select.select([fd], [], [])  # readable once the process has exited
    os._exit(1)


_KILLED: list[bool] = []


def workers_killed() -> bool:
    """Whether a batch of this process stopped early by terminating its worker pool.

    The pool's manager thread may then be blocked for good on a result that a worker was
    sending when it was killed (a pipe whose write end this process also holds), and
    ``concurrent.futures`` joins that thread at exit: the command line leaves with
    ``os._exit`` instead (:func:`facecli.commands.main.main`), its files already closed.
    """
    return bool(_KILLED)


def _pool_context(preload: Sequence[str]) -> Any:
    """``forkserver`` with ``preload`` imported in the server (POSIX), else ``spawn``.

    Never plain ``fork``: forking a process whose torch/OpenMP threads are running deadlocks.
    The server starts with the first pool of the process, so its preload list is the first
    job's; a later job's modules are then imported by each worker, as under ``spawn``.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["__main__", *preload])
        return ctx
    return multiprocessing.get_context("spawn")


def _shutdown(pool: ProcessPoolExecutor, futures: list, *, kill: bool) -> None:
    for fut in futures:
        fut.cancel()
    if kill:
        _KILLED.append(True)
        procs = list((getattr(pool, "_processes", None) or {}).values())  # None once shut down
        for proc in procs:
            try:
                proc.terminate()
            except (OSError, AttributeError):
                pass
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            try:
                proc.join(timeout=5)
                if proc.is_alive():  # SIGTERM was not enough
                    proc.kill()
                    proc.join(timeout=5)
            except (OSError, AttributeError, AssertionError, ValueError):
                pass
    else:
        pool.shutdown(wait=True)


def _call(
    fn: Callable[[InputItem], Mapping[str, Any]], item: InputItem
) -> tuple[str, Any, str | None, BaseException | None]:
    """``(id, arrays, error message, unexpected exception)`` of one item."""
    try:
        return item.id, fn(item), None, None
    except FaceCLIError as exc:
        return item.id, None, str(exc), None
    except Exception as exc:  # a bug met on one input: --on-error skip records it and goes on
        message = f"{item.path}: internal error: {exc.__class__.__name__}: {exc}"
        try:  # it may travel back from a worker process
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - an exception type that does not survive pickling
            exc = RuntimeError(message)
        return item.id, None, message, exc


def run_batch(
    items: Sequence[InputItem],
    fn: Callable[[InputItem], Mapping[str, Any]],
    writer: ContainerWriter,
    *,
    on_error: str = "stop",
    workers: int = 1,
    progress: Callable[[Iterable], Iterable] | None = None,
    threads: int | None = None,
) -> BatchSummary:
    """Process ``items`` with ``fn`` and append each result to ``writer``.

    Args:
        items: resolved inputs, in the order to process them.
        fn: item → arrays of one sample; raises :class:`FaceCLIError` for bad input.
            With ``workers > 1`` it must be picklable (a module-level function or a
            ``functools.partial`` of one); an attribute ``preload`` (module names) says
            what the workers' server imports before forking them.
        writer: the open container (opened with ``resume=True`` to continue a file).
        on_error: ``stop`` re-raises the first failure; ``skip`` records it and goes on.
        workers: processes; 1 runs in this process.
        progress: wraps the iteration (e.g. a tqdm factory); identity if ``None``.
        threads: math-library threads of each worker (``None``: the cores divided among the
            workers). Unused with one worker.

    Returns:
        The batch summary.
    """
    if on_error not in ON_ERROR_CHOICES:
        raise InputError(f"expected --on-error stop|skip, got {on_error!r}")
    t0 = time.perf_counter()
    summary = BatchSummary()
    done = writer.completed_ids
    todo = [it for it in items if it.id not in done]
    summary.skipped_existing = len(items) - len(todo)
    wrap = progress or (lambda it: it)

    def fail(sample_id: str, error: str) -> None:
        if on_error == "stop":
            raise FaceCLIError(error)
        summary.failures[sample_id] = error
        writer.add_failure(sample_id, error)

    def handle(result: tuple[str, Any, str | None, BaseException | None]) -> None:
        sample_id, arrays, error, unexpected = result
        if error is not None:
            if unexpected is not None and on_error == "stop":
                raise unexpected  # the command line reports it as an internal error (traceback with -v)
            fail(sample_id, error)
            return
        try:
            writer.write(sample_id, arrays)
        except ValidationError as exc:  # e.g. a photo among meshes: other arrays than the first sample's
            fail(sample_id, f"{sample_id}: {exc}")
            return
        summary.processed += 1

    missing = [it for it in todo if getattr(it, "error", None)]
    todo = [it for it in todo if not getattr(it, "error", None)]
    for item in missing:  # inputs that were listed but could not be found
        fail(item.id, str(item.error))
    _check_stop()
    if workers <= 1 or len(todo) <= 1:
        for item in wrap(todo):
            handle(_call(fn, item))
            _check_stop()
    else:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_pool_context(getattr(fn, "preload", ())),
            initializer=_worker_init,
            initargs=(os.getpid(), threads or max(1, (os.cpu_count() or 1) // workers)),
        )
        futures = [pool.submit(_call, fn, item) for item in todo]
        try:
            for fut in wrap(futures):
                while True:  # wake up to notice a stop request while a sample is being computed
                    try:
                        result = fut.result(timeout=0.5)
                        break
                    except FutureTimeout:
                        _check_stop()
                handle(result)
                _check_stop()
            # inside the try: a signal that lands while the pool winds down still kills it
            _shutdown(pool, futures, kill=False)
        except BaseException:
            _shutdown(pool, futures, kill=True)
            raise
    summary.seconds = time.perf_counter() - t0
    return summary
