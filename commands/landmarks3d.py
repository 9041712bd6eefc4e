"""``facecli landmarks3d``: 68 landmarks on 3D face meshes with 2S-SGCN (stratified GCN
heatmaps over sampled points, then geodesic refinement onto the mesh)."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from facecli.commands._common import (
    InputsArg,
    JsonOpt,
    OnError,
    OnErrorOpt,
    Orient,
    OutputOpt,
    PatternOpt,
    ResumeOpt,
    ShardOpt,
    Units,
    WorkersOpt,
    boundary,
    emit,
    get_state,
    log,
    log_capped,
    log_scaled_units,
    output_file,
    progress,
    run_into_container,
)
from facecli.landmarks3d.training import SGCNTrainOptions

app = typer.Typer(
    no_args_is_help=True,
    help="68 facial landmarks on 3D meshes (2S-SGCN: stratified graph convolution over 32,768 sampled "
    "points, heatmaps decoded from the top-7 points, then moved onto the mesh by geodesic distances).",
)

__all__ = ["app"]


class Frame(str, Enum):
    nose = "nose"
    extent = "extent"


class Metric(str, Enum):
    geodesic = "geodesic"
    euclidean = "euclidean"


def _crop(value: str) -> float | None:
    if value.strip().lower() in ("none", "off", ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise typer.BadParameter(f"expected a number of mm or 'none', got {value!r}") from None


CropOpt = Annotated[
    str,
    typer.Option(
        "--crop-z", help="Drop triangles behind this z (mm, FaceScape frame: +Z to the viewer); 'none' keeps all."
    ),
]


@app.command("train")
@boundary
def train(
    root: Annotated[
        Path, typer.Argument(help="A FaceScape-layout root: <id>/<k>_<expr>.obj and landmark_indices.npz (key v10).")
    ],
    output: OutputOpt = Path("sgcn.pt"),
    points: Annotated[
        int, typer.Option("--points", min=256, help="Points sampled per mesh.")
    ] = SGCNTrainOptions.points,
    k: Annotated[
        int, typer.Option("--k", min=2, help="Neighbours per point in the local graph (itself included).")
    ] = SGCNTrainOptions.k,
    hidden: Annotated[int, typer.Option("--hidden", min=4, help="Channels per GCN layer.")] = SGCNTrainOptions.hidden,
    depth: Annotated[
        int, typer.Option("--depth", min=1, help="Stratified layers (local + global GCN each).")
    ] = SGCNTrainOptions.depth,
    sigma: Annotated[
        float,
        typer.Option(
            "--sigma", min=1e-4, help="Heatmap Gaussian sigma, normalised units (largest centred coordinate = 1)."
        ),
    ] = SGCNTrainOptions.sigma,
    sigma_start: Annotated[
        Optional[float],
        typer.Option(
            "--sigma-start", help="Start from this wider sigma and shrink it to --sigma over the first 60% of epochs."
        ),
    ] = SGCNTrainOptions.sigma_start,
    crop_z: CropOpt = format(SGCNTrainOptions.crop_z, "g"),
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, help="Fixed budget; the last epoch's model is kept.")
    ] = SGCNTrainOptions.epochs,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Meshes per step (per process under torchrun).")
    ] = SGCNTrainOptions.batch_size,
    lr: Annotated[float, typer.Option("--lr", help="AdamW peak learning rate (cosine decay).")] = SGCNTrainOptions.lr,
    val_fraction: Annotated[
        float,
        typer.Option(
            "--val-fraction",
            min=0.0,
            max=0.9,
            help="Subjects held out and reported (mean stage-one error, mm; never used to pick the model).",
        ),
    ] = SGCNTrainOptions.val_fraction,
    limit: Annotated[
        Optional[int], typer.Option("--limit", min=1, help="Use at most this many meshes (in sorted order).")
    ] = SGCNTrainOptions.limit,
    frame: Annotated[
        Frame,
        typer.Option(
            "--frame",
            help="Input frame: nose (centred on the nose tip, 100 mm = 1: the face keeps its place whatever the "
            "scan holds around it) or extent (centroid, largest coordinate = 1: the source system's).",
        ),
    ] = Frame(SGCNTrainOptions.frame),
    scan_like: Annotated[
        float,
        typer.Option(
            "--scan-like",
            min=0.0,
            max=1.0,
            help="Share of the training meshes made to look like cut-out head scans (a neck, a skull cap, holes, "
            "noise, a turn, a random face box); with --crop-z none every mesh is cut to its face box as predict does.",
        ),
    ] = SGCNTrainOptions.scan_like,
    origin_jitter: Annotated[
        float,
        typer.Option(
            "--origin-jitter",
            min=0.0,
            help="Shift each training mesh's frame origin at random by this sigma in mm (per axis, clipped at 2 "
            "sigma): the nose tip found on a real scan can sit mm away from where it sits on synthetic faces.",
        ),
    ] = SGCNTrainOptions.origin_jitter,
    scan_views: Annotated[
        float,
        typer.Option(
            "--scan-views",
            min=0.0,
            max=1.0,
            help="Of the scan-like meshes, the share seen from one side only (the triangles a depth camera at "
            "yaw within 60 deg, pitch within 20 deg sees).",
        ),
    ] = SGCNTrainOptions.scan_views,
    scan_remesh: Annotated[
        float,
        typer.Option(
            "--scan-remesh",
            min=0.0,
            max=1.0,
            help="Of the scan-like meshes, the share remeshed at another resolution (quadric decimation to "
            "10-60 % of the triangles).",
        ),
    ] = SGCNTrainOptions.scan_remesh,
    init: Annotated[
        Optional[Path],
        typer.Option("--init", help="Start from this model file's weights (fine-tuning; same layers)."),
    ] = SGCNTrainOptions.init,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUTPUT.ckpt (finished epochs are kept).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train 2S-SGCN stage one on meshes with ground-truth landmark indices.

    The validation subjects are split by subject, never by mesh. A checkpoint is
    written after every epoch (OUTPUT.ckpt); --resume continues it. Runs unchanged
    under torchrun (DDP, gloo on CPU).

    Example (the shipped default model):

      facecli --seed 0 synth faces3d -o faces --subjects 60 --expressions 8

      facecli --seed 0 landmarks3d train faces -o sgcn.pt
    """
    from facecli.landmarks3d.training import SGCNTrainOptions, train_sgcn

    state = get_state()
    output = output_file(output, "sgcn.pt", also=[root, init])
    opts = SGCNTrainOptions(
        points=points,
        k=k,
        hidden=hidden,
        depth=depth,
        sigma=sigma,
        sigma_start=sigma_start,
        crop_z=_crop(crop_z),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        val_fraction=val_fraction,
        limit=limit,
        frame=frame.value,
        scan_like=scan_like,
        origin_jitter=origin_jitter,
        scan_views=scan_views,
        scan_remesh=scan_remesh,
        init=str(init) if init else None,
    )
    meta = train_sgcn(
        root,
        output,
        opts,
        seed=state.seed,
        device=state.device,
        resume=resume,
        argv=state.argv,
        log=log,
        progress=progress,
    )
    if int(os.environ.get("RANK", "0")) != 0:
        return
    log(f"wrote {output} (held-out mean stage-one error: {meta.get('val_err_mm')} mm)")
    emit(
        [output],
        as_json=as_json,
        summary={"val_err_mm": meta.get("val_err_mm"), "epochs": epochs, "trained_on": meta.get("trained_on")},
    )


@app.command("predict")
@boundary
def predict(
    inputs: InputsArg,
    output: OutputOpt = Path("landmarks3d.h5"),
    model: Annotated[
        Optional[Path],
        typer.Option(
            "--model", help="A model from 'landmarks3d train' (default: the shipped model, trained on synthetic faces)."
        ),
    ] = None,
    refine: Annotated[
        bool,
        typer.Option("--refine/--no-refine", help="Stage two: move each landmark onto the mesh by geodesic distances."),
    ] = True,
    metric: Annotated[
        Metric,
        typer.Option("--metric", help="Stage-two distance: geodesic (heat method) or euclidean (the released code's)."),
    ] = Metric.geodesic,
    radius: Annotated[
        float,
        typer.Option(
            "--radius",
            min=0.1,
            help="Stage-two search radius around the stage-one point, in heatmap sigmas (about 3 mm each).",
        ),
    ] = 2.0,
    crop_z: Annotated[
        Optional[str],
        typer.Option(
            "--crop-z", help="Override the model's crop: drop triangles behind this z (mm); 'none' keeps all."
        ),
    ] = None,
    units: Annotated[
        Units,
        typer.Option(
            "--units",
            help="Units of the meshes: auto reads them from the size (a box diagonal under 5: metres, under 100: "
            "centimetres, else millimetres) and says so on stderr; landmarks are written in mm.",
        ),
    ] = Units.auto,
    face_crop: Annotated[
        bool,
        typer.Option(
            "--face-crop/--no-face-crop",
            help="Keep only the face about the nose tip (the most forward point, +Z) before sampling: a box of "
            "±90 mm across, 110 mm below, 120 mm above and 150 mm behind it, the region the training faces fill; "
            "a head scan loses its neck, shoulders and the back of its head.",
        ),
    ] = True,
    min_confidence: Annotated[
        float,
        typer.Option(
            "--min-confidence",
            min=0.0,
            max=1.0,
            help="Fail a mesh whose mean landmark confidence is below this (with --on-error skip: list it and go "
            "on). Meshes under 0.6 are warned about either way.",
        ),
    ] = 0.0,
    orient: Annotated[
        Orient,
        typer.Option(
            "--orient",
            help="auto: find which way the face looks (the face detector on renders of the mesh from many "
            "directions; one render when the face is upright and forward as given) and turn a mesh whose face is "
            "posed more than 15 deg from +Y up, +Z forward before the model sees it; landmarks stay in the mesh's "
            "frame. given: trust the mesh's frame.",
        ),
    ] = Orient.auto,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            min=1,
            max=64,
            help="Point samples per mesh, averaged (test-time averaging); time grows with it. 8 samples: the real "
            "head scan of benchmarks/landmarks3d_real 5.66 -> 5.46 mm, 120 synthetic faces 1.913 -> 1.890 mm, "
            "7.5x the time per mesh.",
        ),
    ] = 1,
    pts: Annotated[
        Optional[Path], typer.Option("--pts", help="Also write <id>.pts here: x y z (mm) and vertex per landmark.")
    ] = None,
    preview: Annotated[
        Optional[Path],
        typer.Option("--preview", help="Write <id>.png here: the shaded mesh with its landmarks, front and profile."),
    ] = None,
    pattern: PatternOpt = "*.obj,*.ply,*.off,*.stl",
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """68 landmarks per mesh (millimetres, FaceScape frame: +Y up, +Z to the viewer).

    OUTPUT (kind landmarks3d) holds per mesh: landmarks (68, 3) mm, vertex (the
    mesh vertex of each landmark), confidence (peak heatmap value), stage_one (the
    estimate before refinement) and seconds (load, sample, network, refine). Meshes
    may have any vertex count; without --model the shipped model (trained on
    synthetic faces only) is used.

    Examples:

      facecli landmarks3d predict scans/ -o lm.h5 --preview previews/ --pts pts/

      find scans -name '*.obj' | facecli landmarks3d predict - -o lm.h5 && facecli evaluate landmarks3d lm.h5 --gt scans
    """
    from facecli.errors import InputError
    from facecli.io.container import ContainerWriter
    from facecli.io.inputs import parse_shard, resolve_inputs
    from facecli.landmarks3d.jobs import LANDMARK_ATTRS, LandmarksJob
    from facecli.landmarks3d.predictor import DEFAULT_SGCN
    from facecli.train.distributed import resolve_device

    state = get_state()
    if model is not None and not model.exists():
        raise InputError(f"no such model file: {model}")
    items = resolve_inputs(
        inputs, pattern=pattern, shard=parse_shard(shard), missing="keep" if on_error == OnError.skip else "error"
    )
    output = output_file(output, "landmarks3d.h5", inputs=items, also=[model])
    for d in (preview, pts):
        if d is not None:
            d.mkdir(parents=True, exist_ok=True)
    job = LandmarksJob(
        model=str(model) if model else None,
        device=resolve_device(state.device),
        seed=state.seed,
        refine=refine,
        metric=metric.value,
        radius=radius,
        # the face crop cuts about the nose tip, wherever the scan's origin is: no absolute z crop then
        crop_z=(None if face_crop else "model") if crop_z is None else _crop(crop_z),
        units=units.value,
        face_crop=face_crop,
        min_confidence=min_confidence,
        samples=samples,
        orient=orient.value,
        preview_dir=preview,
        pts_dir=pts,
    )
    if model is None:
        log(f"model: {DEFAULT_SGCN.name} (shipped; trained on synthetic faces only)")
    params = {
        "model": str(model) if model else "default (synthetic)",
        "refine": refine,
        "metric": metric.value,
        "radius": radius,
        "crop_z": crop_z,
        "units": units.value,
        "face_crop": face_crop,
        "min_confidence": min_confidence,
        "samples": samples,
        "orient": orient.value,
        "seed": state.seed,
    }
    writer = ContainerWriter(
        output,
        "landmarks3d",
        producer="facecli landmarks3d predict",
        argv=state.argv,
        params=params,
        resume=resume,
        array_attrs=LANDMARK_ATTRS,
    )
    summary = run_into_container(
        items,
        job,
        writer,
        on_error=on_error,
        workers=workers,
        desc="landmarks3d",
        what="landmarks",
        unit="meshes",
        output=output,
    )
    low = report_meshes(output)
    emit([output], as_json=as_json, summary={"inputs": len(items), "low_confidence": low, **summary.as_dict()})


#: Meshes whose mean confidence is below this are warned about (synthetic test faces: 0.63-0.71;
#: 200 synthetic failure cases all below it: benchmarks/landmarks3d/confidence.py).
WARN_CONFIDENCE = 0.6


def report_meshes(output: Path) -> int:
    """Say which meshes were scaled to mm, and warn about those of low confidence; returns their count."""
    import numpy as np

    from facecli.io.container import ContainerReader

    reader = ContainerReader(output, kind="landmarks3d")
    if not reader.ids or "input_units" not in reader.keys():
        return 0
    log_scaled_units([str(u) for u in reader.read("input_units").astype(str)], "mesh")
    if "turn" in reader.keys():
        turned = sum(not np.allclose(t, np.eye(3)) for t in reader.read("turn"))
        if turned:
            log(
                f"{turned} mesh{'es' if turned > 1 else ''} turned upright for the model: the face looked away from "
                "+Z or was not upright (landmarks are in the mesh's own frame; --orient given to keep the frame)"
            )
    conf = np.asarray([np.mean(c) for c in reader.read("confidence")])
    low = [
        f"{sid}: mean confidence {c:.2f} < {WARN_CONFIDENCE}: the landmarks are likely off"
        for sid, c in zip(reader.ids, conf)
        if c < WARN_CONFIDENCE
    ]
    log_capped(low, limit=20, more="meshes of low confidence", level="warning")
    return len(low)
