"""``facecli align``: 2D facial landmarks on images with MuSiCa (selective cascaded
regression with early exit)."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from facecli.commands._common import (
    IMAGE_PATTERN,
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
    progress,
    run_into_container,
)
from facecli.landmarks2d.training import AlignTrainOptions

app = typer.Typer(
    no_args_is_help=True,
    help="2D facial landmarks on images (MuSiCa: a 3-level coarse-to-fine cascade, in the shipped model followed by "
    "3 more full-resolution iterations, over 14x14 patches at "
    "every second landmark, with patch attention and early exit on its own predicted error).",
)

__all__ = ["app"]


class Format(str, Enum):
    auto = "auto"
    wflw = "wflw"
    w300 = "300w"


@app.command("train")
@boundary
def train(
    root: Annotated[
        Path,
        typer.Argument(
            help="A WFLW root (WFLW_images/ + WFLW_annotations/) or a 300W root (afw, helen, lfpw, ibug with .pts)."
        ),
    ],
    output: OutputOpt = Path("musica.pt"),
    fmt: Annotated[
        Format, typer.Option("--format", help="Dataset layout (auto: WFLW if its annotation folder is there).")
    ] = Format.auto,
    split: Annotated[str, typer.Option("--split", help="Faces to train on: train, test or all.")] = "train",
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, help="Fixed budget; the last epoch's model is kept.")
    ] = AlignTrainOptions.epochs,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Faces per step (per process under torchrun).")
    ] = AlignTrainOptions.batch_size,
    lr: Annotated[float, typer.Option("--lr", help="AdamW peak learning rate (cosine decay).")] = AlignTrainOptions.lr,
    crop: Annotated[
        int, typer.Option("--crop", min=32, help="Face crop side, px (142 in the source).")
    ] = AlignTrainOptions.crop,
    margin: Annotated[
        float, typer.Option("--margin", min=0.0, help="The crop covers (1 + margin) x the box's larger side.")
    ] = AlignTrainOptions.margin,
    bottleneck: Annotated[
        int, typer.Option("--bottleneck", min=1, help="Per-patch projection before the FC-512 (the model-size knob).")
    ] = AlignTrainOptions.bottleneck,
    extra_fine: Annotated[
        int,
        typer.Option(
            "--extra-fine",
            min=0,
            help="Iterations added at the finest pyramid level after the coarse-to-fine sweep (0: the source's "
            "3-iteration cascade); gives early exit a full-resolution exit point.",
        ),
    ] = AlignTrainOptions.extra_fine,
    rotate: Annotated[float, typer.Option("--rotate", min=0.0, help="Rotation augmentation, +- degrees.")] = 15.0,
    flip: Annotated[
        bool, typer.Option("--flip/--no-flip", help="Mirror augmentation (the landmark order is mirrored too).")
    ] = AlignTrainOptions.flip,
    val_fraction: Annotated[
        float,
        typer.Option(
            "--val-fraction",
            min=0.0,
            max=0.9,
            help="Faces held out and reported each epoch (NME; never used to pick the model).",
        ),
    ] = AlignTrainOptions.val_fraction,
    limit: Annotated[
        Optional[int], typer.Option("--limit", min=1, help="Use at most this many faces.")
    ] = AlignTrainOptions.limit,
    half: Annotated[
        bool,
        typer.Option(
            "--half/--no-half",
            help="Store the weights as float16: half the file; loading casts them back to float32 (on the synthetic "
            "test set the NME moved by < 0.001 points).",
        ),
    ] = False,
    five_point: Annotated[
        Optional[Path],
        typer.Option(
            "--five-point",
            help="Also train on the faces of this CSV (image,lex,ley,rex,rey,nx,ny,lmx,lmy,rmx,rmy; e.g. real "
            "photos with MTFL's five labels), through the five points each predicted shape implies.",
        ),
    ] = AlignTrainOptions.five_point,
    five_point_weight: Annotated[
        float,
        typer.Option(
            "--five-point-weight",
            min=0.0,
            help="Weight of a five-point face's loss against a fully labelled face's (lower keeps more of the "
            "full-landmark accuracy when fine-tuning on real five-point photos).",
        ),
    ] = AlignTrainOptions.five_point_weight,
    photo_aug: Annotated[
        float,
        typer.Option(
            "--photo-aug",
            min=0.0,
            max=1.0,
            help="Share of the training crops given a random photo degradation (tone curve, low resolution or "
            "blur, sensor noise, JPEG), so synthetic renders look more like web photos.",
        ),
    ] = AlignTrainOptions.photo_aug,
    init: Annotated[
        Optional[Path],
        typer.Option("--init", help="Start from this model file (fine-tuning; its crop, size and mean shape)."),
    ] = AlignTrainOptions.init,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUTPUT.ckpt (finished epochs are kept).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train MuSiCa on annotated faces.

    Augmentation: scale and shift +-10 % of the box, rotation, mirror (and, with
    --photo-aug, camera and JPEG degradations). A checkpoint
    is written after every epoch (OUTPUT.ckpt); --resume continues it. Runs
    unchanged under torchrun (DDP, gloo on CPU).

    Example (the shipped default model):

      facecli --seed 0 synth images -o wflw_synth --count 2400 --size 160

      facecli --seed 0 align train wflw_synth --split all -o musica.pt --epochs 20 --extra-fine 3 --half
    """
    from facecli.errors import InputError
    from facecli.landmarks2d.training import AlignTrainOptions, train_musica

    state = get_state()
    for f in (five_point, init):
        if f is not None and not f.exists():
            raise InputError(f"no such file: {f}")
    output = output_file(output, "musica.pt", also=[root, five_point, init])
    opts = AlignTrainOptions(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        crop=crop,
        margin=margin,
        bottleneck=bottleneck,
        extra_fine=extra_fine,
        rotate_aug=rotate,
        flip=flip,
        val_fraction=val_fraction,
        limit=limit,
        half_weights=half,
        five_point=str(five_point) if five_point else None,
        five_point_weight=five_point_weight,
        photo_aug=photo_aug,
        init=str(init) if init else None,
    )
    meta = train_musica(
        root,
        output,
        opts,
        fmt=fmt.value,
        split=split,
        seed=state.seed,
        device=state.device,
        resume=resume,
        argv=state.argv,
        log=log,
        progress=progress,
    )
    if int(os.environ.get("RANK", "0")) != 0:
        return
    log(f"wrote {output} (held-out NME: {meta.get('val_nme_pct')} %)")
    emit(
        [output],
        as_json=as_json,
        summary={"val_nme_pct": meta.get("val_nme_pct"), "epochs": epochs, "trained_on": meta.get("trained_on")},
    )


def _face_boxes(
    items: list[Any], boxes: str, box_file: Path | None, dataset: bool, box_map: dict[str, Any], device: str
) -> tuple[list[Any], dict[str, Any], dict[str, Any], str, list[str]]:
    """The face box (or the detector's five points) of every sample.

    A dataset's annotated boxes, replaced face by face by a --boxes file; or the faces of a
    --boxes file, or of the detector (--boxes auto), one sample per face.

    Returns:
        ``(items, boxes, keypoints, source, no_face)``: the samples (one per face), sample id →
        box, sample id → five points (detector), where the boxes came from, and the images
        without a face (failures).
    """
    from facecli.io.boxes import expand_faces, face_id, read_face_boxes

    keypoints: dict[str, Any] = {}
    no_face: list[str] = []
    source = "annotation" if dataset else "boxes-file"
    if box_file is not None and dataset:  # the file's boxes replace the annotation's, face by face (ids as listed)
        box_map.update({k: v[-1] for k, v in read_face_boxes(box_file).items()})
    elif not dataset and boxes != "image":
        n_images = len(items)
        if box_file is not None:
            found = read_face_boxes(box_file)
            empty = {k for k, v in found.items() if not v}  # a faces.h5's images without a face
            no_face = [i.id for i in items if i.id in empty or (i.id not in found and i.path.name in empty)]
        else:
            from facecli.detection.jobs import DetectJob, detect_faces

            found, points, no_face = detect_faces(
                items, DetectJob(device=device), progress=lambda it: progress(it, total=len(items), desc="detect")
            )
            keypoints = {face_id(i, k): p for i, pts in points.items() for k, p in enumerate(pts)}
            source = "detector"
        items = [i for i in items if i.id not in set(no_face)]
        items, from_file = expand_faces(items, found)
        box_map.update(from_file)
        if len(items) > n_images - len(no_face):
            log(
                f"images with several faces: one sample per face ({len(items)} faces in "
                f"{n_images - len(no_face)} images; ids end in #k)"
            )
        if no_face:
            log(
                f"no face found in {len(no_face)} of {n_images} images (e.g. {no_face[0]}): listed as "
                "failures; give their boxes with --boxes FILE or take the whole image with --boxes image",
                level="warning",
            )
    return items, box_map, keypoints, source, no_face


def _output_scheme(model: Path | None, scheme: str | None) -> str:
    """The landmark scheme written: --scheme, else the model's own; refused if the model cannot give it."""
    import numpy as np

    from facecli.errors import UsageError
    from facecli.landmarks2d.predictor import Aligner
    from facecli.schemes import SCHEMES, convert, scheme_for

    native = scheme_for(Aligner(model, device="cpu").n_landmarks).name
    if scheme is not None:
        try:
            convert(np.zeros((SCHEMES[native].points, 2)), scheme)
        except Exception as exc:  # a 68-point model asked for 98 points
            raise UsageError(f"--scheme {scheme}: the model gives {native} landmarks; {exc}") from None
    return scheme or native


@app.command("predict")
@boundary
def predict(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Images, folders of images, globs, or - (paths on stdin); with --dataset, one WFLW/300W root.",
            show_default=False,
        ),
    ],
    output: OutputOpt = Path("landmarks2d.h5"),
    model: Annotated[
        Optional[Path],
        typer.Option(
            "--model",
            help="A model from 'align train' (default: the shipped model, trained on synthetic WFLW-layout images "
            "and on real LFW faces with MTFL's five points).",
        ),
    ] = None,
    boxes: Annotated[
        str,
        typer.Option(
            "--boxes",
            help="Where face boxes come from: auto (facecli detect's MTCNN: every face, one sample each, ids image, "
            "image#1...), image (the whole image is the face), or a file: a faces.h5 from 'facecli detect' or a CSV "
            "image,x0,y0,x1,y1 per face. With --dataset the annotation's boxes are used unless a file is given.",
        ),
    ] = "auto",
    dataset: Annotated[
        bool,
        typer.Option(
            "--dataset", help="INPUTS is a WFLW/300W root: predict every annotated face, boxed by its annotation."
        ),
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Dataset layout with --dataset.")] = Format.auto,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help="Faces of the dataset with --dataset: train, test or all (300W also common, challenging, full).",
        ),
    ] = "test",
    scheme: Annotated[
        Optional[str],
        typer.Option(
            "--scheme",
            help="Write the landmarks in this scheme: ibug68 (a 98-point model's points through the standard "
            "WFLW-98 -> iBUG-68 subset), five (eye centres, nose tip, mouth corners), or wflw98 (default: the "
            "model's own).",
        ),
    ] = None,
    exit_threshold: Annotated[
        float,
        typer.Option(
            "--exit-threshold",
            min=0.0,
            help="Early exit: a face leaves the cascade once its predicted NME is below this (0: full cascade; "
            "0.018 lets 23 % of unseen synthetic faces leave early at +0.07 NME points with the shipped model; its "
            "predicted NME on real faces is ~3x too high, so they run the full cascade).",
        ),
    ] = 0.0,
    flip: Annotated[
        bool,
        typer.Option(
            "--flip",
            help="Also run each face mirrored and average the two shapes (test-time averaging, 1.6x the time): "
            "on the 1,439 real MTFL-LFW test faces the five-point NME goes 0.0310 -> 0.0303 with the shipped model "
            "(benchmarks/align_real).",
        ),
    ] = False,
    pts_dir: Annotated[
        Optional[Path], typer.Option("--pts-dir", help="Also write <id>.pts here (1-based, as 300W).")
    ] = None,
    preview: Annotated[
        Optional[Path], typer.Option("--preview", help="Write <id>.png here: the image with its landmarks and box.")
    ] = None,
    pattern: PatternOpt = IMAGE_PATTERN,
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Landmarks per face (image pixels, 0-based).

    Each face needs a box. By default (--boxes auto) every face is found by the face
    detector (facecli detect), and the model's box is placed on its five points; images
    where it finds none are listed as failures in OUTPUT. --boxes FILE gives the boxes
    (a faces.h5 or a CSV), --boxes image takes the whole image; with --dataset the
    annotation's. OUTPUT (kind landmarks2d) holds per face: landmarks, box, box_source,
    predicted_nme (the cascade's own error estimate) and exit_iteration.

    Examples:

      facecli align predict WFLW/ --dataset --split test -o wflw.h5 --exit-threshold 0.04

      facecli align predict photos/ -o lm.h5 --preview previews/ --pts-dir pts/

      facecli detect photos/ -o faces.h5 && facecli align predict photos/ --boxes faces.h5 -o lm.h5
    """
    from facecli.errors import InputError, UsageError
    from facecli.io.container import ContainerWriter
    from facecli.io.inputs import InputItem, apply_shard, parse_shard, resolve_inputs
    from facecli.landmarks2d.jobs import ALIGN_ATTRS, AlignJob
    from facecli.landmarks2d.predictor import DEFAULT_MUSICA
    from facecli.train.distributed import resolve_device

    state = get_state()
    if model is not None and not model.exists():
        raise InputError(f"no such model file: {model}")
    if scheme is not None and scheme not in ("wflw98", "ibug68", "five"):
        raise UsageError(f"expected --scheme wflw98, ibug68 or five, got {scheme!r}")
    box_file = None if boxes in ("auto", "image") else Path(boxes)
    if box_file is not None and not box_file.exists():
        raise InputError(f"no such face-box file: {box_file} (--boxes takes auto, image, or a file)")
    box_map: dict = {}
    if dataset:
        from facecli.landmarks2d.data import load_alignment_set

        if len(inputs) != 1:
            raise UsageError(f"expected one dataset root with --dataset, got {len(inputs)} inputs")
        faces = load_alignment_set(inputs[0], fmt=fmt.value, split=split)
        items = [InputItem(f.id, f.image) for f in faces]
        box_map = {f.id: f.box for f in faces}
        if len({i.id.split("#")[0] for i in items}) != len(items):
            log("images with several faces: one sample per face (ids end in #k)")
        items = apply_shard(sorted(items, key=lambda i: i.id), parse_shard(shard))
    else:
        items = resolve_inputs(
            inputs, pattern=pattern, shard=parse_shard(shard), missing="keep" if on_error == OnError.skip else "error"
        )
    output = output_file(output, "landmarks2d.h5", inputs=items, also=[model, box_file])
    items, box_map, keypoints, source, no_face = _face_boxes(
        items, boxes, box_file, dataset, box_map, resolve_device(state.device)
    )
    missing = [i.id for i in items if i.error is None and i.id not in box_map and i.id not in keypoints]
    if missing and boxes != "image":
        log(
            f"{len(missing)} of {len(items)} images have no face box: the whole image is used (e.g. {missing[0]})",
            level="warning",
        )
    for d in (pts_dir, preview):
        if d is not None:
            d.mkdir(parents=True, exist_ok=True)
    job = AlignJob(
        model=str(model) if model else None,
        device=resolve_device(state.device),
        exit_threshold=exit_threshold,
        flip=flip,
        boxes=box_map,
        box_source=source,
        keypoints=keypoints,
        scheme=scheme,
        pts_dir=pts_dir,
        preview_dir=preview,
    )
    if model is None:
        log(f"model: {DEFAULT_MUSICA.name} (shipped; synthetic renders + real faces with five points)")
    out_scheme = _output_scheme(model, scheme)
    params = {
        "model": str(model) if model else "default (synthetic)",
        "exit_threshold": exit_threshold,
        "flip": flip,
        "boxes": boxes,
        "scheme": scheme,
        "dataset": dataset,
        "split": split if dataset else None,
    }
    writer = ContainerWriter(
        output,
        "landmarks2d",
        producer="facecli align predict",
        argv=state.argv,
        params=params,
        resume=resume,
        array_attrs={**ALIGN_ATTRS, "landmarks": {**ALIGN_ATTRS["landmarks"], "scheme": out_scheme}},
    )
    for image_id in no_face:
        writer.add_failure(image_id, "no face found by the detector (give its box in a --boxes CSV)")
    summary = run_into_container(
        items,
        job,
        writer,
        on_error=on_error,
        workers=workers,
        desc="align",
        what="landmarks",
        unit="faces",
        output=output,
    )
    emit([output], as_json=as_json, summary={"inputs": len(items), **summary.as_dict()})
