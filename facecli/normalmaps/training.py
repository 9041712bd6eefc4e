"""``facecli normals train``: fit a CAP model on image -> normal-map pairs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facecli.configs import CAPConfig
from facecli.errors import InputError

__all__ = ["CAPTrainOptions", "train_cap", "evaluate_cap"]


@dataclass
class CAPTrainOptions:
    """Settings of :func:`train_cap` (all stored in the model file).

    Attributes:
        width: CAPNet width. atrous: dilations (1, 2, 4, 8) if True, else all 1 (ablation).
        epochs, batch_size, lr: the fixed optimisation budget.
        crop: training crop side in pixels (None: whole images).
        val_fraction: share of subjects held out for reporting (never for selection).
        subjects: how ids map to subjects (``auto``, ``folder``, ``image``).
        size: ground-truth scale to train at (None: the largest in the file).
        limit: use at most this many samples.
    """

    width: int = CAPConfig.width
    atrous: bool = True
    epochs: int = 12  # the shipped model's budget, and the command's default
    batch_size: int = 16
    lr: float = 3e-3
    crop: int | None = 96
    val_fraction: float = 0.1
    subjects: str = "auto"
    size: int | None = None
    limit: int | None = None


def evaluate_cap(
    net: Any, images: np.ndarray, normals: np.ndarray, masks: np.ndarray, *, batch: int = 32, device: str = "cpu"
) -> dict[str, float]:
    """Mean/median angular error (deg) of the finest head inside the ground-truth masks.

    Args:
        images: (N, S, S, 3) uint8. normals: (N, S, S, 3) float. masks: (N, S, S) bool.
    """
    import torch

    from facecli.metrics.normals import angular_errors

    errs = []
    net.eval()
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(images[i : i + batch].astype(np.float32) / 255.0).permute(0, 3, 1, 2).to(device)
            pred = net(x)[0].normals.permute(0, 2, 3, 1).cpu().numpy()
            errs.append(angular_errors(pred, normals[i : i + batch], masks[i : i + batch]))
    e = np.concatenate(errs) if errs else np.zeros(0)
    return {
        "angle_mean_deg": float(e.mean()) if e.size else float("nan"),
        "angle_median_deg": float(np.median(e)) if e.size else float("nan"),
    }


def train_cap(
    root: Path,
    output: Path,
    opts: CAPTrainOptions,
    *,
    gt: Path | None = None,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    argv: list[str] | None = None,
    log: Callable[[str], None] = lambda s: None,
    progress: Callable[..., Any] | None = None,
) -> dict:
    """Train CAP and write the model file ``output`` (checkpoint: ``output`` + ``.ckpt``).

    Returns:
        The model file's ``meta`` (data, settings, history, validation error).
    """
    import torch

    from facecli.io.container import produced_by_synth
    from facecli.models.cap import CAPNet
    from facecli.normalmaps.renders import CAPDataset, cap_step, find_gt_file, load_render_set
    from facecli.train.checkpoint import save_model_file
    from facecli.train.distributed import setup_distributed, teardown_distributed
    from facecli.train.loop import TrainConfig, fit
    from facecli.train.splits import group_split, subject_of

    if not root.is_dir():
        raise InputError(f"no such directory: {root}")
    ctx = setup_distributed(device)
    try:
        gt_path = find_gt_file(root, gt)
        data = load_render_set(root, gt_path, size=opts.size, limit=opts.limit)
        size = data.images.shape[1]
        if size % 8:
            raise InputError(f"expected ground-truth normal maps with a side divisible by 8, got {size}")
        groups = [subject_of(i, opts.subjects) for i in data.ids]
        tr, va = group_split(groups, opts.val_fraction, seed)
        log(
            f"{len(data.ids)} images of {len(set(groups))} subjects from {root} ({gt_path.name}), size {size}; "
            f"training on {len(tr)}, {len(va)} held out for reporting"
        )
        torch.manual_seed(seed)
        net = CAPNet(width=opts.width, dilations=(1, 2, 4, 8) if opts.atrous else (1, 1, 1, 1)).to(ctx.device)
        train_set = CAPDataset(data.subset(tr), crop=opts.crop, seed=seed)
        val = data.subset(va)
        evaluate = (
            (lambda m: evaluate_cap(m, val.images, val.normals, val.masks, device=ctx.device)) if len(va) else None
        )
        cfg = TrainConfig(
            epochs=opts.epochs,
            batch_size=opts.batch_size,
            lr=opts.lr,
            seed=seed,
            checkpoint=output.with_name(output.name + ".ckpt"),
            resume=resume,
        )
        history = fit(net, train_set, cap_step, cfg, ctx=ctx, evaluate=evaluate, log=log, progress=progress)
        meta = {
            "trained_on": f"{root} ({gt_path.name}): {len(tr)} images",
            "synthetic": produced_by_synth(gt_path),
            "input_size": size,
            "options": dict(vars(opts).items()),
            "seed": seed,
            "argv": list(argv or []),
            "history": history,
            "val_ids": len(va),
            "val_angle_mean_deg": history[-1].get("val_angle_mean_deg") if history else None,
        }
        if ctx.is_main:
            save_model_file(output, model="cap", config=net.config.as_dict(), state_dict=net.state_dict(), meta=meta)
        return meta
    finally:
        teardown_distributed()
