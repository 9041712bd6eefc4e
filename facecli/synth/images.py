"""``synth images``: in-the-wild style face images in the 300W or WFLW layout, with
exact landmarks and ground-truth normal/depth maps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from facecli.errors import InputError
from facecli.io.atomic import write_text
from facecli.io.container import ContainerWriter
from facecli.io.image import write_image
from facecli.io.pts import write_pts
from facecli.io.wflw import WFLW_LIST_DIR, format_wflw_line
from facecli.seeding import rng_for
from facecli.synth.expressions import random_expression
from facecli.synth.face_model import sample_identity
from facecli.synth.scene import Pose, SceneOptions, render_person

__all__ = ["write_images", "sample_image_conditions"]

_300W_TRAIN = ("afw", "helen/trainset", "lfpw/trainset")
_300W_COMMON = ("helen/testset", "lfpw/testset")


def sample_image_conditions(rng: np.random.Generator, *, hard: bool = False) -> tuple[Pose, dict, SceneOptions, dict]:
    """Pose, expression, scene options and WFLW-style attribute flags of one image."""
    big = hard or rng.random() < 0.15
    yaw = float(np.clip(rng.normal(0, 45 if big else 18), -90, 90))
    pitch = float(np.clip(rng.normal(0, 18 if big else 8), -40, 40))
    roll = float(np.clip(rng.normal(0, 12 if big else 6), -35, 35))
    pose = Pose(yaw, pitch, roll, shift=tuple(rng.uniform(-12, 12, size=2)), scale=float(rng.uniform(0.72, 1.05)))
    expr = random_expression(rng, strong=0.7 if hard else 0.45)
    occ: list[str] = []
    if rng.random() < (0.35 if hard else 0.12):
        occ.append("glasses")
    if rng.random() < (0.35 if hard else 0.08):
        occ.append(str(rng.choice(["hand", "block"])))
    blur = float(rng.uniform(1.0, 2.5)) if rng.random() < (0.3 if hard else 0.12) else 0.0
    extreme = rng.random() < (0.3 if hard else 0.15)
    from facecli.synth.scene import sample_light

    light = sample_light(rng)
    if extreme:
        d = np.array([rng.choice([-1, 1]) * 1.0, rng.uniform(-0.3, 0.6), 0.25])
        light.direction = tuple(d / np.linalg.norm(d))
        light.ambient = float(rng.uniform(0.05, 0.15))
        light.diffuse = float(rng.uniform(0.9, 1.3))
    opts = SceneOptions(occluders=tuple(occ), blur=blur, noise=float(rng.uniform(0, 4)), light=light)
    flags = {
        "pose": int(abs(yaw) > 35 or abs(pitch) > 25),
        "expression": int(max(expr.values(), default=0.0) > 0.6),
        "illumination": int(extreme),
        "make-up": 0,
        "occlusion": 0,
        "blur": int(blur > 0),
    }
    return pose, expr, opts, flags


def write_images(
    out: Path,
    *,
    scheme: str,
    count: int,
    seed: int,
    size: int = 256,
    progress: Callable[[Iterable], Iterable] = lambda x: x,
) -> list[Path]:
    """Write ``count`` images in the 300W (``ibug68``) or WFLW (``wflw98``) layout.

    300W: ``afw/``, ``helen/{trainset,testset}/``, ``lfpw/{trainset,testset}/``,
    ``ibug/`` (harder poses and occlusion), each image with a 1-based ``.pts``.
    WFLW: ``WFLW_images/0--Synthetic/*.jpg`` and the two lists under
    ``WFLW_annotations/list_98pt_rect_attr_train_test/``.
    Both: ``synth_gt.h5`` (kind ``normals``) with ``normals_<size>``, ``depth_<size>``,
    ``mask_<size>``, ``landmarks``, ``visible``, ``pose`` per image id.

    Returns:
        The written annotation files and the ground-truth file.
    """
    if scheme not in ("ibug68", "wflw98"):
        raise InputError(f"expected --scheme ibug68|wflw98, got {scheme!r}")
    if count < 1:
        raise InputError(f"expected --count >= 1, got {count}")
    out.mkdir(parents=True, exist_ok=True)
    gt = ContainerWriter(
        out / "synth_gt.h5",
        "normals",
        producer="facecli synth images",
        params={"scheme": scheme, "count": count, "seed": seed, "size": size},
        array_attrs={
            f"normals_{size}": {"layout": "NHWC", "frame": "view: +x right, +y up, +z to camera"},
            f"depth_{size}": {"units": "mm", "layout": "NHW"},
            f"mask_{size}": {"layout": "NHW"},
            "landmarks": {"units": "px", "scheme": scheme},
            "pose": {"units": "deg", "description": "yaw, pitch, roll"},
        },
    )
    gt.set_root_attr("scales", str(size))
    wflw_lines: dict[str, list[str]] = {"train": [], "test": []}
    written: list[Path] = []
    n_train = int(round(0.7 * count)) if scheme == "ibug68" else int(round(0.75 * count))
    n_common = int(round(0.2 * count))
    try:
        for i in progress(range(count)):
            if scheme == "ibug68":
                if i < n_train:
                    folder, hard = _300W_TRAIN[i % 3], False
                elif i < n_train + n_common:
                    folder, hard = _300W_COMMON[i % 2], False
                else:
                    folder, hard = "ibug", True
            else:
                folder, hard = "0--Synthetic", False
            rng = rng_for(seed, "images", scheme, i)
            ident = sample_identity(rng)
            pose, expr, opts, flags = sample_image_conditions(rng, hard=hard)
            res, info = render_person(ident, expr, pose, rng, size=(size, size), options=opts, scheme=scheme)
            flags["occlusion"] = int(res.occluded.any())
            if scheme == "ibug68":
                rel = f"{folder}/image_{i:05d}.png"
                write_image(out / rel, res.image)
                write_pts((out / rel).with_suffix(".pts"), res.landmarks)
            else:
                rel = f"WFLW_images/{folder}/synth_{i:05d}.jpg"
                write_image(out / rel, res.image)
                lo = res.landmarks.min(axis=0)
                hi = res.landmarks.max(axis=0)
                pad = (hi - lo) * rng.uniform(0.0, 0.1, size=2)
                rect = np.concatenate([lo - pad, hi + pad])
                att = np.array(
                    [flags[k] for k in ("pose", "expression", "illumination", "make-up", "occlusion", "blur")]
                )
                split = "train" if i < n_train else "test"
                wflw_lines[split].append(format_wflw_line(res.landmarks, rect, att, rel.removeprefix("WFLW_images/")))
            gt.write(
                rel,
                {
                    f"normals_{size}": res.normals.astype(np.float16),
                    f"depth_{size}": res.depth,
                    f"mask_{size}": res.mask,
                    "landmarks": res.landmarks,
                    "visible": res.visible,
                    "pose": np.array([pose.yaw, pose.pitch, pose.roll], dtype=np.float32),
                },
            )
    except BaseException:
        gt.abort()  # keep the work file (.part) for --resume; the target is left as it was
        raise
    gt.close()
    if scheme == "wflw98":
        for split, lines in wflw_lines.items():
            p = out / WFLW_LIST_DIR / f"list_98pt_rect_attr_{split}.txt"
            p.parent.mkdir(parents=True, exist_ok=True)
            write_text(p, "\n".join(lines) + ("\n" if lines else ""))
            written.append(p)
    else:
        written.extend(sorted(out.rglob("*.pts")))
    written.append(out / "synth_gt.h5")
    return written
