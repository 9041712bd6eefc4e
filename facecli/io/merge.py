"""Concatenate the shards of one batch run (``--shard K/N`` outputs) into one container."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facecli.errors import InputError, SchemaError
from facecli.io.container import ContainerReader, ContainerWriter
from facecli.typing import PathLike

#: Parameters that may differ between the shards of one run.
SHARD_PARAMS = frozenset({"shard", "workers", "resume", "on_error"})
#: Root attributes written by every container (the rest are the producer's extras, e.g. ``scales``).
_STANDARD_ROOT = frozenset({"facecli_schema", "kind", "producer", "argv", "params", "created"})


@dataclass
class MergeSummary:
    """What :func:`merge_containers` wrote.

    Attributes:
        output: the merged file.
        kind: its kind.
        samples: complete samples per part, in the order given.
        failures: failed samples carried over from the parts.
    """

    output: Path
    kind: str
    samples: dict[str, int] = field(default_factory=dict)
    failures: int = 0

    @property
    def total(self) -> int:
        return sum(self.samples.values())


def merge_containers(parts: Sequence[PathLike], output: PathLike) -> MergeSummary:
    """Write the complete samples of ``parts`` (in the order given) into ``output``.

    The parts must be shards of one run: the same kind, the same arrays (with the same
    per-sample shapes and units), the same parameters except :data:`SHARD_PARAMS`, and
    no sample id in two parts. Incomplete samples (a killed shard) are left out, as any
    reader does; failures recorded with ``--on-error skip`` are carried over.

    Args:
        parts: the shard files, each a facecli HDF5 container.
        output: the merged file (replaced if it exists; it may not be one of ``parts``).

    Returns:
        A :class:`MergeSummary`.

    Raises:
        InputError: no parts, a missing part, the output among the parts, or an id in two parts.
        SchemaError: parts of different kinds, arrays, parameters or root attributes.

    Example:
        >>> merge_containers(["reg_1.h5", "reg_2.h5"], "reg.h5").total  # doctest: +SKIP
        200
    """
    paths = [Path(p) for p in parts]
    out = Path(output)
    if not paths:
        raise InputError("nothing to merge: give the shard files")
    if any(p.resolve() == out.resolve() for p in paths if p.exists()):
        raise InputError(f"the merge output {out} is also one of the inputs; write it elsewhere")
    readers = [ContainerReader(p) for p in paths]
    try:
        first = readers[0]
        ref = _signature(first)
        owner: dict[str, Path] = {}
        for r in readers:
            sig = _signature(r)
            for what, a, b in (
                ("kind", ref["kind"], sig["kind"]),
                ("arrays", ref["arrays"], sig["arrays"]),
                ("parameters", ref["params"], sig["params"]),
                ("attributes", ref["extra"], sig["extra"]),
            ):
                if a != b:
                    raise SchemaError(
                        f"{r.path} is not a shard of the same run as {first.path}: its {what} differ "
                        f"(expected {_short(a)}, got {_short(b)})"
                    )
            for sid in r.ids:
                if sid in owner:
                    raise InputError(f"sample {sid!r} is in both {owner[sid]} and {r.path}; shards must not overlap")
                owner[sid] = r.path
        arrays: dict[str, dict[str, Any]] = ref["arrays"]
        params = {**first.params, "merged_from": [str(p) for p in paths]}
        params = {k: v for k, v in params.items() if k not in SHARD_PARAMS}
        summary = MergeSummary(output=out, kind=first.kind)
        with ContainerWriter(
            out,
            first.kind,
            producer=f"{first.attrs.get('producer', 'facecli')} (merged by facecli info --merge)",
            argv=list(first.attrs.get("argv") or []),
            params=params,
            ragged=[k for k, a in arrays.items() if a["ragged"]],
            array_attrs={
                k: {n: a[n] for n in ("units", "layout", "scheme", "description") if n in a} for k, a in arrays.items()
            },
        ) as w:
            for name, value in ref["extra"].items():
                w.set_root_attr(name, str(value))
            for r in readers:
                for i, sid in enumerate(r.ids):
                    w.write(sid, r.sample(i))
                for fail in r.failures():
                    w.add_failure(fail.get("id", "?"), fail.get("error", ""))
                    summary.failures += 1
                summary.samples[str(r.path)] = len(r)
        return summary
    finally:
        for r in readers:
            r.close()


def _signature(r: ContainerReader) -> dict[str, Any]:
    attrs = r.attrs
    return {
        "kind": r.kind,
        "arrays": {k: r.array_info(k) for k in r.keys()},
        "params": {k: v for k, v in r.params.items() if k not in SHARD_PARAMS},
        "extra": {k: v for k, v in attrs.items() if k not in _STANDARD_ROOT},
    }


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["MergeSummary", "SHARD_PARAMS", "merge_containers"]
