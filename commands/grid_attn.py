"""``facecli grid-attn``: face recognition on normal maps with DGPA-Net (dynamic grid +
dual-path attention, ArcFace): train, embed, verify."""

from __future__ import annotations

import os
from enum import Enum
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
    progress,
    run_into_container,
)
from facecli.recognition.training import GridAttnTrainOptions

app = typer.Typer(
    no_args_is_help=True,
    help="Face recognition on normal maps (DGPA-Net: gradient-driven dynamic grid, channel + 7x7 spatial "
    "attention per cell, ArcFace): train a model, embed faces, score LFW-style pairs.",
)

__all__ = ["app"]


class FaceRule(str, Enum):
    largest = "largest"
    centre = "centre"


class Grid(str, Enum):
    dynamic = "dynamic"
    uniform = "uniform"


NormalsArg = Annotated[
    Path,
    typer.Argument(
        help="A 'normals' HDF5 file (from 'facecli normals' or 'synth identities' normals_gt.h5); "
        "ids are image paths such as Name/Name_0001.jpg."
    ),
]
ImagesOpt = Annotated[
    Optional[Path], typer.Option("--images", help="Root the ids are relative to (needed for --inputs rgb).")
]
ScaleOpt = Annotated[
    Optional[int], typer.Option("--scale", help="Which normals_<scale> to read (default: the largest in the file).")
]


@app.command("train")
@boundary
def train(
    normals: NormalsArg,
    output: OutputOpt = Path("dgpa.pt"),
    labels: Annotated[
        Optional[Path],
        typer.Option("--labels", help="CSV 'id,label' of identities (default: from the LFW folder names)."),
    ] = None,
    images: ImagesOpt = None,
    inputs: Annotated[
        str, typer.Option("--inputs", help="Channel groups, comma-separated: normals, rgb, texture.")
    ] = ",".join(GridAttnTrainOptions.inputs),
    scale: ScaleOpt = GridAttnTrainOptions.scale,
    input_size: Annotated[
        int, typer.Option("--input-size", min=16, help="Network input side in px (divisible by 4).")
    ] = GridAttnTrainOptions.input_size,
    grid: Annotated[
        Grid, typer.Option("--grid", help="Cell boundaries: gradient-driven (dynamic) or the fixed uniform ablation.")
    ] = Grid(GridAttnTrainOptions.grid),
    cells: Annotated[int, typer.Option("--cells", min=1, help="Grid cells per side.")] = GridAttnTrainOptions.cells,
    uniform_share: Annotated[
        float,
        typer.Option(
            "--uniform-share",
            min=0.0,
            max=1.0,
            help="Share of the gradient-energy profile spread evenly (bounds the thinnest cell).",
        ),
    ] = GridAttnTrainOptions.uniform_share,
    attention: Annotated[
        bool, typer.Option("--attention/--no-attention", help="Dual-path attention per cell (or the ablation without).")
    ] = GridAttnTrainOptions.attention,
    width: Annotated[
        int, typer.Option("--width", min=4, help="Backbone channels after the stem.")
    ] = GridAttnTrainOptions.width,
    dim: Annotated[int, typer.Option("--dim", min=8, help="Embedding size.")] = GridAttnTrainOptions.dim,
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, help="Fixed budget; the last epoch's model is kept.")
    ] = GridAttnTrainOptions.epochs,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=2, help="Faces per step (per process under torchrun).")
    ] = GridAttnTrainOptions.batch_size,
    lr: Annotated[
        float, typer.Option("--lr", help="AdamW peak learning rate (cosine decay).")
    ] = GridAttnTrainOptions.lr,
    margin: Annotated[
        float, typer.Option("--margin", min=0.0, max=1.5, help="ArcFace additive angular margin (radians).")
    ] = 0.5,
    arc_scale: Annotated[
        float, typer.Option("--arc-scale", min=1.0, help="ArcFace logit scale s.")
    ] = GridAttnTrainOptions.arc_scale,
    val_fraction: Annotated[
        float,
        typer.Option(
            "--val-fraction",
            min=0.0,
            max=0.9,
            help="Identities held out and reported (all-pairs EER; never used to pick the model).",
        ),
    ] = GridAttnTrainOptions.val_fraction,
    limit: Annotated[
        Optional[int], typer.Option("--limit", min=1, help="Use at most this many faces.")
    ] = GridAttnTrainOptions.limit,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUTPUT.ckpt (finished epochs are kept).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train DGPA-Net with an ArcFace loss on identity-labelled normal maps.

    Identities come from the LFW folder names (Name/Name_0001.jpg) or --labels. A
    share of identities is held out and its all-pairs EER reported each epoch. A
    checkpoint is written after every epoch (OUTPUT.ckpt); --resume continues it.
    Runs unchanged under torchrun (DDP).

    Example (the shipped default model):

      facecli --seed 0 synth identities -o ids --identities 300 --per-identity 6 --size 128 --normal-size 96 --yaw-sd 25

      facecli --seed 0 grid-attn train ids/normals_gt.h5 -o dgpa.pt
    """
    from facecli.recognition.data import parse_inputs
    from facecli.recognition.training import GridAttnTrainOptions, train_dgpa

    state = get_state()
    output = output_file(output, "dgpa.pt", also=[normals, images, labels])
    opts = GridAttnTrainOptions(
        inputs=parse_inputs(inputs),
        scale=scale,
        input_size=input_size,
        width=width,
        cells=cells,
        grid=grid.value,
        uniform_share=uniform_share,
        attention=attention,
        dim=dim,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        arc_scale=arc_scale,
        arc_margin=margin,
        val_fraction=val_fraction,
        limit=limit,
    )
    meta = train_dgpa(
        normals,
        output,
        opts,
        images=images,
        labels_file=labels,
        seed=state.seed,
        device=state.device,
        resume=resume,
        argv=state.argv,
        log=log,
        progress=progress,
    )
    if int(os.environ.get("RANK", "0")) != 0:
        return  # under torchrun only the first process reports
    log(f"wrote {output} (held-out all-pairs EER: {meta.get('val_eer')})")
    emit(
        [output],
        as_json=as_json,
        summary={"val_eer": meta.get("val_eer"), "epochs": epochs, "trained_on": meta.get("trained_on")},
    )


@app.command("embed")
@boundary
def embed(
    normals: NormalsArg,
    output: OutputOpt = Path("embeddings.h5"),
    model: Annotated[
        Optional[Path],
        typer.Option("--model", help="A model from 'grid-attn train' (default: the shipped synthetic-data model)."),
    ] = None,
    images: ImagesOpt = None,
    scale: ScaleOpt = None,
    flip: Annotated[
        bool, typer.Option("--flip/--no-flip", help="Add the mirrored face's embedding (test-time augmentation).")
    ] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Faces per forward pass.")] = 64,
    resume: ResumeOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Embed every face of a normals file with DGPA-Net.

    OUTPUT (kind embeddings) holds one L2-normalised 'embedding' per id. Without
    --model the shipped model (trained on synthetic identities) is used.
    """
    from facecli.recognition.embed import DEFAULT_DGPA, embed_file, load_dgpa
    from facecli.train.distributed import resolve_device

    state = get_state()
    output = output_file(output, "embeddings.h5", also=[normals, images, model])
    device = resolve_device(state.device)
    m = load_dgpa(model, device=device)
    if model is None or Path(model).resolve() == DEFAULT_DGPA:
        log(f"model: {DEFAULT_DGPA.name} (shipped; trained on synthetic identities only)")
    summary = embed_file(
        m,
        normals,
        output,
        images=images,
        scale=scale,
        batch=batch_size,
        flip=flip,
        device=device,
        resume=resume,
        argv=state.argv,
        progress=progress,
    )
    log(f"embedded {summary['embedded']} faces in {summary['seconds']} s ({summary['per_second']}/s)")
    emit([output], as_json=as_json, summary=summary)


@app.command("embed-photos")
@boundary
def embed_photos(
    inputs: InputsArg,
    output: OutputOpt = Path("embeddings.h5"),
    model: Annotated[
        Optional[Path],
        typer.Option(
            "--model",
            help="A projection file (default: the shipped one, high-dimensional LBP + PCA + LDA fitted on the "
            "real LFW).",
        ),
    ] = None,
    choose: Annotated[
        FaceRule,
        typer.Option(
            "--choose",
            help="Which face of a photo with several: the largest, or the one nearest the image centre (LFW's "
            "convention).",
        ),
    ] = FaceRule.largest,
    pattern: PatternOpt = IMAGE_PATTERN,
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Embed the face of each real photo: detect, align, high-dimensional descriptors, projection.

    The largest face is kept (--choose centre: the one nearest the image centre); its 98
    points come from the shipped align model. The default projection was fitted on the real
    LFW (research use; its card is facecli/models/weights/hd_lfw.json): on LFW View 2, the
    same method fitted per fold scores 91.73 %. OUTPUT (kind embeddings) holds a unit-length
    'embedding', the 'face_box' and the 'five' points per photo; score pairs with 'grid-attn
    verify'. A photo without a face is an error (with --on-error skip: listed, and the batch
    goes on).

    Examples:

      facecli grid-attn embed-photos lfw/images -o emb.h5 && facecli grid-attn verify emb.h5 --pairs pairs.txt
    """
    from facecli.errors import InputError
    from facecli.io.container import ContainerWriter
    from facecli.io.inputs import parse_shard, resolve_inputs
    from facecli.recognition.photos import DEFAULT_HD, PhotoEmbedJob, load_hd_projection
    from facecli.train.distributed import resolve_device

    state = get_state()
    if model is not None and not model.exists():
        raise InputError(f"no such model file: {model}")
    items = resolve_inputs(
        inputs, pattern=pattern, shard=parse_shard(shard), missing="keep" if on_error == OnError.skip else "error"
    )
    output = output_file(output, "embeddings.h5", inputs=items, also=[model])
    _, obj = load_hd_projection(model)  # a wrong file fails here, before the batch
    if model is None:
        log(f"model: {DEFAULT_HD.name} (shipped; fitted on the real LFW, research use)")
    job = PhotoEmbedJob(model=str(model) if model else None, device=resolve_device(state.device), choose=choose.value)
    params = {
        "model": str(model) if model else "default (hd_lfw)",
        "parts": obj["config"]["parts"],
        "choose": choose.value,
    }
    writer = ContainerWriter(
        output,
        "embeddings",
        producer="facecli grid-attn embed-photos",
        argv=state.argv,
        params=params,
        resume=resume,
        array_attrs={"embedding": {"norm": "L2 = 1", "model": (model or DEFAULT_HD).name}},
    )
    summary = run_into_container(
        items,
        job,
        writer,
        on_error=on_error,
        workers=workers,
        desc="embed-photos",
        what="embeddings",
        unit="photos",
        output=output,
    )
    emit([output], as_json=as_json, summary={"inputs": len(items), **summary.as_dict()})


@app.command("verify")
@boundary
def verify(
    embeddings: Annotated[Path, typer.Argument(help="An 'embeddings' file from 'grid-attn embed'.")],
    pairs: Annotated[Path, typer.Option("--pairs", help="LFW pairs.txt (10 folds of matched then mismatched lines).")],
    output: OutputOpt = Path("scores.h5"),
    as_json: JsonOpt = False,
) -> None:
    """Score LFW-style pairs by the cosine of their embeddings.

    OUTPUT (kind verification) holds score, same, fold and the two ids per pair.
    Ids match with or without the image extension.
    """
    from facecli.io.container import ContainerReader
    from facecli.io.lfw import read_pairs
    from facecli.recognition.verify import score_pairs, write_scores

    state = get_state()
    output = output_file(output, "scores.h5", also=[embeddings, pairs])
    plist = read_pairs(pairs)
    with ContainerReader(embeddings, kind="embeddings") as r:
        ids, emb = r.ids, r.read("embedding")
    scores = score_pairs(ids, emb, plist, source=str(embeddings))
    write_scores(output, scores, params={"pairs": str(pairs), "embeddings": str(embeddings)}, argv=state.argv)
    log(f"scored {len(plist)} pairs ({int(scores.same.sum())} matched) in {len(set(scores.fold.tolist()))} folds")
    emit([output], as_json=as_json, summary={"pairs": len(plist), "matched": int(scores.same.sum())})
