"""``facecli apex-detect``: the apex frame of micro-expression clips (CASME II, SAMM,
SMIC layouts, or any frame folders and videos)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from facecli.commands._common import (
    FaceBoxOpt,
    JsonOpt,
    OnError,
    OnErrorOpt,
    OutputOpt,
    ResumeOpt,
    ShardOpt,
    WorkersOpt,
    boundary,
    emit,
    finishing,
    get_state,
    log,
    output_file,
    progress,
)
from facecli.io.microexpr import ME_DATASETS

app = typer.Typer()

__all__ = ["app"]


class Method(str, Enum):
    residual = "residual"
    lbp = "lbp"
    flow = "flow"
    both = "both"


#: Layouts of --coding sheets: auto, or one of facecli.io.microexpr.ME_DATASETS.
Dataset = Enum("Dataset", {"auto": "auto", **{name: name for name in ME_DATASETS}}, type=str)  # type: ignore[misc]


@app.command("apex-detect")
@boundary
def apex_detect(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Clip folders (numbered frames), videos, a folder of clip folders, or - for paths on stdin; with "
            "--coding, the dataset root.",
            show_default=False,
        ),
    ],
    output: OutputOpt = Path("apex.h5"),
    coding: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--coding",
            help="Coding sheet(s) (.xlsx/.csv) of the dataset root: clips, onset and offset. Repeat for a composite.",
        ),
    ] = None,
    dataset: Annotated[
        Dataset, typer.Option("--dataset", help="Layout of the coding sheet (auto: from its name or columns).")
    ] = Dataset.auto,
    method: Annotated[
        Method,
        typer.Option(
            "--method",
            help="residual (default, the most accurate): head-stabilised residual images and an onset-apex-offset "
            "envelope fit; flow: per-cell optical flow; lbp: uniform-LBP histograms; both: flow and lbp averaged.",
        ),
    ] = Method.residual,
    face_box: FaceBoxOpt = "auto",
    cells: Annotated[int, typer.Option("--cells", min=1, help="ROI grid cells per side of the face box.")] = 8,
    smooth: Annotated[
        float, typer.Option("--smooth", min=0.0, help="Gaussian smoothing of the score, frames (flow, lbp, both).")
    ] = 3.0,
    components: Annotated[
        int,
        typer.Option(
            "--components",
            min=0,
            help="residual: free components for what the head's motion leaves after stabilising; the fit sums the "
            "costs of K-8, K-4, K, K+4 and K+8.",
        ),
    ] = 16,
    top_share: Annotated[
        float,
        typer.Option(
            "--top-share", min=0.01, max=1.0, help="Share of the most-changing cells pooled into the LBP score."
        ),
    ] = 0.25,
    csv: Annotated[
        Optional[Path],
        typer.Option("--csv", help="Spreadsheet copy (id, dataset, onset, apex, offset, method) [OUTPUT with .csv]."),
    ] = None,
    plot: Annotated[
        Optional[Path],
        typer.Option("--plot", help="Write one PNG per clip here: the score curve with the apex marked."),
    ] = None,
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Spot the apex frame of each clip.

    residual (default): every frame is warped onto the onset frame by the
    head's motion (a quadratic field fitted to optical flow), each pixel's
    change is weighted by how much it changes frame to frame, and an envelope
    rising from the onset to the apex and falling to the offset is fitted,
    with free components for what the head leaves. The apex is the
    envelope's peak. Without a coded onset and offset they are searched too
    (slower).

    flow, lbp, both: each frame's change from the onset per cell of a grid
    over the face, in noise units (flow: the intensity of the dominant motion
    pattern once the head's motion is removed; lbp: the chi-squared change of
    the cells that change most). The apex is the maximum of the smoothed
    score between onset and offset when a coding sheet gives them, else over
    the whole clip.

    OUTPUT (kind apex) holds per clip the apex frame number, its position,
    the onset/offset used, the frame numbers and the score curve; a CSV copy
    is written next to it.

    Examples:

      facecli apex-detect CASME2/ --coding CASME2-coding.xlsx -o apex.h5 --plot curves/

      facecli apex-detect SMIC/HS --coding SMIC-HS.xlsx -o smic_apex.h5 --face-box 60,40,400,460

      facecli apex-detect clip1/ clip2.mp4 -o apex.h5 && facecli evaluate apex apex.h5 --coding sheet.xlsx
    """
    from facecli.batch import run_batch
    from facecli.errors import UsageError
    from facecli.io.atomic import check_distinct
    from facecli.io.clips import resolve_clips
    from facecli.io.container import ContainerReader, ContainerWriter
    from facecli.io.inputs import apply_shard, parse_shard
    from facecli.io.microexpr import guess_dataset
    from facecli.microexpr.jobs import APEX_ATTRS, ApexJob, coded_items, write_apex_csv
    from facecli.microexpr.rois import parse_face_box
    from facecli.microexpr.spotting import SpotSettings

    state = get_state()
    settings = SpotSettings(method=method.value, cells=cells, top_share=top_share, smooth=smooth, components=components)
    datasets: dict[str, str] = {}
    coding_map: dict[str, tuple[int, int]] = {}
    keep = "keep" if on_error == OnError.skip else "error"
    if coding:
        if len(inputs) != 1 or not Path(inputs[0]).is_dir():
            raise UsageError(f"expected one dataset root with --coding, got {' '.join(inputs)}")
        sheets = [(s, guess_dataset(s) if dataset == Dataset.auto else dataset.value) for s in coding]
        items, coding_map, datasets = coded_items(Path(inputs[0]), sheets, missing=keep)
    else:
        items = resolve_clips(inputs, missing=keep)
    items = apply_shard(sorted(items), parse_shard(shard))
    output = output_file(output, "apex.h5", inputs=items, also=coding or [])
    csv_path = csv or output.with_suffix(".csv")
    check_distinct([csv_path], [output, *(coding or [])], what="--csv")
    if plot is not None:
        plot.mkdir(parents=True, exist_ok=True)
    job = ApexJob(
        settings=settings,
        box=parse_face_box(face_box),
        detect_face=face_box == "auto",
        coding=coding_map,
        plot_dir=plot,
    )
    params = {
        "method": method.value,
        "cells": cells,
        "smooth": smooth,
        "top_share": top_share,
        "components": components,
        "face_box": face_box,
        "coding": [str(c) for c in coding or []],
    }
    writer = ContainerWriter(
        output,
        "apex",
        producer="facecli apex-detect",
        argv=state.argv,
        params=params,
        resume=resume,
        array_attrs=APEX_ATTRS,
        ragged=("frames", "score"),
    )
    with finishing(writer):
        summary = run_batch(
            items,
            job,
            writer,
            on_error=on_error.value,
            workers=workers,
            progress=lambda it: progress(it, total=len(items), desc="apex"),
        )
    with ContainerReader(output, kind="apex") as r:
        ids = r.ids
        arrays = {k: r.read(k) for k in ("onset", "apex", "offset")}
    write_apex_csv(csv_path, ids, arrays, method.value, datasets)
    rate = summary.processed / summary.seconds if summary.seconds > 0 else 0.0
    log(
        f"apex of {summary.processed} of {len(items)} clips in {summary.seconds:.1f} s ({rate:.1f} clips/s; "
        f"{summary.skipped_existing} already done, {len(summary.failures)} failed) -> {output}, {csv_path}"
    )
    for sid, err in summary.failures.items():
        log(f"{sid}: {err}", level="warning")
    emit([output, csv_path], as_json=as_json, summary={"inputs": len(items), **summary.as_dict()})
