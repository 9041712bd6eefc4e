"""``facecli info``: describe any facecli file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from facecli.commands._common import JsonOpt, boundary, emit

app = typer.Typer()


@app.command("info")
@boundary
def info(
    files: Annotated[list[str], typer.Argument(help="facecli HDF5/NPZ files, or - to read paths from stdin.")],
    merge: Annotated[
        Optional[Path],
        typer.Option(
            "--merge",
            metavar="OUT.h5",
            help="Concatenate the files (the --shard K/N outputs of one run: same kind and parameters, no shared ids) "
            "into OUT.h5, print its path, and describe it on stderr.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Describe facecli files: kind, arrays (shape, dtype, units), complete samples, provenance.

    With --merge, first join the shards of one batch run into one file (incomplete samples of a
    killed shard are left out; a shard's failures are carried over).

    Examples: ``facecli synth faces3d -o faces --subjects 2 | facecli info -``;
    ``facecli info --merge reg.h5 reg_*.h5``
    """
    from facecli.io.describe import describe_file

    paths = _paths(files)
    if merge is not None:
        from facecli.commands._common import log
        from facecli.io.merge import merge_containers

        summ = merge_containers(paths, merge)
        log(
            f"merged {summ.total} samples of kind {summ.kind} from {len(paths)} files "
            f"({summ.failures} recorded failures) -> {merge}"
        )
        rep = describe_file(str(merge))
        if not as_json:
            sys.stderr.write(_render(rep))
        emit([merge], as_json=as_json, summary={"merged": summ.samples, "failures": summ.failures, "files": [rep]})
        return
    reports = [describe_file(p) for p in paths]
    if as_json:
        emit([], as_json=True, summary={"files": reports})
        return
    for rep in reports:
        sys.stdout.write(_render(rep))
    sys.stdout.flush()


def _paths(files: list[str]) -> list[str]:
    out: list[str] = []
    for f in files:
        if f == "-":
            out.extend(ln.strip() for ln in sys.stdin.read().splitlines() if ln.strip())
        else:
            out.append(f)
    if not out:
        from facecli.errors import InputError

        raise InputError("no files given (paths, or - to read them from stdin)")
    return out


def _render(rep: dict[str, Any]) -> str:
    lines = [
        f"{rep['path']}",
        f"  format     {rep['format']} ({rep['schema']})",
        f"  kind       {rep['kind']}",
        f"  samples    {rep['samples']} complete"
        + (f", {rep['incomplete']} incomplete (ignored)" if rep["incomplete"] else "")
        + (f", {rep['failures']} failed" if rep["failures"] else ""),
        "  arrays",
    ]
    for name, a in rep["arrays"].items():
        shape = "ragged" if a.get("ragged") else "(" + ", ".join(["N"] + [str(s) for s in a["sample_shape"]]) + ")"
        if rep["format"] == "npz":
            shape = "(" + ", ".join(str(s) for s in a["sample_shape"]) + ")"
        extra = " ".join(f"{k}={a[k]}" for k in ("units", "layout", "scheme") if k in a)
        lines.append(f"    {name:<20} {a['dtype']:<9} {shape:<22} {extra}".rstrip())
    prov = rep["provenance"]
    lines.append(f"  producer   {prov.get('producer')}")
    lines.append(f"  created    {prov.get('created')}")
    if prov.get("argv"):
        lines.append(f"  argv       {' '.join(map(str, prov['argv']))}")
    if prov.get("params"):
        lines.append(f"  params     {json.dumps(prov['params'], sort_keys=True)}")
    for k, v in rep.get("extra_attrs", {}).items():
        lines.append(f"  {k:<10} {v}")
    return "\n".join(lines) + "\n"


__all__ = ["app", "info"]
