"""``facecli normals``: multi-scale normal maps of faces, with GLCM/LBP texture descriptors."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from facecli.commands._common import (
    DefaultCommandGroup,
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
from facecli.normalmaps.training import CAPTrainOptions

app = typer.Typer(
    cls=DefaultCommandGroup,
    no_args_is_help=True,
    help="Multi-scale normal maps of faces (meshes, point clouds, depth maps, images) with GLCM/LBP "
    "texture channels; 'facecli normals INPUTS' runs 'compute'.",
)

__all__ = ["app"]


class Kind(str, Enum):
    auto = "auto"
    mesh = "mesh"
    points = "points"
    depth = "depth"
    image = "image"


class Frame(str, Enum):
    face = "face"
    all = "all"


class Compression(str, Enum):
    lzf = "lzf"
    gzip = "gzip"
    none = "none"


class Shading(str, Enum):
    smooth = "smooth"
    flat = "flat"


class ImageMethod(str, Enum):
    cap = "cap"
    sobel = "sobel"


class Subjects(str, Enum):
    auto = "auto"
    folder = "folder"
    image = "image"


def _numbers(text: Optional[str], name: str, cast: type = float) -> Optional[list]:
    from facecli.errors import UsageError

    if text is None:
        return None
    try:
        vals = [cast(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise UsageError(f"expected {name} as comma-separated numbers, got {text!r}") from exc
    if not vals:
        raise UsageError(f"expected at least one value for {name}, got {text!r}")
    return vals


def _texture_options(
    sizes: list[int], lbp_points: str | None, lbp_radius: str | None, glcm_cell: str | None, glcm_levels: int
) -> Any:
    """``--lbp-points``, ``--lbp-radius`` and ``--glcm-cell`` (one value, or one per scale) as TextureOptions."""
    from facecli.normalmaps.jobs import TextureOptions, per_scale

    d = TextureOptions.defaults(sizes)
    return TextureOptions(
        points=[
            int(v) for v in per_scale(_numbers(lbp_points, "--lbp-points", int) or d.points, sizes, "--lbp-points")
        ],
        radius=per_scale(_numbers(lbp_radius, "--lbp-radius") or d.radius, sizes, "--lbp-radius"),
        cell=[int(v) for v in per_scale(_numbers(glcm_cell, "--glcm-cell", int) or d.cell, sizes, "--glcm-cell")],
        levels=glcm_levels,
    )


def _face_boxes(box_file: Path) -> dict[str, Any]:
    """The first face box of every image in a faces.h5 or CSV file (images without one left out)."""
    from facecli.io.boxes import read_face_boxes

    return {k: v[0] for k, v in read_face_boxes(box_file).items() if v}


#: Photo suffixes (PNG may be a photo or a 16-bit depth map, so it is neither family).
_PHOTO_SUFFIXES = (".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def _check_one_family(items: list[Any]) -> None:
    """Photos and geometry write different arrays, so one run takes one family."""
    from facecli.errors import InputError

    suffixes = {it.path.suffix.lower() for it in items if it.error is None} - {".png"}
    if len({x in _PHOTO_SUFFIXES for x in suffixes}) == 2:
        raise InputError(
            "expected images or geometry, got both in one run (their outputs have different arrays); "
            "run them separately or narrow --pattern"
        )


@app.command("compute")
@boundary
def compute(
    inputs: InputsArg,
    output: OutputOpt = Path("normals.h5"),
    scales: Annotated[str, typer.Option("--scales", help="Output sizes in pixels, comma-separated.")] = "256,128,64",
    kind: Annotated[
        Kind, typer.Option("--kind", help="Input kind; auto: by suffix (a 16-bit PNG is a depth map).")
    ] = Kind.auto,
    texture: Annotated[
        bool,
        typer.Option(
            "--texture/--no-texture",
            help="Add texture_<s>: uniform LBP + GLCM contrast, homogeneity, energy, correlation.",
        ),
    ] = False,
    lbp_points: Annotated[
        Optional[str], typer.Option("--lbp-points", help="LBP points, one or one per scale [16 at >=256 px, else 8].")
    ] = None,
    lbp_radius: Annotated[
        Optional[str],
        typer.Option("--lbp-radius", help="LBP radius in px, one or one per scale [2 at >=256 px, else 1]."),
    ] = None,
    glcm_cell: Annotated[
        Optional[str],
        typer.Option("--glcm-cell", help="GLCM cell side in px, one or one per scale (default: s/16, >= 4)."),
    ] = None,
    glcm_levels: Annotated[int, typer.Option("--glcm-levels", min=2, max=256, help="GLCM grey levels.")] = 16,
    shading: Annotated[
        Shading,
        typer.Option("--shading", help="Meshes: smooth (interpolated vertex normals) or flat (triangle normals)."),
    ] = Shading.smooth,
    radius: Annotated[
        Optional[float], typer.Option("--radius", help="Point clouds: PCA normal radius in mm [3x median spacing].")
    ] = None,
    splat: Annotated[
        Optional[float], typer.Option("--splat", help="Point clouds: splat radius in mm [1.5x median spacing].")
    ] = None,
    width: Annotated[
        Optional[float],
        typer.Option("--width", help="Field of view in mm (same framing for all inputs) (default: fit each)."),
    ] = None,
    centre: Annotated[
        Optional[str], typer.Option("--centre", help="Image centre X,Y in mm (default: bounding-box centre).")
    ] = None,
    margin: Annotated[
        float, typer.Option("--margin", min=0.0, help="Border around a fitted box, fraction of its side.")
    ] = 0.05,
    pose: Annotated[
        Optional[Path],
        typer.Option("--pose", help="4x4 transform (.npy/.txt) for all inputs, or a register .h5 (per id)."),
    ] = None,
    intrinsics: Annotated[
        Optional[str], typer.Option("--intrinsics", help="Depth maps: fx,fy,cx,cy in px, or a 3x3 K file.")
    ] = None,
    depth_scale: Annotated[float, typer.Option("--depth-scale", help="Depth maps: mm per stored unit.")] = 1.0,
    max_jump: Annotated[
        float, typer.Option("--max-jump", help="Depth maps: a depth step above this (mm) cuts the surface.")
    ] = 10.0,
    manifold_check: Annotated[
        bool,
        typer.Option(
            "--manifold-check/--no-manifold-check",
            help="Reject meshes with edges shared by > 2 triangles (otherwise they are cast as they are, and the "
            "count is stored and noted on stderr; degenerate and repeated triangles are always dropped).",
        ),
    ] = False,
    units: Annotated[
        Units,
        typer.Option(
            "--units",
            help="Units of meshes and point clouds: auto reads them from the size (a box diagonal under 5: metres, "
            "under 100: centimetres, else millimetres) and says so; maps and depths are in mm.",
        ),
    ] = Units.auto,
    frame: Annotated[
        Frame,
        typer.Option(
            "--frame",
            help="Meshes and point clouds: face frames the face about the nose tip (the most forward point, +Z; "
            "a box 180 mm across), so a head scan's neck and shoulders stay out; all frames the whole input.",
        ),
    ] = Frame.face,
    orient: Annotated[
        Orient,
        typer.Option(
            "--orient",
            help="Meshes without --pose: auto finds which way the face looks (the face detector on renders of the "
            "mesh) and turns a face posed more than 15 deg from +Y up, +Z forward upright and frontal before "
            "rendering (the rotation is stored as turn); given renders the mesh as it is.",
        ),
    ] = Orient.auto,
    image_method: Annotated[
        ImageMethod,
        typer.Option("--image-method", help="Images: cap (learned) or sobel (the source system's baseline)."),
    ] = ImageMethod.cap,
    model: Annotated[
        Optional[Path],
        typer.Option(
            "--model", help="Images: CAP model file (default: the shipped model, trained on synthetic renders)."
        ),
    ] = None,
    sobel_strength: Annotated[
        float, typer.Option("--sobel-strength", help="Images with --image-method sobel: height scale.")
    ] = 4.0,
    boxes: Annotated[
        str,
        typer.Option(
            "--boxes",
            help="Photos: auto (the face facecli detect finds, framed as the training renders frame theirs; the "
            "centre square where it finds none), image (the centre square), or a faces.h5 / CSV of boxes.",
        ),
    ] = "auto",
    preview: Annotated[
        Optional[Path],
        typer.Option("--preview", help="Write one PNG per input here (normals as RGB, scales side by side)."),
    ] = None,
    compression: Annotated[
        Compression,
        typer.Option(
            "--compression",
            help="How the maps are stored: lzf (byte-shuffled LZF: fast, about as small as gzip; h5py reads it, "
            "other HDF5 tools need the LZF plugin), gzip (level 4, slower to write, read by every HDF5 tool: "
            "MATLAB, h5dump) or none (fastest, about 2.5x larger).",
        ),
    ] = Compression.lzf,
    pattern: PatternOpt = "*.obj,*.ply,*.off,*.stl,*.npy,*.png,*.jpg,*.jpeg,*.bmp,*.ppm,*.pgm,*.tif,*.tiff,*.webp",
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Normal maps (unit, view frame: +x right, +y up, +z to the camera) at several scales.

    Meshes and depth maps are ray cast from a frontal orthographic camera, one exact
    ray per pixel at every scale; point clouds get PCA normals (oriented to the
    camera) splatted per pixel; images go through the CAP network. Writes one HDF5
    file (kind normals): normals_<s> (N,s,s,3) float16, mask_<s>, depth_<s> (mm, geometry),
    texture_<s> (with --texture) and view (centre x, y, width, camera z; mm).

    Examples:

      facecli normals scans/ -o normals.h5 --texture --preview previews/

      facecli register --template mean.obj scans/ -o reg.h5 && facecli normals scans/ --pose reg.h5 --width 200 -o n.h5

      facecli normals depth.png --intrinsics 570,570,320,240 -o d.h5

      facecli normals lfw/ --pattern '*.jpg' -o lfw_normals.h5
    """
    from facecli.errors import InputError, UsageError
    from facecli.geometry.depthmap import parse_intrinsics
    from facecli.io.container import ContainerWriter
    from facecli.io.inputs import parse_shard, resolve_inputs
    from facecli.normalmaps.geometry import GeometryOptions, load_poses
    from facecli.normalmaps.jobs import NormalsJob

    state = get_state()
    sizes = [int(s) for s in _numbers(scales, "--scales", int) or []]
    if any(s < 8 or s > 4096 for s in sizes) or len(set(sizes)) != len(sizes):
        raise UsageError(f"expected distinct --scales between 8 and 4096 px, got {scales!r}")
    centre_xy = _numbers(centre, "--centre")
    if centre_xy is not None and len(centre_xy) != 2:
        raise UsageError(f"expected --centre X,Y, got {centre!r}")
    geo = GeometryOptions(
        scales=sizes,
        shading=shading.value,
        radius=radius,
        splat=splat,
        width=width,
        centre=centre_xy,
        margin=margin,
        intrinsics=parse_intrinsics(intrinsics) if intrinsics else None,
        depth_scale=depth_scale,
        max_jump=max_jump,
        manifold_check=manifold_check,
        units=units.value,
        frame=frame.value,
        orient=orient.value,
    )
    tex = _texture_options(sizes, lbp_points, lbp_radius, glcm_cell, glcm_levels) if texture else None
    if model is not None and not model.exists():
        raise InputError(f"no such model file: {model}")
    items = resolve_inputs(
        inputs, pattern=pattern, shard=parse_shard(shard), missing="keep" if on_error == OnError.skip else "error"
    )
    box_file = None if boxes in ("auto", "image") else Path(boxes)
    if box_file is not None and not box_file.exists():
        raise InputError(f"no such face-box file: {box_file} (--boxes takes auto, image, or a file)")
    output = output_file(output, "normals.h5", inputs=items, also=[model, pose, box_file])
    if on_error == OnError.stop:
        _check_one_family(items)
    if preview is not None:
        preview.mkdir(parents=True, exist_ok=True)
    job = NormalsJob(
        scales=sizes,
        kind=kind.value,
        geometry=geo,
        texture=tex,
        image_method=image_method.value,
        model=str(model) if model else None,
        sobel_strength=sobel_strength,
        poses=load_poses(pose) if pose is not None else None,
        device=state.device,
        preview_dir=preview,
        face_boxes=_face_boxes(box_file) if box_file is not None else boxes,
    )
    writer = ContainerWriter(
        output,
        "normals",
        producer="facecli normals",
        argv=state.argv,
        params=job.params(pose_file=str(pose) if pose else None, boxes=boxes),
        resume=resume,
        array_attrs=job.array_attrs(),
        root_attrs={"scales": ",".join(map(str, sizes))},
        compression=compression.value,
    )
    summary = run_into_container(
        items,
        job,
        writer,
        on_error=on_error,
        workers=workers,
        desc="normals",
        what="normal maps",
        unit="inputs",
        output=output,
    )
    report_geometry(output)
    emit([output], as_json=as_json, summary={"inputs": len(items), **summary.as_dict()})


def report_geometry(output: Path) -> None:
    """Say which inputs were scaled to mm and which meshes were repaired or are not manifold."""
    import numpy as np

    from facecli.io.container import ContainerReader

    reader = ContainerReader(output, kind="normals")
    keys = set(reader.keys())
    if not reader.ids or "input_units" not in keys:
        return
    log_scaled_units([str(u) for u in reader.read("input_units").astype(str)], "input")
    if "turn" in keys:
        turned = sum(not np.allclose(t, np.eye(3)) for t in reader.read("turn"))
        if turned:
            log(
                f"{turned} mesh{'es' if turned > 1 else ''} turned upright and frontal before rendering: the face "
                "looked away from +Z or was not upright (--orient given to render as given)"
            )
    for key, what in (
        ("dropped_faces", "degenerate or repeated triangles dropped"),
        ("non_manifold_edges", "edges shared by more than two triangles (cast as they are)"),
    ):
        counts = np.asarray(reader.read(key), np.int64).reshape(-1)
        hit = [f"{sid}: {int(c)} {what}" for sid, c in zip(reader.ids, counts) if c]
        log_capped(hit, limit=10, more=f"inputs with {what}")


@app.command("train")
@boundary
def train(
    root: Annotated[
        Path, typer.Argument(help="Image root with ground-truth normals (e.g. from 'facecli synth images').")
    ],
    output: OutputOpt = Path("cap.pt"),
    gt: Annotated[
        Optional[Path],
        typer.Option(
            "--gt",
            help="Ground-truth container (kind normals; ids = image paths) [ROOT/synth_gt.h5 or ROOT/normals_gt.h5].",
        ),
    ] = None,
    epochs: Annotated[
        int, typer.Option("--epochs", min=1, help="Fixed training budget; the last epoch's model is kept.")
    ] = CAPTrainOptions.epochs,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Images per step (per process under torchrun).")
    ] = CAPTrainOptions.batch_size,
    lr: Annotated[float, typer.Option("--lr", help="AdamW peak learning rate (cosine decay).")] = CAPTrainOptions.lr,
    width: Annotated[
        int, typer.Option("--width", min=4, help="CAPNet channels at full resolution.")
    ] = CAPTrainOptions.width,
    atrous: Annotated[
        bool,
        typer.Option(
            "--atrous/--no-atrous", help="Cascaded atrous pyramid (dilations 1,2,4,8) or the plain ablation (all 1)."
        ),
    ] = CAPTrainOptions.atrous,
    crop: Annotated[
        int, typer.Option("--crop", min=16, help="Training crop side in px (divisible by 8; the image side = no crop).")
    ] = CAPTrainOptions.crop,
    val_fraction: Annotated[
        float,
        typer.Option(
            "--val-fraction", min=0.0, max=0.9, help="Subjects held out and reported (never used to pick the model)."
        ),
    ] = CAPTrainOptions.val_fraction,
    subjects: Annotated[
        Subjects, typer.Option("--subjects", help="How ids map to people for the held-out split.")
    ] = Subjects(CAPTrainOptions.subjects),
    size: Annotated[
        Optional[int], typer.Option("--size", help="Ground-truth scale to train at (default: the largest in the file).")
    ] = CAPTrainOptions.size,
    limit: Annotated[
        Optional[int], typer.Option("--limit", min=1, help="Use at most this many images.")
    ] = CAPTrainOptions.limit,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUTPUT.ckpt (finished epochs are kept).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train the CAP image -> normal-map network (angular loss at 3 scales + mask loss).

    A checkpoint is written after every epoch (OUTPUT.ckpt); --resume continues it.
    Runs unchanged under torchrun (DDP; gloo on CPU, NCCL on GPU).

    Example (the shipped default model):

      facecli --seed 0 synth images -o renders --count 1600 --size 128 --scheme ibug68

      facecli --seed 0 normals train renders -o cap.pt
    """
    from facecli.normalmaps.training import CAPTrainOptions, train_cap

    state = get_state()
    output = output_file(output, "cap.pt", also=[root, gt])
    opts = CAPTrainOptions(
        width=width,
        atrous=atrous,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        crop=crop,
        val_fraction=val_fraction,
        subjects=subjects.value,
        size=size,
        limit=limit,
    )
    meta = train_cap(
        root,
        output,
        opts,
        gt=gt,
        seed=state.seed,
        device=state.device,
        resume=resume,
        argv=state.argv,
        log=log,
        progress=progress,
    )
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return  # under torchrun only the first process reports
    log(f"wrote {output} (held-out mean angular error: {meta.get('val_angle_mean_deg')})")
    emit(
        [output],
        as_json=as_json,
        summary={
            "val_angle_mean_deg": meta.get("val_angle_mean_deg"),
            "epochs": epochs,
            "train_images": meta.get("trained_on"),
        },
    )
