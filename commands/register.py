"""``facecli register``: rigid registration of face scans (FPFH → FGR/RANSAC → Geman-McClure)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from facecli.commands._common import (
    JsonOpt,
    OnError,
    OnErrorOpt,
    Orient,
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
    log_capped,
    output_file,
    progress,
)
from facecli.registration.pipeline import RegistrationConfig
from facecli.registration.quality import SuccessCriteria

app = typer.Typer()

#: Every cloud and mesh format ``read_points`` reads (tests keep it equal to CLOUD_SUFFIXES).
CLOUD_PATTERN = "*.ply,*.obj,*.off,*.stl,*.pcd,*.xyz,*.xyzn,*.pts,*.txt,*.npy"

__all__ = ["app"]


class RegisterUnits(str, Enum):
    auto = "auto"
    same = "same"
    mm = "mm"
    cm = "cm"
    m = "m"


class Method(str, Enum):
    fgr = "fgr"
    ransac = "ransac"


class Fine(str, Enum):
    gm = "gm"
    none = "none"


def _items_and_job(
    cfg: RegistrationConfig,
    tokens: list[str],
    template: Path | None,
    pairs: Path | None,
    pattern: str,
    shard: str | None,
    on_error: OnError,
    sample_id: str | None,
) -> tuple[list[Any], Any, bool]:
    """The inputs and the job of each mode: ``--pairs``, ``--template``, or one SRC TGT pair.

    Returns:
        ``(items, job, single)``; single is True for the SRC TGT mode.
    """
    from facecli.errors import InputError, UsageError
    from facecli.io.inputs import InputItem, apply_shard, parse_shard, resolve_inputs
    from facecli.io.mesh import read_points
    from facecli.registration.jobs import RegisterJob, pair_items
    from facecli.registration.preprocess import check_cloud, prepare_cloud

    if template is not None and pairs is not None:
        raise UsageError("expected either --template or --pairs, not both")
    shard_kn = parse_shard(shard)
    if pairs is not None:
        if tokens:
            raise UsageError(f"--pairs takes no other inputs, got {' '.join(tokens)}")
        return apply_shard(pair_items(pairs), shard_kn), RegisterJob(cfg), False
    if template is not None:
        items = resolve_inputs(
            tokens, pattern=pattern, shard=shard_kn, missing="keep" if on_error == OnError.skip else "error"
        )
        t_pts = check_cloud(read_points(template).vertices, source=str(template))
        t_scales = cfg.scales(t_pts)
        log(f"{template}: {t_scales.describe()}", level="debug")
        prepared = prepare_cloud(
            t_pts, t_scales, device=cfg.device, full_normals=cfg.fine == "gm", source=str(template)
        )
        return items, RegisterJob(cfg, template=prepared, template_name=str(template)), False
    if len(tokens) != 2:
        raise UsageError(f"expected SRC TGT (two files), or --template / --pairs for a batch; got {len(tokens)} inputs")
    src, tgt = Path(tokens[0]), Path(tokens[1])
    for p in (src, tgt):
        if not p.is_file():
            raise InputError(f"no such file: {p}")
    return [InputItem(sample_id or src.stem, src)], RegisterJob(cfg, target_path=tgt), True


def _side_outputs(job: Any, single: bool, write_aligned: Path | None, preview: Path | None) -> None:
    """Where the moved clouds and previews go: one file for a single pair, else a folder."""
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
    ] = Method(RegistrationConfig.method),
    fine: Annotated[
        Fine,
        typer.Option(
            "--fine", help="Fine stage: gm (robust point-to-plane on a grid of a third of the voxel) or none."
        ),
    ] = Fine(RegistrationConfig.fine),
    voxel: Annotated[
        Optional[float],
        typer.Option(
            "--voxel",
            help="Voxel size in the clouds' units (default: from the data, 1/80 of the target's box diagonal and at "
            "least the point spacing); normals use 2x, FPFH 5x this radius.",
            show_default=False,
        ),
    ] = RegistrationConfig.voxel,
    delta: Annotated[
        Optional[float],
        typer.Option(
            "--delta", help="Final Geman-McClure scale of the coarse stage (default: 1.5 x voxel).", show_default=False
        ),
    ] = RegistrationConfig.delta,
    fine_delta: Annotated[
        Optional[float],
        typer.Option(
            "--fine-delta", help="Final Geman-McClure scale of the fine stage (default: voxel / 2).", show_default=False
        ),
    ] = RegistrationConfig.fine_delta,
    fine_max_distance: Annotated[
        Optional[float],
        typer.Option(
            "--fine-max-distance",
            help="Correspondence cut-off of the fine stage (default: 3 x voxel).",
            show_default=False,
        ),
    ] = RegistrationConfig.fine_max_distance,
    inlier_threshold: Annotated[
        Optional[float],
        typer.Option(
            "--inlier-threshold",
            help="Distance for fitness, inlier RMSE and the success flag (default: 1.5 x voxel).",
            show_default=False,
        ),
    ] = RegistrationConfig.inlier_threshold,
    starts: Annotated[
        int, typer.Option("--starts", min=1, help="FGR runs: 1 is the paper's single run; more add verified restarts.")
    ] = RegistrationConfig.starts,
    min_coarse_inliers: Annotated[
        int,
        typer.Option(
            "--min-coarse-inliers",
            min=0,
            help="Success flag: feature matches the coarse answer explains, at least.",
            rich_help_panel="Success flag",
        ),
    ] = SuccessCriteria.min_coarse_inliers,
    min_fitness: Annotated[
        float,
        typer.Option(
            "--min-fitness",
            min=0.0,
            max=1.0,
            help="Success flag: share of source points within the inlier threshold.",
            rich_help_panel="Success flag",
        ),
    ] = SuccessCriteria.min_fitness,
    max_rmse_voxels: Annotated[
        float,
        typer.Option(
            "--max-rmse-voxels",
            min=0.0,
            help="Success flag: inlier RMSE at most this many voxels.",
            rich_help_panel="Success flag",
        ),
    ] = SuccessCriteria.max_rmse_voxels,
    min_normal_agreement: Annotated[
        float,
        typer.Option(
            "--min-normal-agreement",
            min=0.0,
            max=1.0,
            help="Success flag: share of overlapping points whose normals agree within 30 degrees.",
            rich_help_panel="Success flag",
        ),
    ] = SuccessCriteria.min_normal_agreement,
    log_file: Annotated[
        Optional[Path],
        typer.Option(
            "--log",
            help="Also write the transforms as a .log trajectory file ('i j n' + 4x4 per pair, the Redwood/3DMatch/"
            "FGR format); i and j are the numbers the target and source file names end with.",
        ),
    ] = None,
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
    units: Annotated[
        RegisterUnits,
        typer.Option(
            "--units",
            help="Units of the sources: auto reads each cloud's from its size (as for a face or head: a box "
            "diagonal under 5 is metres, under 100 centimetres, else millimetres) and scales a source into the "
            "target's units when they differ and the sizes then agree better; same never scales (and refuses sizes "
            "10x apart); mm, cm or m force the sources' units. A scaled source's transform includes the factor "
            "(stored as source_scale).",
        ),
    ] = RegisterUnits(RegistrationConfig.units),
    face_crop: Annotated[
        bool,
        typer.Option(
            "--face-crop/--no-face-crop",
            help="Register only each source's face: the box of ±90 mm across, 110 mm below, 120 mm above and "
            "150 mm behind its nose tip (the most forward point of the face upright: the target must look along "
            "+Z; a source mesh written another way is turned first, see --orient; the fine stage also starts "
            "from nose tip on nose tip and keeps the better fit), as landmarks3d cuts it; a head scan loses its "
            "neck, shoulders and the back of its head. The moved source written by --write-aligned is still the "
            "whole scan.",
        ),
    ] = RegistrationConfig.face_crop,
    orient: Annotated[
        Orient,
        typer.Option(
            "--orient",
            help="With --face-crop: auto finds which way a source mesh's face looks (the face detector on renders "
            "of it), cuts the face in its upright frame and starts the fine stage from the turn that makes it "
            "upright; given: the source looks along +Z (point clouds always).",
        ),
    ] = Orient(RegistrationConfig.orient),
    sample_id: Annotated[
        Optional[str],
        typer.Option("--id", help="Sample id of a single pair in the output [SRC's name without suffix]."),
    ] = None,
    pattern: PatternOpt = CLOUD_PATTERN,
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Rigidly register scans (meshes or point clouds, in any units).

    FPFH features on a voxel grid, mutual matches, a coarse solve (FGR's graduated
    non-convexity with Geman-McClure weights and Kabsch, or RANSAC), then robust
    point-to-plane Geman-McClure refinement on a grid of a third of the voxel. Every
    distance comes from the data unless given: the voxel is 1/80 of the target's box
    diagonal (3 mm for a face scan in mm) and the rest are multiples of it (-v shows them;
    the output stores them per pair). Reads PLY (ASCII or binary), OBJ, OFF, STL, PCD,
    XYZ/XYZN/PTS/TXT and NPY ((N, 3) or (N, 6) arrays).

    Writes one HDF5 file (kind registration): transform (4x4, source onto target),
    coarse_transform, fitness, inlier_rmse, ok (the success flag) with its measures
    (quality), the distances used (scales), seconds per stage and correspondence counts.
    A pair is flagged not ok when the coarse answer explains too few feature matches,
    too few points overlap, their RMSE is too large, or the normals disagree; such
    pairs are listed on stderr and counted in the summary.

    Examples:

      facecli register scan_a.ply scan_b.ply -o ab.h5 --preview ab.png

      facecli register --template mean.ply scans/ -o all.h5 --workers 2 --shard 1/4

      facecli register --pairs pairs/ -o reg.h5 && facecli evaluate register reg.h5 --gt pairs/gt.h5

      facecli register cloud_bin_1.ply cloud_bin_0.ply --log out.log && facecli evaluate register out.log --gt gt.log
    """
    from facecli.batch import run_batch
    from facecli.io.atomic import check_distinct
    from facecli.io.container import ContainerWriter
    from facecli.registration.jobs import ARRAY_ATTRS
    from facecli.train.distributed import resolve_device

    state = get_state()
    device = "cuda" if resolve_device(state.device).startswith("cuda") else "cpu"
    cfg = RegistrationConfig(
        voxel=voxel,
        method=method.value,
        fine=fine.value,
        delta=delta,
        fine_delta=fine_delta,
        fine_max_distance=fine_max_distance,
        inlier_threshold=inlier_threshold,
        starts=starts,
        seed=state.seed,
        device=device,
        success=SuccessCriteria(min_coarse_inliers, min_fitness, max_rmse_voxels, min_normal_agreement),
        units=units.value,
        face_crop=face_crop,
        orient=orient.value,
    )
    items, job, single = _items_and_job(cfg, list(inputs or []), template, pairs, pattern, shard, on_error, sample_id)
    output = output_file(output, "register.h5", inputs=items, also=[template, *([job.target_path] if single else [])])
    if log_file is not None:
        check_distinct([log_file], [output, template, *([job.target_path] if single else [])], what="--log")
    _side_outputs(job, single, write_aligned, preview)
    writer = ContainerWriter(
        output,
        "registration",
        producer="facecli register",
        argv=state.argv,
        params=cfg.as_dict(),
        resume=resume,
        array_attrs=ARRAY_ATTRS,
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
    report = report_registrations(output, cfg.success)
    log(
        f"registered {summary.processed} of {len(items)} ({summary.skipped_existing} already done, "
        f"{len(summary.failures)} failed); {report['ok']} of {report['pairs']} flagged ok, "
        f"in {summary.seconds:.1f} s"
    )
    outs: list[Path] = [output]
    if log_file is not None:
        outs.append(write_log_file(output, log_file))
    emit(
        outs,
        as_json=as_json,
        summary={"method": cfg.method, "fine": cfg.fine, "ok": report["ok"], **summary.as_dict()},
    )


def report_registrations(output: Path, criteria: object) -> dict[str, int]:
    """Warn about every pair of ``output`` flagged not ok (what failed); ``-v`` also shows the distances.

    Returns:
        ``{"pairs": n, "ok": k}`` over the whole file (resumed pairs included).
    """
    import numpy as np

    from facecli.io.container import ContainerReader
    from facecli.registration.quality import failed_checks
    from facecli.registration.scale import SCALE_COLUMNS

    reader = ContainerReader(output, kind="registration")
    ids = reader.ids
    if not ids:
        return {"pairs": 0, "ok": 0}
    ok = np.asarray(reader.read("ok"), bool).reshape(-1)
    if "source_scale" in reader.keys():
        factors = np.asarray(reader.read("source_scale"), np.float64).reshape(-1)
        for f in sorted(set(factors[factors != 1.0].tolist())):
            n = int(np.sum(factors == f))
            log(
                f"{n} source{'s' if n > 1 else ''} in other units than the target: scaled by {f:g} "
                "(the transforms include it; --units to set the sources' units)"
            )
    quality = np.asarray(reader.read("quality"), np.float64)
    scales = np.asarray(reader.read("scales"), np.float64)
    for i, sid in enumerate(ids):
        log(f"{sid}: " + ", ".join(f"{n} {v:.4g}" for n, v in zip(SCALE_COLUMNS, scales[i])), level="debug")
    wrong = [
        f"{sid}: likely wrong ({'; '.join(failed_checks(quality[i], criteria))})"
        for i, sid in enumerate(ids)
        if not ok[i]
    ]
    log_capped(wrong, limit=20, more="pairs flagged not ok", level="warning")
    return {"pairs": len(ids), "ok": int(ok.sum())}


def write_log_file(output: Path, log_file: Path) -> Path:
    """Write every pair of ``output`` as a ``.log`` entry, sorted by (target, source) number."""
    import numpy as np

    from facecli.errors import InputError
    from facecli.io.container import ContainerReader
    from facecli.io.trajectory import LogEntry, write_log

    reader = ContainerReader(output, kind="registration")
    ids = reader.ids
    nums = np.asarray(reader.read("pair"), np.int64).reshape(-1, 2) if ids else np.zeros((0, 2), np.int64)
    bad = [sid for sid, (i, j) in zip(ids, nums) if i < 0 or j < 0]
    if bad:
        raise InputError(
            f"cannot write --log: the file names of {bad[0]} (and {len(bad) - 1} more) do not end with fragment "
            f"numbers (cloud_bin_3.ply is fragment 3)"
        )
    count = int(nums.max()) + 1 if len(nums) else 0
    entries = sorted(
        (LogEntry(int(i), int(j), count, t) for (i, j), t in zip(nums, reader.read("transform"))),
        key=lambda e: (e.target, e.source),
    )
    return write_log(log_file, entries)
