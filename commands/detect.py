"""``facecli detect``: face boxes, scores and five keypoints for every face in images (MTCNN)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from facecli.commands._common import (
    IMAGE_PATTERN,
    InputsArg,
    JsonOpt,
    OnError,
    OnErrorOpt,
    OutputOpt,
    PatternOpt,
    ResumeOpt,
    ShardOpt,
    WorkersOpt,
    boundary,
    emit,
    get_state,
    log,
    output_file,
    run_into_container,
)
from facecli.detection.predictor import DetectorConfig

app = typer.Typer()

__all__ = ["app"]


@app.command("detect")
@boundary
def detect(
    inputs: InputsArg,
    output: OutputOpt = Path("faces.h5"),
    csv_path: Annotated[
        Optional[Path],
        typer.Option(
            "--csv",
            help="Also write image,x0,y0,x1,y1,score per face (best first; - for stdout): the --boxes file of "
            "align predict and normals.",
        ),
    ] = None,
    min_face: Annotated[
        float,
        typer.Option("--min-face", min=12.0, help="Smallest face side to look for, pixels (smaller is slower)."),
    ] = DetectorConfig.min_face,
    threshold: Annotated[
        float,
        typer.Option("--threshold", min=0.0, max=1.0, help="Least face score of the last stage (O-Net) to keep."),
    ] = 0.7,
    max_side: Annotated[
        int,
        typer.Option(
            "--max-side",
            min=0,
            help="Search larger images at this longest side (boxes are mapped back; 0: full size).",
        ),
    ] = 1600,
    preview: Annotated[
        Optional[Path],
        typer.Option("--preview", help="Write <id>.png here: the image with boxes, scores and keypoints."),
    ] = None,
    aligned: Annotated[
        Optional[Path],
        typer.Option(
            "--aligned",
            help="Also write every face here, aligned to a fixed five-point template by a similarity "
            "(the input tree kept: Name/Name_0001.png, #1 for a second face): the input recognition wants.",
        ),
    ] = None,
    aligned_size: Annotated[int, typer.Option("--aligned-size", min=16, help="Side of the aligned faces, px.")] = 112,
    pattern: PatternOpt = IMAGE_PATTERN,
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Every face in each image: box, score and five keypoints (MTCNN, Zhang et al. 2016).

    The detector is MTCNN's three-stage cascade with the trained weights of the 'mtcnn'
    package (MIT; installed with facecli, nothing downloads). OUTPUT (kind faces) holds one
    sample per image: boxes (K, 4) x0, y0, x1, y1 pixels, scores (K,), keypoints (K, 5, 2)
    (eyes, nose tip, mouth corners), best first; K is 0 where no face was found. Given as
    --boxes to another command, an image's faces become samples id, id#1, id#2...

    Examples:

      facecli detect photos/ -o faces.h5 --csv faces.csv --preview previews/

      facecli detect photos/ --csv - | sort -t, -k6 -r | head

      facecli detect lfw/ --aligned lfw_aligned/ && facecli normals lfw_aligned/ --boxes image

      facecli align predict photos/ --boxes faces.h5 -o lm.h5
    """
    from facecli.detection.jobs import FACES_ATTRS, FACES_RAGGED, DetectJob, faces_csv_rows
    from facecli.detection.predictor import DetectorConfig
    from facecli.io.container import ContainerReader, ContainerWriter
    from facecli.io.inputs import parse_shard, resolve_inputs
    from facecli.train.distributed import resolve_device

    state = get_state()
    items = resolve_inputs(
        inputs, pattern=pattern, shard=parse_shard(shard), missing="keep" if on_error == OnError.skip else "error"
    )
    output = output_file(output, "faces.h5", inputs=items)
    config = DetectorConfig(min_face=min_face, thresholds=(0.6, 0.7, threshold), max_side=max_side)
    for folder in (preview, aligned):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    job = DetectJob(
        config=config,
        device=resolve_device(state.device),
        preview_dir=preview,
        aligned_dir=aligned,
        aligned_size=aligned_size,
    )
    params = {"detector": "mtcnn", "min_face": min_face, "threshold": threshold, "max_side": max_side}
    if aligned is not None:
        params["aligned_size"] = aligned_size
    writer = ContainerWriter(
        output,
        "faces",
        producer="facecli detect",
        argv=state.argv,
        params=params,
        resume=resume,
        ragged=FACES_RAGGED,
        array_attrs=FACES_ATTRS,
    )
    summary = run_into_container(
        items,
        job,
        writer,
        on_error=on_error,
        workers=workers,
        desc="detect",
        what="faces",
        unit="images",
        output=output,
    )
    with ContainerReader(output, kind="faces") as reader:
        ids, boxes, scores = reader.ids, list(reader.read("boxes")), list(reader.read("scores"))
    n_faces = sum(len(s) for s in scores)
    empty = [i for i, s in zip(ids, scores) if len(s) == 0]
    log(f"{n_faces} faces in {len(ids)} images" + (f"; no face in {len(empty)} (e.g. {empty[0]})" if empty else ""))
    if csv_path is not None:
        rows = faces_csv_rows(ids, boxes, scores)
        if str(csv_path) == "-":
            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow(["image", "x0", "y0", "x1", "y1", "score"])
            w.writerows(rows)
            sys.stdout.flush()
            return
        from facecli.io.atomic import write_text

        lines = ["image,x0,y0,x1,y1,score", *(",".join(r) for r in rows)]
        write_text(csv_path, "\n".join(lines) + "\n")
    emit(
        [output] + ([csv_path] if csv_path is not None else []),
        as_json=as_json,
        summary={"images": len(ids), "faces": n_faces, "no_face": len(empty), **summary.as_dict()},
    )
