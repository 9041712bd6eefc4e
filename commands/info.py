"""``facecli info``: describe any facecli file."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from facecli.commands._common import JsonOpt, boundary, emit

app = typer.Typer()


@app.command("info")
@boundary
def info(
    files: Annotated[list[str], typer.Argument(help="facecli HDF5/NPZ files, or - to read paths from stdin.")],
    as_json: JsonOpt = False,
) -> None:
    """Describe facecli files: kind, arrays (shape, dtype, units), complete samples, provenance.

    Example: ``facecli synth faces3d -o faces --subjects 2 | facecli info -``
    """
    from facecli.io.describe import describe_file

    paths = _paths(files)
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
