"""Training DGPA-Net with ArcFace on identity-labelled normal maps.

The held-out identities (a subject-wise split) are only evaluated and reported (an
all-pairs EER); the model kept is the last epoch's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facecli.configs import DGPAConfig
from facecli.errors import InputError
from facecli.recognition.data import FaceInputs, flip_inputs, identity_labels, load_face_inputs, read_labels

__all__ = ["FaceDataset", "GridAttnTrainOptions", "all_pairs_eer", "embed_array", "recalibrate_batchnorm", "train_dgpa"]


@dataclass
class GridAttnTrainOptions:
    """Settings of ``facecli grid-attn train`` (see its ``--help``)."""

    inputs: tuple[str, ...] = DGPAConfig.inputs
    scale: int | None = None
    input_size: int = DGPAConfig.input_size
    width: int = DGPAConfig.width
    cells: int = DGPAConfig.cells
    patch: int = DGPAConfig.patch
    grid: str = DGPAConfig.grid
    uniform_share: float = DGPAConfig.uniform_share
    attention: bool = DGPAConfig.attention
    dim: int = DGPAConfig.dim
    epochs: int = 20
    batch_size: int = 32
    lr: float = 2e-3
    arc_scale: float = 32.0
    arc_margin: float = 0.5
    val_fraction: float = 0.1
    limit: int | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs"] = list(self.inputs)
        return d


class FaceDataset:
    """Map-style dataset of (input (C, S, S) float32, label int64) with seeded
    augmentation: left-right flip (normal x negated), scale 0.9–1.1, shift ±6 %."""

    def __init__(self, data: FaceInputs, labels: np.ndarray, seed: int, augment: bool = True) -> None:
        self.data, self.labels, self.seed, self.augment = data, labels, seed, augment
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.data.ids)

    def __getitem__(self, i: int) -> tuple[Any, Any]:
        import torch
        import torch.nn.functional as F

        from facecli.seeding import rng_for

        x = self.data.x[i]
        if self.augment:
            rng = rng_for(self.seed, "grid-attn-aug", self.epoch, i)
            if rng.random() < 0.5:
                x = flip_inputs(x, self.data.inputs)
            s = float(rng.uniform(0.9, 1.1))
            tx, ty = rng.uniform(-0.06, 0.06, size=2)
            theta = torch.tensor([[[1 / s, 0, tx], [0, 1 / s, ty]]], dtype=torch.float32)
            t = torch.from_numpy(np.ascontiguousarray(x))[None]
            grid = F.affine_grid(theta, list(t.shape), align_corners=False)
            return F.grid_sample(t, grid, align_corners=False)[0], torch.tensor(int(self.labels[i]))
        return torch.from_numpy(np.ascontiguousarray(x)), torch.tensor(int(self.labels[i]))


def _trainer(net: Any, head: Any) -> Any:
    from torch import nn

    class _Trainer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net, self.head = net, head

        def forward(self, x: Any, y: Any) -> Any:
            return self.head(self.net(x), y)

    return _Trainer()


def _step(model: Any, batch: Any) -> tuple[Any, dict[str, float]]:
    x, y = batch
    loss, acc = model(x, y)
    return loss, {"acc": float(acc)}


def embed_array(
    net: Any,
    x: np.ndarray,
    *,
    device: str = "cpu",
    batch: int = 64,
    flip: bool = False,
    inputs: tuple[str, ...] = ("normals",),
) -> np.ndarray:
    """Embeddings (N, D) float32 of inputs x: (N, C, S, S); ``flip`` adds the mirrored
    image's embedding before normalising (test-time augmentation)."""
    import torch

    net.eval()
    out = []
    with torch.no_grad():
        for k in range(0, len(x), batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[k : k + batch])).to(device)
            e = net(xb)
            if flip:
                e = e + net(torch.from_numpy(flip_inputs(x[k : k + batch], inputs)).to(device))
            out.append(torch.nn.functional.normalize(e, dim=1).cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def recalibrate_batchnorm(net: Any, x: np.ndarray, *, device: str = "cpu", batch: int = 64) -> None:
    """Re-estimate every batch-norm layer's running statistics on inputs x: (N, C, S, S)
    with the final weights (cumulative average over one pass, no gradients).

    The running averages kept during training trail the changing weights; the
    embedding's last batch norm amplifies that lag (the features share a large common
    component), so without this the eval-mode embeddings of a short run all point the
    same way.
    """
    import torch

    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns or len(x) < 2:
        return
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over this pass
    net.train()
    with torch.no_grad():
        for k in range(0, len(x), batch):
            xb = x[k : k + batch]
            if len(xb) >= 2:
                net(torch.from_numpy(np.ascontiguousarray(xb)).to(device))
    for m, mom in zip(bns, saved):
        m.momentum = mom
    net.eval()


def all_pairs_eer(emb: np.ndarray, labels: np.ndarray) -> float:
    """EER over every pair of the given embeddings (N, D) with identity labels (N,)."""
    from facecli.metrics.verification import equal_error_rate

    iu = np.triu_indices(len(labels), 1)
    scores = (emb @ emb.T)[iu]
    same = (labels[:, None] == labels[None, :])[iu]
    if same.all() or not same.any():
        return float("nan")
    return equal_error_rate(scores, same)[0]


def train_dgpa(
    normals_file: Path,
    output: Path,
    opts: GridAttnTrainOptions,
    *,
    images: Path | None = None,
    labels_file: Path | None = None,
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    argv: list[str] | None = None,
    log: Callable[[str], None] = lambda s: None,
    progress: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Train DGPA-Net and write the model file ``output`` (checkpoint ``output.ckpt``).

    Returns:
        The model file's ``meta`` (data, settings, history, held-out EER).
    """
    import torch

    from facecli.io.container import produced_by_synth
    from facecli.models.arcface import ArcFaceHead
    from facecli.models.dgpa import DGPAConfig, DGPANet
    from facecli.train.checkpoint import save_model_file
    from facecli.train.distributed import setup_distributed, teardown_distributed
    from facecli.train.loop import TrainConfig, fit
    from facecli.train.splits import group_split

    if opts.input_size % 4:
        raise InputError(f"expected --input-size divisible by 4, got {opts.input_size}")
    ctx = setup_distributed(device)
    try:
        with_progress = progress or (lambda it, **k: it)
        data = load_face_inputs(
            normals_file,
            size=opts.input_size,
            inputs=opts.inputs,
            scale=opts.scale,
            images=images,
            progress=with_progress if ctx.is_main else (lambda it, **k: it),
        )
        if opts.limit is not None:
            data = data.subset(np.arange(min(opts.limit, len(data.ids))))
        names = identity_labels(data.ids, read_labels(labels_file) if labels_file else None)
        tr, va = group_split(names, opts.val_fraction, seed)
        train_names = sorted({names[i] for i in tr})
        if len(train_names) < 2:
            raise InputError(f"expected at least 2 training identities, got {len(train_names)} in {normals_file}")
        index = {n: k for k, n in enumerate(train_names)}
        y_train = np.array([index[names[i]] for i in tr], np.int64)
        log(
            f"{len(data.ids)} faces of {len(set(names))} identities from {normals_file}; training on {len(tr)} "
            f"({len(train_names)} identities), {len(va)} held out for reporting; inputs {','.join(opts.inputs)} "
            f"at {opts.input_size} px"
        )
        torch.manual_seed(seed)
        cfg = DGPAConfig(
            in_channels=data.x.shape[1],
            width=opts.width,
            cells=opts.cells,
            patch=opts.patch,
            grid=opts.grid,
            uniform_share=opts.uniform_share,
            attention=opts.attention,
            dim=opts.dim,
            input_size=opts.input_size,
            inputs=tuple(opts.inputs),
        )
        net = DGPANet(cfg)
        head = ArcFaceHead(cfg.dim, len(train_names), scale=opts.arc_scale, margin=opts.arc_margin)
        model = _trainer(net, head).to(ctx.device)
        train_set = FaceDataset(data.subset(tr), y_train, seed)
        val = data.subset(va)
        val_labels = np.array([names[i] for i in va], dtype=object)

        def evaluate(m: Any) -> dict[str, float]:
            emb = embed_array(m.net, val.x, device=ctx.device)
            return {"eer": all_pairs_eer(emb, val_labels)}

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
            _step,
            tcfg,
            ctx=ctx,
            evaluate=evaluate if len(va) >= 2 else None,
            log=log,
            progress=progress,
        )
        recalibrate_batchnorm(net, train_set.data.x, device=ctx.device, batch=max(opts.batch_size, 32))
        if len(va) >= 2:
            val_eer = all_pairs_eer(embed_array(net, val.x, device=ctx.device), val_labels)
            log(f"held-out all-pairs EER after batch-norm recalibration: {val_eer:.4f}")
            history[-1]["val_eer_final"] = val_eer
        meta = {
            "trained_on": f"{normals_file}: {len(tr)} faces of {len(train_names)} identities",
            "synthetic": produced_by_synth(normals_file),
            "options": opts.as_dict(),
            "seed": seed,
            "argv": list(argv or []),
            "history": history,
            "val_faces": len(va),
            "val_eer": history[-1].get("val_eer_final") if history else None,
        }
        if ctx.is_main:
            save_model_file(output, model="dgpa", config=cfg.as_dict(), state_dict=net.state_dict(), meta=meta)
        return meta
    finally:
        teardown_distributed()
