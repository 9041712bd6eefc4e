"""Checkpoints (atomic writes, resume) and the model-file format shared by every
trainable model of facecli.

A model file is a ``torch.save`` dict readable with ``weights_only=True``:
``format`` (:data:`MODEL_FORMAT`), ``model`` (its name, e.g. ``cap``), ``config``
(constructor arguments), ``state_dict``, and ``meta`` (what it was trained on, the
command, metrics, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike

__all__ = ["MODEL_FORMAT", "save_atomic", "load_checkpoint", "save_model_file", "load_model_file"]

MODEL_FORMAT = "facecli-model/1"


def save_atomic(obj: Mapping[str, Any], path: PathLike) -> Path:
    """``torch.save`` to a temporary file, then rename: a kill never leaves half a file."""
    import torch

    from facecli.io.atomic import atomic_write

    p = Path(path)
    with atomic_write(p, "wb", lock=False) as fh:
        torch.save(dict(obj), fh)
    return p


def load_checkpoint(path: PathLike) -> dict[str, Any]:
    """Load a training checkpoint written by :func:`save_atomic`."""
    import torch

    p = Path(path)
    if not p.exists():
        raise InputError(f"no such checkpoint: {p}")
    try:
        return torch.load(p, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise FormatError(f"{p}: not a readable checkpoint ({exc.__class__.__name__}: {exc})") from exc


def save_model_file(
    path: PathLike,
    *,
    model: str,
    config: Mapping[str, Any],
    state_dict: Mapping[str, Any],
    meta: Mapping[str, Any],
    half: bool = False,
) -> Path:
    """Write a model file (see the module docstring).

    Args:
        half: store floating-point tensors as float16 (half the file; ``load_state_dict``
            casts them back into the model's float32 parameters). The file's meta then
            says ``"stored_dtype": "float16"``.
    """

    def _store(v: Any) -> Any:
        v = v.detach().cpu()
        return v.half() if half and v.is_floating_point() else v

    meta = dict(meta, stored_dtype="float16" if half else "float32")
    return save_atomic(
        {
            "format": MODEL_FORMAT,
            "model": model,
            "config": dict(config),
            "state_dict": {k: _store(v) for k, v in state_dict.items()},
            "meta": meta,
        },
        path,
    )


def load_model_file(path: PathLike, *, model: str | None) -> dict[str, Any]:
    """Read a model file and check that it holds a ``model`` network (any, if ``None``).

    Raises:
        InputError: missing file. FormatError: not a facecli model file, or another model.
    """
    import torch

    p = Path(path)
    if not p.exists():
        raise InputError(f"no such model file: {p}")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise FormatError(f"{p}: not a readable facecli model file ({exc.__class__.__name__})") from exc
    if not isinstance(obj, dict) or obj.get("format") != MODEL_FORMAT:
        raise FormatError(
            f"{p}: expected a {MODEL_FORMAT} file, got "
            f"{obj.get('format') if isinstance(obj, dict) else type(obj).__name__}"
        )
    if model is not None and obj.get("model") != model:
        raise FormatError(f"{p}: expected a {model!r} model, got {obj.get('model')!r}")
    return obj
