"""``facecli register``: rigid registration of face scans (FPFH → FGR/RANSAC → Geman-McClure)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from facecli.commands._common import (
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
    finishing,
    get_state,
    log,
    output_file,
    progress,
)

app = typer.Typer()

__all__ = ["app"]


class Method(str, Enum):
    fgr = "fgr"
    ransac = "ransac"


class Fine(str, Enum):
    gm = "gm"
    none = "none"


@app.command("register")
@boundary
def register(
    inputs: Annotated[
        Optional[list[str]],
        typer.Argument(
            help="SRC TGT (one pair), or with --template the scans to move onto it (files, dirs, globs, - for stdin).",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = Path("register.h5"),
    template: Annotated[
        Optional[Path], typer.Option("--template", help="Register every input scan onto this one.")
    ] = None,
    pairs: Annotated[
        Optional[Path],
        typer.Option("--pairs", help="A directory of <id>/source.ply + <id>/target.ply (synth pairs layout)."),
    ] = None,
    method: Annotated[
        Method,
        typer.Option(
            "--method", help="Coarse stage: fgr (Geman-McClure graduated non-convexity) or ransac (3-point SVD)."
        ),
    ] = Method.fgr,
    fine: Annotated[
        Fine, typer.Option("--fine", help="Fine stage: gm (robust point-to-plane on the full clouds) or none.")
    ] = Fine.gm,
    voxel: Annotated[
        float, typer.Option("--voxel", help="Voxel size in mm; normals use 2x, FPFH 5x this radius.")
    ] = 3.0,
    delta: Annotated[
        Optional[float],
        typer.Option("--delta", help="Final Geman-McClure scale of the coarse stage, mm [1.5 x voxel]."),
    ] = None,
    fine_delta: Annotated[
        Optional[float],
        typer.Option("--fine-delta", help="Final Geman-McClure scale of the fine stage, mm [voxel / 2]."),
    ] = None,
    starts: Annotated[
        int, typer.Option("--starts", min=1, help="FGR runs: 1 is the paper's single run; more add verified restarts.")
    ] = 8,
    write_aligned: Annotated[
        Optional[Path],
        typer.Option(
            "--write-aligned",
            help="Write the moved source at full resolution: a .ply/.obj for one pair; for a batch, a directory "
            "mirroring the input paths (meshes keep faces and vertex order, so a FaceScape root gives a "
            "FaceScape root).",
        ),
    ] = None,
    preview: Annotated[
        Optional[Path],
        typer.Option("--preview", help="Before/after PNG: a .png for one pair, a directory for a batch."),
    ] = None,
    sample_id: Annotated[
        Optional[str],
        typer.Option("--id", help="Sample id of a single pair in the output [SRC's name without suffix]."),
    ] = None,
    pattern: PatternOpt = "*.ply,*.obj,*.off,*.stl",
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Rigidly register face scans (meshes or point clouds, mm).

    FPFH features on a voxel grid, mutual matches, a coarse solve (FGR's graduated
    non-convexity with Geman-McClure weights and Kabsch, or RANSAC), then robust
    point-to-plane Geman-McClure refinement on the full clouds. Writes one HDF5
    file (kind registration): transform (4x4, source onto target), coarse_transform,
    fitness, inlier_rmse, seconds per stage and correspondence counts.

    Examples:

      facecli register scan_a.ply scan_b.ply -o ab.h5 --preview ab.png

      facecli register --template mean.ply scans/ -o all.h5 --workers 2 --shard 1/4

      facecli register --pairs pairs/ -o reg.h5 && facecli evaluate register reg.h5 --gt pairs/gt.h5
    """
    from facecli.batch import run_batch
    from facecli.errors import InputError, UsageError
    from facecli.io.container import ContainerWriter
    from facecli.io.inputs import InputItem, apply_shard, parse_shard, resolve_inputs
    from facecli.io.mesh import read_points
    from facecli.registration.jobs import COUNTS, STAGES, RegisterJob, pair_items
    from facecli.registration.pipeline import RegistrationConfig
    from facecli.registration.preprocess import prepare_cloud

    state = get_state()
    device = "cuda" if state.device == "cuda" else "cpu"
    if state.device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    cfg = RegistrationConfig(
        voxel=voxel,
        method=method.value,
        fine=fine.value,
        delta=delta,
        fine_delta=fine_delta,
        starts=starts,
        seed=state.seed,
        device=device,
    )
    tokens = list(inputs or [])
    modes = sum([template is not None, pairs is not None])
    if modes > 1:
        raise UsageError("expected either --template or --pairs, not both")
    shard_kn = parse_shard(shard)
    single = False
    if pairs is not None:
        if tokens:
            raise UsageError(f"--pairs takes no other inputs, got {' '.join(tokens)}")
        items = apply_shard(pair_items(pairs), shard_kn)
        job = RegisterJob(cfg)
    elif template is not None:
        items = resolve_inputs(
            tokens, pattern=pattern, shard=shard_kn, missing="keep" if on_error == OnError.skip else "error"
        )
        t_pts = read_points(template).vertices
        job = RegisterJob(
            cfg,
            template=prepare_cloud(
                t_pts, cfg.voxel, device=device, full_normals=fine.value == "gm", source=str(template)
            ),
            template_name=str(template),
        )
    else:
        if len(tokens) != 2:
            raise UsageError(
                f"expected SRC TGT (two files), or --template / --pairs for a batch; got {len(tokens)} inputs"
            )
        src, tgt = Path(tokens[0]), Path(tokens[1])
        for p in (src, tgt):
            if not p.is_file():
                raise InputError(f"no such file: {p}")
        items = [InputItem(sample_id or src.stem, src)]
        job = RegisterJob(cfg, target_path=tgt)
        single = True
    output = output_file(output, "register.h5", inputs=items, also=[template, *([job.target_path] if single else [])])
    if write_aligned is not None:
        if single and write_aligned.suffix.lower() in (".ply", ".obj"):
            job.aligned_file = write_aligned
        else:
            write_aligned.mkdir(parents=True, exist_ok=True)
            job.aligned_dir = write_aligned
    if preview is not None:
        if single and preview.suffix.lower() == ".png":
            job.preview_file = preview
        else:
            preview.mkdir(parents=True, exist_ok=True)
            job.preview_dir = preview
    writer = ContainerWriter(
        output,
        "registration",
        producer="facecli register",
        argv=state.argv,
        params=cfg.as_dict(),
        resume=resume,
        array_attrs={
            "transform": {"units": "mm", "description": "4x4, maps source onto target"},
            "coarse_transform": {"units": "mm"},
            "inlier_rmse": {"units": "mm"},
            "seconds": {"columns": ",".join(STAGES)},
            "counts": {"columns": ",".join(COUNTS)},
        },
    )
    with finishing(writer):
        summary = run_batch(
            items,
            job,
            writer,
            on_error=on_error.value,
            workers=workers,
            progress=lambda it: progress(it, total=len(items), desc="register"),
        )
    log(
        f"registered {summary.processed} of {len(items)} ({summary.skipped_existing} already done, "
        f"{len(summary.failures)} failed) in {summary.seconds:.1f} s"
    )
    outs: list[Path] = [output]
    emit(outs, as_json=as_json, summary={"method": cfg.method, "fine": cfg.fine, **summary.as_dict()})
