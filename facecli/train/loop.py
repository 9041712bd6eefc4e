"""The one training loop: fixed epoch budget, seeded order, DDP when launched by
torchrun, a checkpoint after every epoch, and resume.

Model selection never looks at a test set: the model returned is the last epoch's.
A validation set, when given, is only evaluated and reported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facecli.errors import InputError
from facecli.train.checkpoint import load_checkpoint, save_atomic
from facecli.train.determinism import deterministic_cuda
from facecli.train.distributed import DistContext

__all__ = ["TrainConfig", "fit"]


@dataclass
class TrainConfig:
    """Optimisation settings.

    Attributes:
        epochs: the fixed budget.
        batch_size: per process.
        lr: AdamW peak learning rate (cosine decay to 1 % after one warm-up epoch).
        weight_decay: AdamW weight decay.
        seed: shuffling and augmentation seed.
        checkpoint: where to write the per-epoch checkpoint (None: no checkpoints).
        resume: continue from ``checkpoint`` if it exists.
        thread_invariant: on the CPU, train with oneDNN switched off, so that the
            weights are bit-identical whatever the thread count (oneDNN sums a
            convolution's weight gradient over the batch in an order that depends on
            the threads: ~1e-7 differences that training carries on). Costs about
            1.7x per step on the micro-expression capsule network.
    """

    epochs: int = 10
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    checkpoint: Path | None = None
    resume: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    thread_invariant: bool = False


def _lr_factor(step: int, steps_per_epoch: int, total: int) -> float:
    warm = max(1, steps_per_epoch)
    if step < warm:
        return (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))


def fit(
    model: Any,
    dataset: Any,
    step: Callable[[Any, Any], tuple[Any, Mapping[str, float]]],
    cfg: TrainConfig,
    *,
    ctx: DistContext | None = None,
    evaluate: Callable[[Any], Mapping[str, float]] | None = None,
    log: Callable[[str], None] = lambda s: None,
    progress: Callable[..., Any] | None = None,
) -> list[dict[str, float]]:
    """Train ``model`` on ``dataset`` for ``cfg.epochs`` epochs.

    Args:
        model: a ``torch.nn.Module`` already on ``ctx.device``.
        dataset: a map-style torch dataset; if it has ``set_epoch(e)`` it is called
            before each epoch (for seeded augmentation).
        step: ``(model, batch) -> (loss, metrics)``; the batch is what the default
            collate gives, already moved to the device.
        cfg: the settings.
        ctx: the DDP context (single process if None).
        evaluate: called on the bare model after each epoch (main process only);
            its numbers are logged and kept in the history, never used to select.
        log: one line per epoch.
        progress: wraps the batch iterator (e.g. a tqdm factory).

    Returns:
        The history: one dict per epoch (``epoch``, ``loss``, step metrics, evaluation).
    """
    import torch

    ctx = ctx or DistContext()
    if ctx.device.startswith("cuda"):
        deterministic_cuda()
    elif cfg.thread_invariant:
        # set the one switch by hand: torch.backends.mkldnn.flags() also sets a TF32 flag and warns about it
        was = torch.backends.mkldnn.enabled
        torch.backends.mkldnn.enabled = False
        try:
            return _fit(model, dataset, step, cfg, ctx, evaluate, log, progress)
        finally:
            torch.backends.mkldnn.enabled = was
    return _fit(model, dataset, step, cfg, ctx, evaluate, log, progress)


def _resume(model: Any, opt: Any, cfg: TrainConfig, log: Callable[[str], None]) -> tuple[int, list[dict[str, float]]]:
    """Load ``cfg.checkpoint`` into the model and optimiser when resuming.

    Returns:
        The first epoch still to run, and the finished epochs' history.
    """
    if not (cfg.resume and cfg.checkpoint is not None and Path(cfg.checkpoint).exists()):
        return 0, []
    ck = load_checkpoint(cfg.checkpoint)
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    start_epoch = int(ck["epoch"]) + 1
    log(f"resumed from {cfg.checkpoint} after epoch {start_epoch}")
    return start_epoch, list(ck.get("history", []))


def _epoch_loader(dataset: Any, sampler: Any, cfg: TrainConfig, epoch: int) -> Any:
    """The epoch's batches: the distributed sampler's share, or a shuffle seeded by (seed, epoch)."""
    import torch
    from torch.utils.data import DataLoader

    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)
    if sampler is not None:
        sampler.set_epoch(epoch)
        return DataLoader(dataset, batch_size=cfg.batch_size, sampler=sampler, drop_last=False)
    gen = torch.Generator().manual_seed(cfg.seed * 1000003 + epoch)
    return DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, generator=gen, drop_last=False)


def _train_epoch(
    net: Any,
    opt: Any,
    batches: Iterable[Any],
    step: Callable[[Any, Any], tuple[Any, Mapping[str, float]]],
    cfg: TrainConfig,
    device: str,
    first_step: int,
    steps_per_epoch: int,
) -> dict[str, float]:
    """One pass over the batches (the learning rate set per step).

    Returns:
        The sample-weighted means of the loss and of every metric ``step`` reports.
    """
    total = steps_per_epoch * cfg.epochs
    net.train()
    sums: dict[str, float] = {}
    count = 0
    for b, batch in enumerate(batches):
        for group in opt.param_groups:
            group["lr"] = cfg.lr * _lr_factor(first_step + b, steps_per_epoch, total)
        batch = _to(batch, device)
        loss, metrics = step(net, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        n = _batch_len(batch)
        count += n
        sums["loss"] = sums.get("loss", 0.0) + float(loss.detach()) * n
        for k, v in metrics.items():
            sums[k] = sums.get(k, 0.0) + float(v) * n
    return {k: v / max(count, 1) for k, v in sums.items()}


def _fit(
    model: Any,
    dataset: Any,
    step: Callable[[Any, Any], tuple[Any, Mapping[str, float]]],
    cfg: TrainConfig,
    ctx: DistContext,
    evaluate: Callable[[Any], Mapping[str, float]] | None,
    log: Callable[[str], None],
    progress: Callable[..., Any] | None,
) -> list[dict[str, float]]:
    import torch
    from torch.utils.data import DistributedSampler

    if len(dataset) == 0:
        raise InputError("expected a non-empty training set, got 0 samples")
    net = model
    if ctx.distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP

        net = DDP(model, device_ids=[ctx.local_rank] if ctx.device.startswith("cuda") else None)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    start_epoch, history = _resume(model, opt, cfg, log)
    sampler = (
        DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=cfg.seed)
        if ctx.distributed
        else None
    )
    steps_per_epoch = math.ceil(len(dataset) / (cfg.batch_size * ctx.world_size))
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.perf_counter()
        loader = _epoch_loader(dataset, sampler, cfg, epoch)
        it = progress(loader, total=len(loader), desc=f"epoch {epoch + 1}/{cfg.epochs}") if progress else loader
        means = _train_epoch(net, opt, it, step, cfg, ctx.device, epoch * steps_per_epoch, steps_per_epoch)
        row: dict[str, float] = {"epoch": epoch + 1, **means, "seconds": time.perf_counter() - t0}
        if evaluate is not None and ctx.is_main:
            model.eval()
            with torch.no_grad():
                row.update({f"val_{k}": float(v) for k, v in evaluate(model).items()})
        history.append(row)
        if ctx.is_main:
            log("  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
            if cfg.checkpoint is not None:
                state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch}
                save_atomic({**state, "history": history, "extra": cfg.extra}, cfg.checkpoint)
        if ctx.distributed:
            import torch.distributed as dist

            dist.barrier()
    model.eval()
    return history


def _to(batch: Any, device: str) -> Any:
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    return batch


def _batch_len(batch: Any) -> int:
    import torch

    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0])
    if isinstance(batch, (list, tuple)) and batch:
        return _batch_len(batch[0])
    if isinstance(batch, dict) and batch:
        return _batch_len(next(iter(batch.values())))
    return 1
