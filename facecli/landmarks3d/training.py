"""Training 2S-SGCN stage one on a FaceScape-layout dataset.

The validation share is split by subject (the source code splits by mesh, which puts
the same person on both sides); it is only evaluated and reported, never used to
pick the model: the last epoch's weights are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facecli.configs import SGCNConfig
from facecli.errors import InputError

__all__ = ["LandmarkGraphDataset", "SGCNTrainOptions", "sgcn_loss_step", "sigma_schedule", "train_sgcn"]


@dataclass
class SGCNTrainOptions:
    """Settings of ``facecli landmarks3d train`` (see its ``--help``)."""

    points: int = SGCNConfig.points
    k: int = SGCNConfig.k
    hidden: int = SGCNConfig.hidden
    depth: int = SGCNConfig.depth
    sigma: float = SGCNConfig.sigma
    sigma_start: float | None = 0.1
    top_k: int = SGCNConfig.top_k
    crop_z: float | None = -75.0
    epochs: int = 10
    batch_size: int = 1
    lr: float = 5e-3
    val_fraction: float = 0.1
    limit: int | None = None
    frame: str = SGCNConfig.frame
    scan_like: float = 0.0
    origin_jitter: float = 0.0
    scan_views: float = 0.0
    scan_remesh: float = 0.0
    init: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class LandmarkGraphDataset:
    """Prepared meshes as training items (all arrays per mesh, fixed shapes):
    ``x`` (N, 6) float32, ``nb`` (N, k) int64, ``sup`` (L,) int64 super-nodes,
    ``lm`` (L, 3) float32 normalised landmarks."""

    def __init__(
        self, preps: list[Any], landmarks: np.ndarray, mean_landmarks: np.ndarray, sigmas: list[float] | None = None
    ) -> None:
        from facecli.landmarks3d.graph import nearest_points

        self.preps, self.landmarks = preps, landmarks
        self.super = [nearest_points(p.points, mean_landmarks) for p in preps]
        self.sigmas = sigmas or [0.03]
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.preps)

    def __getitem__(self, i: int) -> dict[str, Any]:
        import torch

        p = self.preps[i]
        return {
            "x": torch.from_numpy(p.features()),
            "nb": torch.from_numpy(p.neighbours),
            "sup": torch.from_numpy(self.super[i]),
            "lm": torch.from_numpy(self.landmarks[i]),
            "sigma": torch.tensor(self.sigmas[min(self.epoch, len(self.sigmas) - 1)], dtype=torch.float32),
        }


def sigma_schedule(opts: SGCNTrainOptions) -> list[float]:
    """Heatmap σ per epoch: from ``sigma_start`` down to ``sigma`` geometrically over
    the first 60 % of the epochs, then constant (None: ``sigma`` throughout).

    Wide Gaussians first give every point a gradient towards its landmarks; the
    network then sharpens them to the σ the decoding and refinement assume.
    """
    if opts.sigma_start is None or opts.sigma_start <= opts.sigma or opts.epochs < 2:
        return [opts.sigma] * opts.epochs
    ramp = max(1, int(round(0.6 * (opts.epochs - 1))))
    return [float(opts.sigma_start * (opts.sigma / opts.sigma_start) ** min(1.0, e / ramp)) for e in range(opts.epochs)]


def _make_trainer(net: Any, top_k: int) -> Any:
    import torch
    from torch import nn

    from facecli.landmarks3d.graph import build_graphs
    from facecli.landmarks3d.heatmaps import (
        adaptive_wing_loss,
        decode_topk,
        gaussian_targets,
    )

    class Trainer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, batch: dict[str, Any]) -> tuple[Any, Any]:
            x, nb, sup, lm = batch["x"], batch["nb"], batch["sup"], batch["lm"]
            b, n = x.shape[:2]
            g = build_graphs(x[..., :3].cpu().numpy(), sup.cpu().numpy(), neighbours=nb.cpu().numpy(), grad=True).to(
                x.device
            )
            batch_of = torch.arange(b, device=x.device).repeat_interleave(n)
            heat = self.net(x.reshape(b * n, -1), g.local, g.global_, batch_of).reshape(b, n, -1)
            target = gaussian_targets(x[..., :3], lm, float(batch["sigma"][0]))
            loss = adaptive_wing_loss(heat, target)
            with torch.no_grad():
                pos = decode_topk(heat.detach(), x[..., :3], top_k)[0]
                err = (pos - lm).norm(dim=-1).mean()
            return loss, err

    return Trainer()


def sgcn_loss_step(model: Any, batch: dict[str, Any]) -> tuple[Any, dict[str, float]]:
    """One training step's loss and its mean stage-one error (normalised units)."""
    loss, err = model(batch)
    return loss, {"err": float(err)}


def train_sgcn(
    root: Path,
    output: Path,
    opts: SGCNTrainOptions,
    *,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    argv: list[str] | None = None,
    log: Callable[[str], None] = lambda s: None,
    progress: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Train stage one and write the model file ``output`` (checkpoint ``output.ckpt``).

    Returns:
        The model file's ``meta`` (data, settings, history, held-out error in mm).
    """
    import torch

    from facecli.landmarks3d.data import load_landmark_set, prepare_many
    from facecli.landmarks3d.predictor import Landmarker, load_sgcn
    from facecli.models.sgcn import SGCN, SGCNConfig
    from facecli.train.checkpoint import save_model_file
    from facecli.train.distributed import setup_distributed, teardown_distributed
    from facecli.train.loop import TrainConfig, fit
    from facecli.train.splits import group_split

    ctx = setup_distributed(device)
    try:

        def quiet(it: Any, **k: Any) -> Any:
            return it

        wrap = (progress or quiet) if ctx.is_main else quiet
        ds = load_landmark_set(root, limit=opts.limit)
        tr, va = group_split(ds.subjects, opts.val_fraction, seed)
        if len(tr) == 0:
            raise InputError(f"expected training meshes in {root}, got none after the subject split")
        n_sub = len(set(ds.subjects))
        log(
            f"{len(ds.scans)} meshes of {n_sub} subjects in {root}; training on {len(tr)}, "
            f"{len(va)} held out by subject for reporting; {opts.points} points, k={opts.k}"
        )
        face_crop = opts.crop_z is None and (opts.scan_like > 0 or opts.frame == "nose")
        preps, lms = prepare_many(
            [ds.scans[i] for i in tr],
            ds,
            opts.points,
            opts.k,
            seed,
            opts.crop_z,
            wrap,
            frame=opts.frame,
            face_crop=face_crop,
            scan_like=opts.scan_like,
            origin_jitter=opts.origin_jitter,
            scan_views=opts.scan_views,
            scan_remesh=opts.scan_remesh,
        )
        mean_lm = lms.mean(axis=0)
        torch.manual_seed(seed)
        cfg = SGCNConfig(
            hidden=opts.hidden,
            depth=opts.depth,
            k=opts.k,
            points=opts.points,
            sigma=opts.sigma,
            top_k=opts.top_k,
            frame=opts.frame,
        )
        net = SGCN(cfg)
        if opts.init:  # fine-tune: the initial model's weights (its layers must match these settings)
            init_net, _ = load_sgcn(Path(opts.init))
            layers = ("in_channels", "hidden", "depth", "n_landmarks")
            fixed = {k: v for k, v in init_net.config.as_dict().items() if k in layers}
            if fixed != {k: v for k, v in cfg.as_dict().items() if k in fixed}:
                raise InputError(f"{opts.init}: its layers ({fixed}) differ from this training's settings")
            net.load_state_dict(init_net.state_dict())
        net.mean_landmarks.copy_(torch.from_numpy(mean_lm))
        model = _make_trainer(net, opts.top_k).to(ctx.device)
        train_set = LandmarkGraphDataset(preps, lms, mean_lm, sigma_schedule(opts))
        val_scans = [ds.scans[i] for i in va]
        landmarker = Landmarker(net, crop_z=opts.crop_z, device=ctx.device, seed=seed)

        def evaluate(m: Any) -> dict[str, float]:
            errs = [landmarker.stage_one_error(s.path, ds, face_crop=face_crop) for s in val_scans]
            return {"err_mm": float(np.mean(errs))}

        tcfg = TrainConfig(
            epochs=opts.epochs,
            batch_size=opts.batch_size,
            lr=opts.lr,
            seed=seed,
            checkpoint=output.with_name(output.name + ".ckpt"),
            resume=resume,
        )
        history = fit(
            model,
            train_set,
            sgcn_loss_step,
            tcfg,
            ctx=ctx,
            evaluate=evaluate if val_scans else None,
            log=log,
            progress=progress,
        )
        meta = {
            "trained_on": f"{root}: {len(tr)} meshes of {len({ds.subjects[i] for i in tr})} subjects",
            "synthetic": (Path(root) / "synth_faces3d.json").exists(),
            "options": opts.as_dict(),
            "seed": seed,
            "argv": list(argv or []),
            "history": history,
            "val_meshes": len(va),
            "val_err_mm": history[-1].get("val_err_mm") if history else None,
            "scheme": "facescape-v10",
        }
        if ctx.is_main:
            save_model_file(
                output,
                model="sgcn",
                config={**cfg.as_dict(), "crop_z": opts.crop_z},
                state_dict=net.state_dict(),
                meta=meta,
            )
        return meta
    finally:
        teardown_distributed()
