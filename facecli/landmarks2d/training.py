"""Training MuSiCa on a WFLW- or 300W-layout dataset, optionally next to faces that have only
five labelled points (``--five-point``: real photos such as MTFL's), which are supervised
through the five points their predicted shape implies (eye-contour centres, nose tip, mouth
corners; :func:`facecli.schemes.five_weights`).

Every face is cropped from its box with random augmentation (scale and translation
±10 % of the box, rotation ±15°, a horizontal flip that also mirrors the landmark
order; with ``--photo-aug P`` a share P of the crops also gets a camera and JPEG
degradation, :mod:`facecli.landmarks2d.photometric`), seeded per epoch and face.
Images are read once and kept in memory. A held-out share of the faces (by image) is
evaluated after every epoch and reported, never used to pick the model: the last epoch's
weights are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from facecli.configs import MuSiCaConfig
from facecli.errors import InputError
from facecli.seeding import rng_for

__all__ = ["AlignTrainOptions", "FaceCropDataset", "mirror_map", "train_musica"]


def mirror_map(n_landmarks: int) -> np.ndarray:
    """(L,) index of each landmark's left/right counterpart (WFLW 98 or iBUG 68; :mod:`facecli.schemes`)."""
    from facecli.schemes import IBUG68, WFLW98

    for scheme in (WFLW98, IBUG68):
        if n_landmarks == scheme.points:
            return np.asarray(scheme.mirror, dtype=np.int64)
    raise InputError(f"expected 98 or 68 landmarks, got {n_landmarks}")


@dataclass
class AlignTrainOptions:
    """Settings of ``facecli align train`` (see its ``--help``)."""

    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3
    crop: int = MuSiCaConfig.crop
    margin: float = MuSiCaConfig.margin
    bottleneck: int = MuSiCaConfig.bottleneck
    extra_fine: int = MuSiCaConfig.extra_fine
    scale_aug: float = 0.1
    shift_aug: float = 0.1
    rotate_aug: float = 15.0
    flip: bool = True
    val_fraction: float = 0.1
    limit: int | None = None
    half_weights: bool = False
    five_point: str | None = None
    five_point_weight: float = 1.0
    photo_aug: float = 0.0
    init: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaceCropDataset:
    """Augmented face crops: ``image`` (1, C, C) float32; ``lm`` (L, 2) normalised (zeros for
    a five-point face), ``five`` (5, 2) normalised, ``full`` whether ``lm`` is labelled.

    Args:
        landmarks: per face (L, 2) landmarks, or (5, 2) points for a five-point face.
    """

    def __init__(
        self,
        images: list[np.ndarray],
        landmarks: list[np.ndarray],
        boxes: list[np.ndarray],
        opts: AlignTrainOptions,
        seed: int,
        augment: bool = True,
        n_landmarks: int | None = None,
    ) -> None:
        from facecli.schemes import FIVE, five_weights

        self.images, self.landmarks, self.boxes = images, landmarks, boxes
        self.opts, self.seed, self.augment, self.epoch = opts, seed, augment, 0
        self.n_landmarks = n_landmarks or max(len(lm) for lm in landmarks)
        self.mirror = mirror_map(self.n_landmarks)
        self.mirror5 = np.asarray(FIVE.mirror, dtype=np.int64)
        self.to_five = five_weights(self.n_landmarks)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict[str, Any]:
        import torch

        from facecli.landmarks2d.crop import crop_transform, to_normalised, transform_points, warp_crop
        from facecli.landmarks2d.photometric import degrade as photo_degrade

        o = self.opts
        kw: dict[str, Any] = {}
        flip = False
        degrade = None
        if self.augment:
            rng = rng_for(self.seed, "align-augment", self.epoch, int(i))
            flip = o.flip and bool(rng.random() < 0.5)
            kw = {
                "scale": float(1 + rng.uniform(-o.scale_aug, o.scale_aug)),
                "shift": tuple(float(v) for v in rng.uniform(-o.shift_aug, o.shift_aug, size=2)),
                "rotation_deg": float(rng.uniform(-o.rotate_aug, o.rotate_aug)),
            }
            if o.photo_aug > 0:  # its own stream: the geometry draws stay those of --photo-aug 0
                prng = rng_for(self.seed, "align-photo", self.epoch, int(i))
                if prng.random() < o.photo_aug:
                    degrade = partial(photo_degrade, rng=prng)
        m = crop_transform(self.boxes[i], o.crop, o.margin, flip=flip, **kw)
        img = warp_crop(self.images[i], m, o.crop, degrade=degrade)
        lm = transform_points(m, self.landmarks[i])
        full = len(lm) == self.n_landmarks
        if flip:
            lm = lm[self.mirror] if full else lm[self.mirror5]
        lm = to_normalised(lm, o.crop)
        five = self.to_five @ lm if full else lm
        return {
            "image": torch.from_numpy(img[None]),
            "lm": torch.from_numpy((lm if full else np.zeros((self.n_landmarks, 2))).astype(np.float32)),
            "five": torch.from_numpy(five.astype(np.float32)),
            "full": torch.tensor(full),
        }


def _loose_crop(image: np.ndarray, m: np.ndarray, side: int) -> np.ndarray:
    import cv2

    return cv2.warpAffine(
        image, m.astype(np.float64), (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def mixed_loss(
    out: Any, batch: dict[str, Any], *, weight: float = 0.95, five_weight: float = 1.0
) -> tuple[Any, dict[str, float]]:
    """MuSiCa's loss over faces with all landmarks and faces with five points.

    A fully labelled face adds, per iteration, weight · NME + (1 − weight) · |NME − predicted
    NME| (as :func:`facecli.models.musica.musica_loss`); a five-point face adds weight · its
    five-point NME (the five points its predicted shape implies against the labels, over the
    labelled eye-centre distance) + (1 − weight) · |e − predicted NME|, where e is the same
    five-point error over the predicted shape's outer-eye-corner distance: the unit of the full
    faces' NME, so that on real faces the predicted NME (and ``--exit-threshold``) tracks the
    error of the points people labelled. A five-point face's term is multiplied by
    ``five_weight`` (``--five-point-weight``).
    """
    import torch

    from facecli.models.musica import EYE_CORNERS, normalised_nme
    from facecli.schemes import five_weights

    full = batch["full"].bool()
    gt, five = batch["lm"], batch["five"]
    w5 = torch.as_tensor(five_weights(gt.shape[1]), dtype=gt.dtype, device=gt.device)
    d5 = (five[:, 0] - five[:, 1]).norm(dim=-1).clamp_min(1e-6)
    total = gt.new_zeros(())
    n = max(int(gt.shape[0]), 1)
    last_full = last_five = None
    for shape, err in zip(out.shapes, out.errors):
        if full.any():
            e = normalised_nme(shape[full], gt[full])
            total = total + (weight * e.sum() + (1 - weight) * (e.detach() - err[full]).abs().sum()) / n
            last_full = e
        if (~full).any():
            part = shape[~full]
            p5 = torch.einsum("fl,bld->bfd", w5, part)
            dist = (p5 - five[~full]).norm(dim=-1).mean(dim=1)
            e5 = dist / d5[~full]
            a, b = EYE_CORNERS[gt.shape[1]]
            e_io = (dist / (part[:, a] - part[:, b]).norm(dim=-1).clamp_min(1e-6)).detach()
            total = total + five_weight * (weight * e5.sum() + (1 - weight) * (e_io - err[~full]).abs().sum()) / n
            last_five = e5
    metrics = {}
    if last_full is not None:
        metrics["nme"] = float(last_full.detach().mean())
    if last_five is not None:
        metrics["nme5"] = float(last_five.detach().mean())
    return total, metrics


def _step(model: Any, batch: dict[str, Any], five_weight: float = 1.0) -> tuple[Any, dict[str, float]]:
    return mixed_loss(model(batch["image"]), batch, five_weight=five_weight)


def _five_point_faces(
    path: Path, mean_shape: np.ndarray, opts: AlignTrainOptions, wrap: Callable[..., Any]
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Loose crops, five points and boxes of a five-point CSV's faces (box: the model's mean
    shape placed on the five points, as ``align predict --boxes auto`` places it)."""
    from facecli.io.fivepoint import read_five_points
    from facecli.io.image import read_image
    from facecli.landmarks2d.crop import box_from_five, crop_transform, transform_points

    images, points, boxes = [], [], []
    faces = read_five_points(path)
    for image, pts in wrap(faces, total=len(faces), desc="reading five-point faces"):
        box = box_from_five(pts, mean_shape)
        m0 = crop_transform(box, 2 * opts.crop, 1.0, source=str(image))
        images.append(_loose_crop(read_image(image, grey=True), m0, 2 * opts.crop))
        points.append(transform_points(m0, pts).astype(np.float32))
        boxes.append(transform_points(m0, box.reshape(2, 2)).reshape(4))
    return images, points, boxes


def train_musica(
    root: Path,
    output: Path,
    opts: AlignTrainOptions,
    *,
    fmt: str = "auto",
    split: str = "train",
    seed: int = 0,
    device: str = "auto",
    resume: bool = False,
    argv: list[str] | None = None,
    log: Callable[[str], None] = lambda s: None,
    progress: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Train MuSiCa and write the model file ``output`` (checkpoint ``output.ckpt``).

    Returns:
        The model file's ``meta`` (data, settings, history, held-out NME).
    """
    import torch

    from facecli.io.image import read_image
    from facecli.landmarks2d.crop import crop_transform, to_normalised, transform_points
    from facecli.landmarks2d.data import guess_format, load_alignment_set
    from facecli.models.musica import MuSiCa, MuSiCaConfig, normalised_nme
    from facecli.train.checkpoint import save_model_file
    from facecli.train.distributed import setup_distributed, teardown_distributed
    from facecli.train.loop import TrainConfig, fit

    ctx = setup_distributed(device)
    try:
        init_net = None
        if opts.init:  # fine-tune: the crop geometry, size and mean shape are the initial model's
            from dataclasses import replace

            from facecli.landmarks2d.predictor import load_musica

            init_net, _ = load_musica(Path(opts.init))
            c = init_net.config
            opts = replace(opts, crop=c.crop, margin=c.margin, bottleneck=c.bottleneck, extra_fine=c.extra_fine)
        faces = load_alignment_set(root, fmt=fmt, split=split)
        if opts.limit:
            faces = faces[: opts.limit]
        perm = rng_for(seed, "align-val").permutation(len(faces))
        n_val = int(round(opts.val_fraction * len(faces))) if len(faces) > 1 else 0
        val_idx, tr_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        wrap = progress or (lambda it, **k: it)
        # each face is kept as a loose crop (twice its box, at the training crop's resolution or finer),
        # so memory does not grow with the images' size
        images, lms, boxes = [], [], []
        for f in wrap(faces, total=len(faces), desc="reading"):
            m0 = crop_transform(f.box, 2 * opts.crop, 1.0, source=str(f.image))
            images.append(_loose_crop(read_image(f.image, grey=True), m0, 2 * opts.crop))
            lms.append(transform_points(m0, f.landmarks).astype(np.float32))
            corners = transform_points(m0, np.asarray(f.box, dtype=np.float64).reshape(2, 2))
            boxes.append(corners.reshape(4))
        L = faces[0].landmarks.shape[0]
        if any(f.landmarks.shape[0] != L for f in faces):
            raise InputError(f"expected every face of {root} to have {L} landmarks")
        log(
            f"{len(faces)} faces ({L} landmarks) in {root}; training on {len(tr_idx)}, {len(val_idx)} held out for "
            "reporting"
        )
        # the mean shape in the un-augmented crop: the cascade's start
        crops = [
            to_normalised(transform_points(crop_transform(boxes[i], opts.crop, opts.margin), lms[i]), opts.crop)
            for i in tr_idx
        ]
        mean_shape = np.mean(crops, axis=0)
        torch.manual_seed(seed)
        if init_net is not None:
            if init_net.config.n_landmarks != L:
                raise InputError(
                    f"expected {init_net.config.n_landmarks} landmarks as in {opts.init}, got {L} in {root}"
                )
            cfg = init_net.config
            net = init_net.train().to(ctx.device)
            net.requires_grad_(True)
            mean_shape = np.asarray(cfg.mean_shape, dtype=np.float64)
        else:
            cfg = MuSiCaConfig(
                n_landmarks=L,
                crop=opts.crop,
                margin=opts.margin,
                bottleneck=opts.bottleneck,
                extra_fine=opts.extra_fine,
                mean_shape=mean_shape.tolist(),
            )
            net = MuSiCa(cfg).to(ctx.device)
        tr_images, tr_lms, tr_boxes = [images[i] for i in tr_idx], [lms[i] for i in tr_idx], [boxes[i] for i in tr_idx]
        n_five = 0
        if opts.five_point:
            extra = _five_point_faces(Path(opts.five_point), mean_shape, opts, wrap)
            n_five = len(extra[0])
            tr_images, tr_lms, tr_boxes = tr_images + extra[0], tr_lms + extra[1], tr_boxes + extra[2]
            log(f"{n_five} five-point faces from {opts.five_point} trained next to them (five-point loss)")
        train_set = FaceCropDataset(tr_images, tr_lms, tr_boxes, opts, seed, n_landmarks=L)
        val_set = (
            FaceCropDataset(
                [images[i] for i in val_idx],
                [lms[i] for i in val_idx],
                [boxes[i] for i in val_idx],
                opts,
                seed,
                augment=False,
                n_landmarks=L,
            )
            if n_val
            else None
        )

        def evaluate(m: Any) -> dict[str, float]:
            assert val_set is not None
            errs = []
            for a in range(0, len(val_set), 64):
                items = [val_set[j] for j in range(a, min(a + 64, len(val_set)))]
                x = torch.stack([it["image"] for it in items]).to(ctx.device)
                gt = torch.stack([it["lm"] for it in items]).to(ctx.device)
                errs.append(normalised_nme(m(x).final, gt).cpu().numpy())
            return {"nme_pct": float(100 * np.concatenate(errs).mean())}

        tcfg = TrainConfig(
            epochs=opts.epochs,
            batch_size=opts.batch_size,
            lr=opts.lr,
            seed=seed,
            checkpoint=output.with_name(output.name + ".ckpt"),
            resume=resume,
        )
        history = fit(
            net,
            train_set,
            partial(_step, five_weight=opts.five_point_weight),
            tcfg,
            ctx=ctx,
            evaluate=evaluate if val_set is not None else None,
            log=log,
            progress=progress,
        )
        meta = {
            "trained_on": f"{root}: {len(tr_idx)} faces ({split} split, "
            f"{guess_format(root) if fmt == 'auto' else fmt})"
            + (f"; {n_five} five-point faces of {opts.five_point}" if n_five else "")
            + (f"; fine-tuned from {opts.init}" if opts.init else ""),
            "synthetic": (Path(root) / "synth_gt.h5").exists(),
            "options": opts.as_dict(),
            "seed": seed,
            "argv": list(argv or []),
            "history": history,
            "val_faces": int(n_val),
            "val_nme_pct": history[-1].get("val_nme_pct") if history else None,
            "scheme": "wflw98" if L == 98 else "ibug68",
        }
        if ctx.is_main:
            save_model_file(
                output,
                model="musica",
                config=cfg.to_dict(),
                state_dict=net.state_dict(),
                meta=meta,
                half=opts.half_weights,
            )
        return meta
    finally:
        teardown_distributed()
