"""``facecli synth``: synthetic data in the real datasets' layouts, with exact ground truth."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from facecli.commands._common import JsonOpt, OutputOpt, boundary, emit, get_state, log, progress
from facecli.io.microexpr import ME_DATASETS

app = typer.Typer(
    help="Synthetic faces and datasets in the real layouts (FaceScape, 300W, WFLW, LFW, CASME II/SAMM/SMIC, scan "
    "pairs).",
    no_args_is_help=True,
)


class Scheme(str, Enum):
    ibug68 = "ibug68"
    wflw98 = "wflw98"


#: Micro-expression layouts: the datasets of facecli.io.microexpr.ME_DATASETS.
MELayout = Enum("MELayout", {name: name for name in ME_DATASETS}, type=str)  # type: ignore[misc]


SizeOpt = Annotated[int, typer.Option("--size", min=32, max=2048, help="Image width and height in pixels.")]


def _report(outputs: list[Path], as_json: bool, what: str, count: int, t0: float, **extra: object) -> None:
    secs = time.perf_counter() - t0
    rate = count / secs if secs > 0 else 0.0
    log(f"wrote {count} {what} in {secs:.1f} s ({rate:.2f} {what}/s)")
    emit(
        outputs,
        as_json=as_json,
        summary={"count": count, "unit": what, "seconds": round(secs, 3), "per_second": round(rate, 3), **extra},
    )


def _range(text: str, name: str) -> tuple[float, float]:
    from facecli.errors import InputError

    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"expected {name} A,B (numbers), got {text!r}") from None
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2:
        raise InputError(f"expected {name} A,B (two numbers), got {text!r}")
    return vals[0], vals[1]


@app.command("faces3d")
@boundary
def faces3d(
    output: OutputOpt,
    subjects: Annotated[int, typer.Option("--subjects", min=1, help="Number of people.")] = 10,
    expressions: Annotated[
        int,
        typer.Option(
            "--expressions",
            min=1,
            max=8,
            help="Expressions per person (FaceScape's first E of: neutral, smile, mouth_stretch, anger, sadness, "
            "eye_closed, brow_raiser, brow_lower).",
        ),
    ] = 3,
    start: Annotated[int, typer.Option("--start", min=1, help="First subject id (to grow a dataset).")] = 1,
    shape_spread: Annotated[
        float,
        typer.Option(
            "--shape-spread",
            min=0.1,
            max=3.0,
            help="Multiply the face model's shape spread: 1 is its own range; 1.5-2 draws rarer proportions "
            "(wide mouths, short upper lips) for training data that must cover real scans.",
        ),
    ] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """FaceScape layout: OUTPUT/<id>/<k>_<expr>.obj (mm, shared topology) + landmark_indices.npz (key v10)."""
    from facecli.synth.faces3d import write_faces3d

    t0 = time.perf_counter()
    out = write_faces3d(
        output,
        subjects=subjects,
        expressions=expressions,
        seed=get_state().seed,
        start=start,
        shape_spread=shape_spread,
        progress=lambda it: progress(it, total=subjects, desc="faces3d"),
    )
    _report(out, as_json, "meshes", subjects * expressions, t0)


@app.command("images")
@boundary
def images(
    output: OutputOpt,
    scheme: Annotated[
        Scheme, typer.Option("--scheme", help="ibug68 → 300W layout with .pts; wflw98 → WFLW lists.")
    ] = Scheme.wflw98,
    count: Annotated[int, typer.Option("--count", min=1, help="Number of images.")] = 100,
    size: SizeOpt = 256,
    as_json: JsonOpt = False,
) -> None:
    """Face images with landmarks in the 300W or WFLW layout, plus synth_gt.h5 (normals, depth, masks)."""
    from facecli.synth.images import write_images

    t0 = time.perf_counter()
    out = write_images(
        output,
        scheme=scheme.value,
        count=count,
        seed=get_state().seed,
        size=size,
        progress=lambda it: progress(it, total=count, desc="images"),
    )
    _report(out, as_json, "images", count, t0)


@app.command("identities")
@boundary
def identities(
    output: OutputOpt,
    identities: Annotated[
        int, typer.Option("--identities", min=20, help="Number of people (>= 20: two per LFW fold).")
    ] = 40,
    per_identity: Annotated[int, typer.Option("--per-identity", min=2, help="Images per person.")] = 4,
    pairs_per_fold: Annotated[
        int, typer.Option("--pairs-per-fold", min=1, help="Matched (and mismatched) pairs per fold, at most.")
    ] = 300,
    size: SizeOpt = 250,
    normal_size: Annotated[
        int, typer.Option("--normal-size", min=32, help="Size of the ground-truth normal maps.")
    ] = 128,
    start: Annotated[
        int,
        typer.Option(
            "--start",
            min=0,
            help="Index of the first person: sets with disjoint index ranges share nobody (e.g. training 0..299, "
            "test --start 1000).",
        ),
    ] = 0,
    yaw_sd: Annotated[
        float,
        typer.Option(
            "--yaw-sd", min=0.0, help="Standard deviation of head yaw in degrees (35 gives ~20 % of images beyond 45°)."
        ),
    ] = 15.0,
    max_yaw: Annotated[
        float, typer.Option("--max-yaw", min=1.0, max=85.0, help="Yaw is clipped to +-this many degrees.")
    ] = 80.0,
    as_json: JsonOpt = False,
) -> None:
    """LFW layout: OUTPUT/<name>/<name>_0001.jpg, pairs.txt (10 folds), normals_gt.h5 and
    poses.csv (true yaw/pitch/roll per image, for large-pose evaluation)."""
    from facecli.synth.identities import write_identities

    t0 = time.perf_counter()
    out = write_identities(
        output,
        identities=identities,
        per_identity=per_identity,
        seed=get_state().seed,
        size=size,
        pairs_per_fold=pairs_per_fold,
        normal_size=normal_size,
        start=start,
        yaw_sd=yaw_sd,
        max_yaw=max_yaw,
        progress=lambda it: progress(it, total=identities, desc="identities"),
    )
    _report(out, as_json, "images", identities * per_identity, t0)


@app.command("microexpr")
@boundary
def microexpr(
    output: OutputOpt,
    subjects: Annotated[int, typer.Option("--subjects", min=1, help="Number of people.")] = 4,
    clips: Annotated[int, typer.Option("--clips", min=1, help="Clips per person.")] = 3,
    layout: Annotated[MELayout, typer.Option("--layout", help="Dataset layout and coding sheet.")] = MELayout.casme2,
    frames: Annotated[str, typer.Option("--frames", help="MIN,MAX clip length in frames (200 fps).")] = "60,100",
    size: SizeOpt = 256,
    head_jitter: Annotated[
        float,
        typer.Option(
            "--head-jitter",
            min=0.0,
            help="Scale of the head's slow random walk (1: rotation steps of 0.04 deg and shifts of 0.03 px per "
            "frame; 0: a still head).",
        ),
    ] = 1.0,
    noise: Annotated[float, typer.Option("--noise", min=0.0, help="Pixel noise s.d., grey levels.")] = 2.0,
    as_json: JsonOpt = False,
) -> None:
    """Micro-expression clips (CASME II, SAMM or SMIC layout) + coding sheet (.xlsx and .csv).

    --head-jitter and --noise change only the head's motion and the pixel noise (the same
    people, timings and expressions for the same --seed), so the error of a spotter can be
    split by source.
    """
    from facecli.errors import InputError
    from facecli.synth.microexpr import write_microexpr

    try:
        lo, hi = (int(v) for v in frames.split(","))
    except ValueError as exc:
        raise InputError(f"expected --frames MIN,MAX (e.g. 60,100), got {frames!r}") from exc
    t0 = time.perf_counter()
    out = write_microexpr(
        output,
        subjects=subjects,
        clips=clips,
        seed=get_state().seed,
        layout=layout.value,
        size=size,
        frames=(lo, hi),
        head_jitter=head_jitter,
        noise=noise,
        progress=lambda it: progress(it, total=subjects * clips, desc="clips"),
    )
    _report(out, as_json, "clips", subjects * clips, t0)


@app.command("pairs")
@boundary
def pairs(
    output: OutputOpt,
    count: Annotated[int, typer.Option("--count", min=1, help="Number of pairs.")] = 20,
    overlap: Annotated[
        str, typer.Option("--overlap", help="A,B: range of the source's overlap with the target.")
    ] = "0.4,0.95",
    noise: Annotated[
        str, typer.Option("--noise", help="A,B: range of the Gaussian noise sigma, mm (one value: fixed).")
    ] = "0,0.5",
    outliers: Annotated[
        str, typer.Option("--outliers", help="A,B: range of the share of uniform outliers added.")
    ] = "0,0.1",
    shape: Annotated[
        str, typer.Option("--shape", help="face (partial face scans) or object (random non-face objects).")
    ] = "face",
    unit_scale: Annotated[
        float,
        typer.Option(
            "--unit-scale", help="Multiply every coordinate by this (0.001: metres; 0.01: objects ~2 units across)."
        ),
    ] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Registration pairs of partial scans (PLY) with ground-truth transforms in gt.h5."""
    from facecli.synth.pairs import write_pairs_dataset

    t0 = time.perf_counter()
    out = write_pairs_dataset(
        output,
        count=count,
        seed=get_state().seed,
        overlap=_range(overlap, "--overlap"),
        noise=_range(noise, "--noise"),
        outliers=_range(outliers, "--outliers"),
        shape=shape,
        unit_scale=unit_scale,
        progress=lambda it: progress(it, total=count, desc="pairs"),
    )
    _report(out, as_json, "pairs", count, t0)


__all__ = ["app"]
