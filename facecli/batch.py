"""Run a function over a batch of inputs into one facecli container.

Shared by every batch command: sorted order, ``--resume`` (skip ids already complete),
``--on-error stop|skip`` (failures listed in the file and the summary), ``--workers``
(a local process pool; results are written by the parent in input order, so the
output does not depend on the number of workers).
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from facecli.errors import FaceCLIError, InputError
from facecli.io.container import ContainerWriter
from facecli.io.inputs import InputItem

__all__ = ["BatchSummary", "run_batch", "ON_ERROR_CHOICES"]

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


def _call(fn: Callable[[InputItem], Mapping[str, Any]], item: InputItem) -> tuple[str, Any, str | None]:
    try:
        return item.id, fn(item), None
    except FaceCLIError as exc:
        return item.id, None, str(exc)


def run_batch(
    items: Sequence[InputItem],
    fn: Callable[[InputItem], Mapping[str, Any]],
    writer: ContainerWriter,
    *,
    on_error: str = "stop",
    workers: int = 1,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> BatchSummary:
    """Process ``items`` with ``fn`` and append each result to ``writer``.

    Args:
        items: resolved inputs, in the order to process them.
        fn: item → arrays of one sample; raises :class:`FaceCLIError` for bad input.
            With ``workers > 1`` it must be picklable (a module-level function or a
            ``functools.partial`` of one).
        writer: the open container (opened with ``resume=True`` to continue a file).
        on_error: ``stop`` re-raises the first failure; ``skip`` records it and goes on.
        workers: processes; 1 runs in this process.
        progress: wraps the iteration (e.g. a tqdm factory); identity if ``None``.

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

    def handle(result: tuple[str, Any, str | None]) -> None:
        sample_id, arrays, error = result
        if error is not None:
            if on_error == "stop":
                raise FaceCLIError(error)
            summary.failures[sample_id] = error
            writer.add_failure(sample_id, error)
            return
        writer.write(sample_id, arrays)
        summary.processed += 1

    if workers <= 1 or len(todo) <= 1:
        for item in wrap(todo):
            handle(_call(fn, item))
    else:
        # spawn, not fork: forking a process whose torch/OpenMP threads are running deadlocks
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(_call, fn, item) for item in todo]
            try:
                for fut in wrap(futures):
                    handle(fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    summary.seconds = time.perf_counter() - t0
    return summary
