"""Image -> ground-truth normal-map training sets, and the CAP training step.

A set is a ROOT of images plus a facecli container of kind ``normals`` whose ids are
the images' paths relative to ROOT and which holds ``normals_<s>`` and ``mask_<s>``
(``synth images`` writes ``synth_gt.h5``, ``synth identities`` writes ``normals_gt.h5``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.seeding import rng_for

__all__ = ["RenderSet", "find_gt_file", "load_render_set", "CAPDataset", "cap_step", "downsample_normals", "NOISE_MAX"]

#: the largest pixel-noise sigma (images in [0, 1]) used by training augmentation
NOISE_MAX = 0.05


@dataclass
class RenderSet:
    """Images with ground-truth normals.

    Attributes:
        ids: (N,) image ids (paths relative to the root).
        images: (N, S, S, 3) uint8 RGB, resized to the normal maps' size.
        normals: (N, S, S, 3) float32 unit normals (view frame).
        masks: (N, S, S) bool.
    """

    ids: list[str]
    images: np.ndarray
    normals: np.ndarray
    masks: np.ndarray

    def subset(self, index: np.ndarray) -> RenderSet:
        return RenderSet([self.ids[i] for i in index], self.images[index], self.normals[index], self.masks[index])


def find_gt_file(root: Path, gt: Path | None) -> Path:
    """The ground-truth container of ``root``: ``gt`` if given, else ``synth_gt.h5`` / ``normals_gt.h5``."""
    if gt is not None:
        if not gt.exists():
            raise InputError(f"no such ground-truth file: {gt}")
        return gt
    for name in ("synth_gt.h5", "normals_gt.h5"):
        if (root / name).exists():
            return root / name
    raise InputError(f"{root}: expected synth_gt.h5 or normals_gt.h5 (image -> normal ground truth); give --gt FILE")


def load_render_set(
    root: Path, gt: Path | None = None, *, size: int | None = None, limit: int | None = None
) -> RenderSet:
    """Read a training/evaluation set into memory.

    Args:
        root: the image root.
        gt: the container (see :func:`find_gt_file`).
        size: which ``normals_<size>`` to use (default: the largest in the file).
        limit: read at most this many samples (in file order).
    """
    import cv2

    from facecli.io.container import ContainerReader
    from facecli.io.image import read_image

    path = find_gt_file(root, gt)
    reader = ContainerReader(path, kind="normals")
    sizes = sorted(
        int(k.split("_")[1]) for k in reader.keys() if k.startswith("normals_") and k.split("_")[1].isdigit()
    )
    if not sizes:
        raise FormatError(f"{path}: expected normals_<size> arrays, got {reader.keys()}")
    s = size or sizes[-1]
    if s not in sizes:
        raise FormatError(f"{path}: no normals_{s} (has {', '.join(map(str, sizes))})")
    ids = reader.ids[:limit] if limit else reader.ids
    n = len(ids)
    normals = np.asarray(reader.read(f"normals_{s}"))[:n].astype(np.float32)
    masks = np.asarray(reader.read(f"mask_{s}"))[:n].astype(bool)
    images = np.zeros((n, s, s, 3), dtype=np.uint8)
    for i, sid in enumerate(ids):
        img = read_image(root / sid)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        if img.dtype != np.uint8:
            raise FormatError(f"{root / sid}: expected an 8-bit image, got {img.dtype}")
        if img.shape[:2] != (s, s):
            img = cv2.resize(img, (s, s), interpolation=cv2.INTER_AREA)
        images[i] = img
    norm = np.linalg.norm(normals, axis=-1)
    normals = np.where(masks[..., None], normals / np.maximum(norm, 1e-6)[..., None], 0.0).astype(np.float32)
    reader.close()
    return RenderSet(list(ids), images, normals, masks)


class CAPDataset:
    """Seeded augmentation of a :class:`RenderSet` for CAP training.

    Per sample and epoch: a random square crop of ``crop`` pixels (position), a
    horizontal flip (the normals' x is negated), brightness/contrast/colour gains,
    and with probability 1/2 Gaussian pixel noise of sigma up to :data:`NOISE_MAX`.

    Items: ``(image (3, c, c) float32 in [0, 1], normals (3, c, c), mask (1, c, c))``.
    """

    def __init__(self, data: RenderSet, *, crop: int | None = None, seed: int = 0, augment: bool = True) -> None:
        s = data.images.shape[1]
        self.data, self.seed, self.augment = data, seed, augment
        self.crop = min(crop or s, s)
        if self.crop % 8:
            raise InputError(f"expected a training crop divisible by 8, got {self.crop}")
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.data.ids)

    def __getitem__(self, i: int) -> tuple[Any, Any, Any]:
        import torch

        img = self.data.images[i].astype(np.float32) / 255.0
        nrm = self.data.normals[i].copy()
        msk = self.data.masks[i].astype(np.float32)
        s, c = img.shape[0], self.crop
        if self.augment:
            rng = rng_for(self.seed, "cap-augment", self.epoch, i)
            r0, c0 = rng.integers(0, s - c + 1, size=2)
            img, nrm, msk = img[r0 : r0 + c, c0 : c0 + c], nrm[r0 : r0 + c, c0 : c0 + c], msk[r0 : r0 + c, c0 : c0 + c]
            if rng.random() < 0.5:
                img, nrm, msk = img[:, ::-1], nrm[:, ::-1] * np.array([-1.0, 1.0, 1.0], np.float32), msk[:, ::-1]
            gain = rng.uniform(0.7, 1.3) * rng.uniform(0.9, 1.1, size=3)
            mean = img.mean()
            img = (img - mean) * rng.uniform(0.75, 1.25) + mean
            img = img * gain.astype(np.float32)
            if rng.random() < 0.5:
                img = img + rng.normal(0.0, rng.uniform(0.0, NOISE_MAX), size=img.shape).astype(np.float32)
            img = np.clip(img, 0.0, 1.0)
        else:
            o = (s - c) // 2
            img, nrm, msk = img[o : o + c, o : o + c], nrm[o : o + c, o : o + c], msk[o : o + c, o : o + c]
        return (
            torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32)),
            torch.from_numpy(np.ascontiguousarray(nrm.transpose(2, 0, 1), dtype=np.float32)),
            torch.from_numpy(np.ascontiguousarray(msk[None], dtype=np.float32)),
        )


def downsample_normals(normals: Any, mask: Any, factor: int) -> tuple[Any, Any, Any]:
    """Average-pool ground truth by ``factor``: renormalised normals, the pooled mask
    (soft, for the mask loss) and the interior (all pixels on the face, for the angle loss).

    Args:
        normals: (B, 3, H, W). mask: (B, 1, H, W) float.
    """
    import torch.nn.functional as F

    if factor == 1:
        return normals, mask, mask
    n = F.avg_pool2d(normals * mask, factor)
    m = F.avg_pool2d(mask, factor)
    return F.normalize(n, dim=1, eps=1e-6), m, (m > 0.999).float()


#: weights of the angle loss at full, 1/2 and 1/4 resolution, and of the mask loss
SCALE_WEIGHTS = (1.0, 0.5, 0.25)
MASK_WEIGHT = 0.2


def cap_step(net: Any, batch: Any) -> tuple[Any, dict[str, float]]:
    """One CAP training step: multi-scale angular loss inside the face plus mask BCE."""
    import torch.nn.functional as F

    from facecli.models.cap import angular_loss

    img, nrm, msk = batch
    outs = net(img)
    loss = 0.0
    angle = None
    for k, (out, w) in enumerate(zip(outs, SCALE_WEIGHTS)):
        n_k, m_k, inner = downsample_normals(nrm, msk, 2**k)
        a = angular_loss(out.normals, n_k, inner)
        if k == 0:
            angle = a
        loss = loss + w * a + MASK_WEIGHT * w * F.binary_cross_entropy_with_logits(out.mask_logits, m_k)
    return loss, {"angle_deg": float(angle.detach()) * 180.0 / np.pi}
