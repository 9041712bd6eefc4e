"""``synth identities``: an LFW-layout face-verification set with ``pairs.txt`` and
ground-truth normal maps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path

import numpy as np

from facecli.errors import InputError
from facecli.io.atomic import write_text
from facecli.io.container import ContainerWriter
from facecli.io.image import write_image
from facecli.io.lfw import lfw_image_path, write_pairs
from facecli.seeding import rng_for
from facecli.synth.expressions import random_expression
from facecli.synth.face_model import sample_identity
from facecli.synth.scene import Pose, SceneOptions, render_person

__all__ = ["write_identities", "synthetic_name"]

_FIRST = [
    "Ada",
    "Bao",
    "Cai",
    "Dara",
    "Emil",
    "Fatou",
    "Goran",
    "Hana",
    "Ivo",
    "Jun",
    "Kofi",
    "Lena",
    "Mira",
    "Nils",
    "Omar",
    "Pia",
    "Quin",
    "Rosa",
    "Sami",
    "Tova",
    "Uma",
    "Vik",
    "Wen",
    "Yara",
    "Zeno",
]
_LAST = [
    "Arden",
    "Brook",
    "Castell",
    "Dunmore",
    "Eskel",
    "Farrow",
    "Galloway",
    "Hartley",
    "Ingram",
    "Jessop",
    "Kerrow",
    "Lindqvist",
    "Morrow",
    "Norcott",
    "Oakes",
    "Pell",
    "Quarry",
    "Rook",
    "Selby",
    "Thorne",
]


def synthetic_name(k: int) -> str:
    """A deterministic LFW-style name (``First_Last``, unique for k < 500; suffixed beyond)."""
    first = _FIRST[k % len(_FIRST)]
    last = _LAST[(k // len(_FIRST)) % len(_LAST)]
    extra = k // (len(_FIRST) * len(_LAST))
    return f"{first}_{last}" + (f"_{extra + 1}" if extra else "")


def write_identities(
    out: Path,
    *,
    identities: int,
    per_identity: int,
    seed: int,
    size: int = 250,
    pairs_per_fold: int = 300,
    normal_size: int = 128,
    start: int = 0,
    yaw_sd: float = 15.0,
    max_yaw: float = 80.0,
    progress: Callable[[Iterable], Iterable] = lambda x: x,
) -> list[Path]:
    """Write ``out/<name>/<name>_<nnnn>.jpg``, ``out/pairs.txt``, ``out/normals_gt.h5``
    and ``out/poses.csv`` (``id,yaw,pitch,roll`` in degrees, the true head pose).

    People ``start .. start + identities - 1`` are drawn (name and face both follow the
    index), so two sets with non-overlapping ranges share no person. Yaw is normal with
    standard deviation ``yaw_sd``, clipped to ``±max_yaw``.

    Identities are dealt to the 10 folds round-robin, so folds are identity-disjoint;
    each fold holds the same number of matched and mismatched pairs (at most
    ``pairs_per_fold``, fewer if the fold's people cannot give that many).

    Raises:
        InputError: fewer than 20 identities or fewer than 2 images each.
    """
    if identities < 20:
        raise InputError(f"expected --identities >= 20 (two per fold for LFW's 10 folds), got {identities}")
    if per_identity < 2:
        raise InputError(f"expected --per-identity >= 2 (matched pairs need two images), got {per_identity}")
    out.mkdir(parents=True, exist_ok=True)
    if start < 0:
        raise InputError(f"expected --start >= 0, got {start}")
    if not 0 < max_yaw <= 85:
        raise InputError(f"expected --max-yaw in (0, 85] degrees, got {max_yaw}")
    names = [synthetic_name(start + k) for k in range(identities)]
    gt = ContainerWriter(
        out / "normals_gt.h5",
        "normals",
        producer="facecli synth identities",
        params={
            "identities": identities,
            "per_identity": per_identity,
            "seed": seed,
            "size": size,
            "start": start,
            "yaw_sd": yaw_sd,
            "max_yaw": max_yaw,
        },
        array_attrs={
            f"normals_{normal_size}": {"layout": "NHWC", "frame": "view: +x right, +y up, +z to camera"},
            f"mask_{normal_size}": {"layout": "NHW"},
            f"depth_{normal_size}": {"units": "mm"},
        },
    )
    gt.set_root_attr("scales", str(normal_size))
    pose_rows = ["id,yaw,pitch,roll"]
    try:
        for k0 in progress(range(identities)):
            k = start + k0
            ident = sample_identity(rng_for(seed, "identity", k))
            for j in range(1, per_identity + 1):
                rng = rng_for(seed, "identity-image", k, j)
                yaw = float(np.clip(rng.normal(0, yaw_sd), -max_yaw, max_yaw))
                pose = Pose(
                    yaw,
                    float(rng.normal(0, 7)),
                    float(rng.normal(0, 5)),
                    shift=tuple(rng.uniform(-6, 6, size=2)),
                    scale=float(rng.uniform(0.85, 1.0)),
                )
                expr = random_expression(rng, strong=0.4)
                occ = ("glasses",) if rng.random() < 0.1 else ()
                opts = SceneOptions(occluders=occ, noise=float(rng.uniform(0, 3)))
                res, _ = render_person(ident, expr, pose, rng, size=(size, size), options=opts)
                rel = lfw_image_path(names[k0], j)
                pose_rows.append(f"{rel},{pose.yaw:.3f},{pose.pitch:.3f},{pose.roll:.3f}")
                write_image(out / rel, res.image, quality=92)
                res_n, _ = render_person(
                    ident,
                    expr,
                    pose,
                    rng_for(seed, "identity-normals", k, j),
                    size=(normal_size, normal_size),
                    options=SceneOptions(clutter=False),
                )
                gt.write(
                    rel,
                    {
                        f"normals_{normal_size}": res_n.normals.astype(np.float16),
                        f"mask_{normal_size}": res_n.mask,
                        f"depth_{normal_size}": res_n.depth,
                    },
                )
    except BaseException:
        gt.abort()  # keep the work file (.part) for --resume; the target is left as it was
        raise
    gt.close()
    write_text(out / "poses.csv", "\n".join(pose_rows) + "\n")
    rng = rng_for(seed, "pairs")
    folds = []
    fold_people = [list(range(f, identities, 10)) for f in range(10)]
    n_avail = min(
        min(len(p) * len(list(combinations(range(per_identity), 2))) for p in fold_people),
        min(len(p) * (len(p) - 1) // 2 * per_identity * per_identity for p in fold_people),
    )
    n = min(pairs_per_fold, n_avail)
    for people in fold_people:
        matched_all = [(names[p], i + 1, j + 1) for p in people for i, j in combinations(range(per_identity), 2)]
        mism_all = [
            (names[a], i + 1, names[b], j + 1)
            for a, b in combinations(people, 2)
            for i in range(per_identity)
            for j in range(per_identity)
        ]
        m_sel = rng.choice(len(matched_all), size=n, replace=False)
        u_sel = rng.choice(len(mism_all), size=n, replace=False)
        folds.append(([matched_all[i] for i in sorted(m_sel)], [mism_all[i] for i in sorted(u_sel)]))
    pairs = write_pairs(out / "pairs.txt", folds)
    return [pairs, out / "normals_gt.h5", out / "poses.csv"]
