"""What ``facecli info`` reports about a file: kind, arrays, samples, provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facecli.errors import FormatError, InputError
from facecli.typing import PathLike

__all__ = ["describe_file"]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def describe_file(path: PathLike) -> dict[str, Any]:
    """Describe a facecli HDF5 or NPZ file.

    Returns:
        A JSON-ready dict: ``path``, ``format`` (``hdf5``/``npz``), ``schema``,
        ``kind``, ``samples`` (complete), ``incomplete``, ``failures``, ``arrays``
        (name → dtype, per-sample shape, units/layout/scheme), ``provenance``
        (producer, argv, params, created).

    Raises:
        InputError: missing file. FormatError: a file facecli did not write (the
            message says what it is instead). SchemaError: a newer schema.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    if p.is_dir():
        raise InputError(f"{p} is a directory; facecli info describes one file")
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head == _HDF5_MAGIC:
        return _describe_h5(p)
    if head[:2] == b"PK":
        return _describe_npz(p)
    raise FormatError(f"{p} is not a facecli file (neither HDF5 nor NPZ)")


def _describe_h5(p: Path) -> dict[str, Any]:
    from facecli.io.container import ContainerReader

    with ContainerReader(p) as r:
        attrs = r.attrs
        arrays = {k: r.array_info(k) for k in r.keys()}
        return {
            "path": str(p),
            "format": "hdf5",
            "schema": attrs.get("facecli_schema"),
            "kind": r.kind,
            "samples": len(r),
            "incomplete": r.n_incomplete,
            "failures": len(r.failures()),
            "arrays": arrays,
            "provenance": {k: attrs.get(k) for k in ("producer", "argv", "params", "created")},
            "extra_attrs": {
                k: v
                for k, v in attrs.items()
                if k not in ("facecli_schema", "kind", "producer", "argv", "params", "created")
            },
        }


def _describe_npz(p: Path) -> dict[str, Any]:
    from facecli.io.npz import load_sample_npz

    s = load_sample_npz(p)
    arrays: dict[str, Any] = {}
    attrs = s.meta.get("array_attrs", {})
    for k, v in sorted(s.arrays.items()):
        arrays[k] = {"dtype": str(v.dtype), "ragged": False, "sample_shape": list(v.shape), **attrs.get(k, {})}
    return {
        "path": str(p),
        "format": "npz",
        "schema": s.meta.get("facecli_schema"),
        "kind": s.kind,
        "samples": 1,
        "incomplete": 0,
        "failures": 0,
        "arrays": arrays,
        "provenance": {k: s.meta.get(k) for k in ("producer", "argv", "params", "created")},
        "extra_attrs": {"id": s.id},
    }
