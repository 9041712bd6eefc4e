"""One sample in an NPZ file, with the same keys as the HDF5 container.

The arrays are stored under their own names without the sample axis; the metadata
(schema, kind, id, provenance, per-array attributes) is one JSON string under
``__facecli__``.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facecli._version import __version__
from facecli.errors import FormatError, InputError, ValidationError
from facecli.io.container import RESERVED_KEYS, SCHEMA, _parse_schema
from facecli.typing import PathLike

__all__ = ["save_sample_npz", "load_sample_npz", "SampleNPZ", "META_KEY"]

META_KEY = "__facecli__"


class SampleNPZ:
    """A sample read back from NPZ: ``kind``, ``id``, ``arrays``, ``meta``."""

    def __init__(self, kind: str, sample_id: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]):
        self.kind = kind
        self.id = sample_id
        self.arrays = arrays
        self.meta = meta

    def __repr__(self) -> str:
        return f"SampleNPZ(kind={self.kind!r}, id={self.id!r}, keys={sorted(self.arrays)})"


def save_sample_npz(
    path: PathLike,
    kind: str,
    sample_id: str,
    arrays: Mapping[str, Any],
    *,
    producer: str = f"facecli {__version__}",
    argv: Sequence[str] | None = None,
    params: Mapping[str, Any] | None = None,
    array_attrs: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """Write one sample as compressed NPZ.

    Args:
        path: output ``.npz``.
        kind: the container kind (as in HDF5 files).
        sample_id: the sample's id.
        arrays: key → array without the sample axis.
        producer, argv, params: provenance, as in :class:`ContainerWriter`.
        array_attrs: per key, ``units``/``layout``/``scheme``.

    Returns:
        The written path.
    """
    bad = (RESERVED_KEYS | {META_KEY}).intersection(arrays)
    if bad:
        raise ValidationError(f"reserved array name(s) {sorted(bad)} for {path}")
    meta = {
        "facecli_schema": SCHEMA,
        "kind": kind,
        "id": sample_id,
        "producer": producer,
        "argv": list(argv or []),
        "params": dict(params or {}),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "array_attrs": {k: dict(v) for k, v in (array_attrs or {}).items()},
    }
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload[META_KEY] = np.asarray(json.dumps(meta, default=str))
    from facecli.io.atomic import atomic_write

    with atomic_write(out, "wb") as fh:
        np.savez_compressed(fh, **payload)
    return out


def load_sample_npz(path: PathLike, kind: str | None = None) -> SampleNPZ:
    """Read an NPZ sample written by :func:`save_sample_npz`.

    Raises:
        InputError: missing file.
        FormatError: not an NPZ file, or not written by facecli.
        SchemaError: newer schema, or not of ``kind``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    try:
        with np.load(p, allow_pickle=False) as data:
            if META_KEY not in data.files:
                raise FormatError(f"{p} is an NPZ file but not a facecli file (no {META_KEY} entry)")
            meta = json.loads(str(data[META_KEY]))
            arrays = {k: data[k] for k in data.files if k != META_KEY}
    except (OSError, ValueError) as exc:
        raise FormatError(f"{p} is not a readable NPZ file ({exc})") from exc
    _parse_schema(meta.get("facecli_schema", ""), str(p))
    if kind is not None and meta.get("kind") != kind:
        from facecli.errors import SchemaError

        raise SchemaError(f"expected a {kind!r} file, got kind {meta.get('kind')!r} in {p}")
    return SampleNPZ(meta.get("kind", ""), meta.get("id", ""), arrays, meta)
