"""Inputs of ``grid-attn``: normal maps from a ``normals`` container (``facecli normals``
or ``synth identities``' ``normals_gt.h5``), optional texture channels from the same
file and optional RGB from the images the ids name, plus identity labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facecli.errors import FormatError, InputError
from facecli.io.container import ContainerReader
from facecli.io.text import read_text
from facecli.train.splits import subject_of

__all__ = [
    "INPUT_GROUPS",
    "FaceInputs",
    "parse_inputs",
    "load_face_inputs",
    "identity_labels",
    "read_labels",
    "flip_inputs",
]

#: Channel groups and their channel counts.
INPUT_GROUPS = {"normals": 3, "rgb": 3, "texture": 5}


def parse_inputs(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"normals,rgb"`` → ``("normals", "rgb")``, checked against :data:`INPUT_GROUPS`."""
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    bad = [t for t in items if t not in INPUT_GROUPS]
    if not items or bad or len(set(items)) != len(items):
        raise InputError(
            f"expected --inputs from {', '.join(INPUT_GROUPS)} (comma-separated, no repeats), got {text!r}"
        )
    return tuple(items)


@dataclass
class FaceInputs:
    """Network inputs for a set of faces.

    Attributes:
        ids: (N,) sample ids (paths relative to the dataset root, e.g.
            ``Ada_Arden/Ada_Arden_0001.jpg``).
        x: (N, C, S, S) float32 channels in ``inputs`` order: normals in [-1, 1]
            (zero off the face), RGB standardised, texture as stored.
        inputs: the channel groups.
        source: the normals file.
    """

    ids: list[str]
    x: np.ndarray
    inputs: tuple[str, ...]
    source: Path

    def subset(self, idx: Sequence[int] | np.ndarray) -> FaceInputs:
        idx = np.asarray(idx, dtype=np.int64)
        return FaceInputs([self.ids[i] for i in idx], self.x[idx], self.inputs, self.source)


def _resize(a: np.ndarray, size: int) -> np.ndarray:
    import cv2

    if a.shape[0] == size and a.shape[1] == size:
        return a.astype(np.float32)
    out = cv2.resize(a.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    return out.reshape(size, size, -1)


def _normals(n: np.ndarray, mask: np.ndarray | None, size: int) -> np.ndarray:
    n = n.astype(np.float32)
    if mask is not None:
        n = n * (mask.astype(bool)[..., None])
    r = _resize(n, size)
    norm = np.linalg.norm(r, axis=-1, keepdims=True)
    return np.where(norm > 0.1, r / np.maximum(norm, 1e-6), 0.0).astype(np.float32)


def _pick_scale(reader: ContainerReader, scale: int | None) -> int:
    scales = sorted(int(k.split("_", 1)[1]) for k in reader.keys() if k.startswith("normals_") and k[8:].isdigit())
    if not scales:
        raise FormatError(f"{reader.path}: expected normals_<size> arrays (a 'normals' file), found {reader.keys()}")
    if scale is None:
        return scales[-1]
    if scale not in scales:
        raise InputError(f"{reader.path}: no normals_{scale}; the file has scales {scales}")
    return scale


def load_face_inputs(
    normals_file: Path,
    *,
    size: int,
    inputs: Sequence[str] = ("normals",),
    scale: int | None = None,
    images: Path | None = None,
    ids: Sequence[str] | None = None,
    progress: Callable[..., Iterable] = lambda it, **k: it,
) -> FaceInputs:
    """Read and resize the network inputs.

    Args:
        normals_file: a ``normals`` container.
        size: S, the network's input side.
        inputs: channel groups (see :data:`INPUT_GROUPS`).
        scale: which ``normals_<scale>`` to read (default: the largest).
        images: root the ids are relative to (needed for ``rgb``).
        ids: only these samples (default: all, in file order).

    Raises:
        InputError / FormatError: the file, a scale, an image or a texture array is
            missing, naming which.
    """
    inputs = parse_inputs(inputs)
    path = Path(normals_file)
    if "rgb" in inputs and images is None:
        raise InputError("--inputs rgb needs --images ROOT (the folder the sample ids are relative to)")
    with ContainerReader(path, kind="normals") as r:
        s = _pick_scale(r, scale)
        if "texture" in inputs and f"texture_{s}" not in r:
            raise InputError(f"{path}: --inputs texture needs texture_{s} (run 'facecli normals --texture')")
        all_ids = r.ids
        if ids is None:
            index = list(range(len(all_ids)))
        else:
            pos = {k: i for i, k in enumerate(all_ids)}
            missing = [k for k in ids if k not in pos]
            if missing:
                raise InputError(f"{path}: {len(missing)} requested ids are not in the file, e.g. {missing[0]!r}")
            index = [pos[k] for k in ids]
        if not index:
            raise InputError(f"{path}: no samples")
        has_mask = f"mask_{s}" in r
        chans = sum(INPUT_GROUPS[g] for g in inputs)
        x = np.zeros((len(index), chans, size, size), np.float32)
        for row, i in enumerate(progress(index, total=len(index), desc="loading")):
            keys = (
                [f"normals_{s}"]
                + ([f"mask_{s}"] if has_mask else [])
                + ([f"texture_{s}"] if "texture" in inputs else [])
            )
            smp = r.sample(i, keys)
            parts = []
            for g in inputs:
                if g == "normals":
                    parts.append(_normals(smp[f"normals_{s}"], smp.get(f"mask_{s}"), size))
                elif g == "texture":
                    parts.append(_resize(smp[f"texture_{s}"], size))
                else:
                    parts.append(_rgb(Path(images) / all_ids[i], size))  # type: ignore[arg-type]
            x[row] = np.concatenate(parts, axis=-1).transpose(2, 0, 1)
        return FaceInputs([all_ids[i] for i in index], x, inputs, path)


def _rgb(path: Path, size: int) -> np.ndarray:
    from facecli.io.image import read_image

    img = read_image(path)
    if img.ndim != 3 or img.shape[2] != 3:
        raise FormatError(f"expected an RGB image, got shape {img.shape} in {path}")
    return (_resize(img.astype(np.float32) / 255.0, size) - 0.5) / 0.25


def flip_inputs(x: np.ndarray, inputs: Sequence[str]) -> np.ndarray:
    """Mirror (…, C, S, S) inputs left-right; a normal's x component changes sign."""
    out = x[..., ::-1].copy()
    c = 0
    for g in inputs:
        if g == "normals":
            out[..., c, :, :] *= -1.0
        c += INPUT_GROUPS[g]
    return out


def read_labels(path: Path) -> dict[str, str]:
    """A labels file: one ``id,label`` (or tab/space separated) line per sample; a first
    line ``id,label`` is skipped.

    Raises:
        InputError: missing file. FormatError: a line without two fields (with its number).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such labels file: {p}")
    out: dict[str, str] = {}
    for k, line in enumerate(read_text(p, "a labels list (id label per line)").splitlines(), 1):
        if not line.strip():
            continue
        f = [t for t in line.replace("\t", ",").replace(" ", ",").split(",") if t]
        if len(f) != 2:
            raise FormatError(f"{p}:{k}: expected 'id,label', got {line!r}")
        if k == 1 and f == ["id", "label"]:
            continue
        out[f[0]] = f[1]
    return out


def identity_labels(ids: Sequence[str], labels: dict[str, str] | None = None) -> list[str]:
    """The identity of each id: from ``labels`` when given (every id must be there),
    else the LFW folder name (``Ada_Arden/Ada_Arden_0001.jpg`` → ``Ada_Arden``)."""
    if labels is not None:
        missing = [i for i in ids if i not in labels]
        if missing:
            raise InputError(f"the labels file has no label for {len(missing)} ids, e.g. {missing[0]!r}")
        return [labels[i] for i in ids]
    out = [subject_of(i, "folder") for i in ids]
    if any(o == i for o, i in zip(out, ids)):
        bad = next(i for o, i in zip(out, ids) if o == i)
        raise InputError(f"cannot tell the identity of {bad!r} (no <name>/ folder); pass --labels FILE")
    return out
