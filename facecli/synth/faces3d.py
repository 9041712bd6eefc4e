"""``synth faces3d``: FaceScape-layout meshes with exact landmark indices."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from facecli.errors import InputError
from facecli.io.atomic import write_text
from facecli.io.facescape import write_landmark_indices
from facecli.io.mesh import write_mesh
from facecli.seeding import rng_for
from facecli.synth.expressions import FACESCAPE_SET
from facecli.synth.face_model import build_vertices, sample_identity
from facecli.synth.template import get_template

__all__ = ["write_faces3d"]


def write_faces3d(
    out: Path,
    *,
    subjects: int,
    expressions: int,
    seed: int,
    start: int = 1,
    shape_spread: float = 1.0,
    progress: Callable[[Iterable], Iterable] = lambda x: x,
) -> list[Path]:
    """Write ``out/<id>/<k>_<expr>.obj`` and ``out/landmark_indices.npz`` (key ``v10``).

    Args:
        out: the dataset root.
        subjects: number of people (ids ``start`` … ``start + subjects − 1``).
        expressions: the first E of :data:`FACESCAPE_SET` (1–8) per person.
        seed: the run's seed; subject k is the same person whatever ``subjects`` is.
        start: first subject id (to grow a dataset or split work).
        shape_spread: multiplies the identity model's shape σ
            (:func:`~facecli.synth.face_model.sample_identity`); above 1 for training data that
            reaches the edges of real faces' proportions.

    Returns:
        The written files, landmark file first.
    """
    if subjects < 1:
        raise InputError(f"expected --subjects >= 1, got {subjects}")
    if not 1 <= expressions <= len(FACESCAPE_SET):
        raise InputError(f"expected --expressions between 1 and {len(FACESCAPE_SET)}, got {expressions}")
    tpl = get_template()
    out.mkdir(parents=True, exist_ok=True)
    written = [write_landmark_indices(out / "landmark_indices.npz", tpl.ibug68)]
    meta: dict[str, dict] = {}
    for sid in progress(range(start, start + subjects)):
        ident = sample_identity(rng_for(seed, "faces3d", sid), spread=shape_spread)
        meta[str(sid)] = {"shape": ident.shape, "scale": ident.sex_scale}
        for idx, name, aus in FACESCAPE_SET[:expressions]:
            v = build_vertices(ident, aus)
            written.append(write_mesh(out / str(sid) / f"{idx}_{name}.obj", v, tpl.faces))
    write_text(
        out / "synth_faces3d.json",
        json.dumps(
            {
                "generator": "facecli synth faces3d",
                "seed": seed,
                "shape_spread": shape_spread,
                "units": "mm",
                "frame": "+X right, +Y up, +Z toward the viewer",
                "landmarks": "ibug68 vertex indices (key v10)",
                "expressions": {f"{i}_{n}": a for i, n, a in FACESCAPE_SET[:expressions]},
                "identities": meta,
            },
            indent=1,
        ),
    )
    return written
