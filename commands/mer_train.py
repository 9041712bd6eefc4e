"""``facecli mer-train``: leave-one-subject-out micro-expression recognition (a
multi-stream capsule network on the onset→apex optical flow and the apex crop)."""

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
    get_state,
    log,
    output_file,
    progress,
    run_into_container,
)
from facecli.microexpr.protocols import PROTOCOLS
from facecli.microexpr.recognition import MERConfig

app = typer.Typer(
    no_args_is_help=True,
    help="Micro-expression recognition, leave-one-subject-out: 'prepare' caches each clip's onset->apex "
    "optical flow and apex crop (kind flow), 'loso' trains one capsule network per test subject and "
    "writes the MEGC result_log.csv with pooled UF1/UAR, 'report' rebuilds them from finished folds.",
)

__all__ = ["app"]


#: Default of --stream-dropout (MERConfig's default too).
STREAM_DROPOUT = 0.0


#: --protocol choices: the protocols of facecli.microexpr.protocols.PROTOCOLS.
Protocol = Enum("Protocol", {name: name for name in PROTOCOLS}, type=str)  # type: ignore[misc]


def _sheet_of(root: Path) -> Path:
    from facecli.errors import InputError
    from facecli.io.microexpr import guess_dataset

    found = []
    for p in sorted(root.iterdir()) if root.is_dir() else []:
        if p.suffix.lower() in (".xlsx", ".csv") and p.is_file():
            try:
                guess_dataset(p)
            except Exception:  # noqa: BLE001 - not a coding sheet
                continue
            found.append(p)
    xlsx = [p for p in found if p.suffix.lower() == ".xlsx"]
    pick = xlsx or found
    if len(pick) != 1:
        raise InputError(
            f"expected one coding sheet in {root} (or --coding SHEET for it), found "
            f"{len(pick)}{': ' + ', '.join(p.name for p in pick) if pick else ''}"
        )
    return pick[0]


@app.command("prepare")
@boundary
def prepare(
    roots: Annotated[
        list[Path],
        typer.Argument(
            help="Dataset roots (CASME II, SAMM, SMIC layouts); one per dataset of a composite.", show_default=False
        ),
    ],
    output: OutputOpt = Path("flow.h5"),
    coding: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--coding", help="Coding sheet of each root, in the same order (default: the one .xlsx/.csv in the root)."
        ),
    ] = None,
    apex: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--apex",
            help="apex-detect output(s) giving the apex of clips whose sheet has none (SMIC); without it they are "
            "spotted here.",
        ),
    ] = None,
    face_box: FaceBoxOpt = "auto",
    size: Annotated[
        int, typer.Option("--size", min=16, help="Side of the cached flow and apex crop, pixels (a multiple of 8).")
    ] = 64,
    shard: ShardOpt = None,
    workers: WorkersOpt = 1,
    resume: ResumeOpt = False,
    on_error: OnErrorOpt = OnError.stop,
    as_json: JsonOpt = False,
) -> None:
    """Cache each coded clip's recognition inputs in OUTPUT (kind flow).

    Per clip: the onset->apex optical flow (u, v with the head's motion removed, and
    optical strain) and the grey apex crop, both SIZE x SIZE, plus the clip's
    dataset, subject, emotion and frames used. Reads two frames per clip (all of
    them when the apex must be spotted).

    Examples:

      facecli mer-train prepare casme2/ samm/ smic/ -o flow.h5 --face-box 30,10,100,135

      facecli apex-detect smic/ --coding smic/SMIC.xlsx -o smic_apex.h5

      facecli mer-train prepare smic/ --apex smic_apex.h5 -o smic_flow.h5
    """
    from facecli.errors import InputError, UsageError
    from facecli.io.clips import find_clip_dir
    from facecli.io.container import ContainerReader, ContainerWriter
    from facecli.io.inputs import InputItem, apply_shard, parse_shard
    from facecli.io.microexpr import guess_dataset, read_coding_sheet
    from facecli.microexpr.inputs import FLOW_ATTRS, ClipCoding, FlowJob
    from facecli.microexpr.rois import parse_face_box

    state = get_state()
    if size % 8:
        raise UsageError(f"expected --size to be a multiple of 8, got {size}")
    if coding and len(coding) != len(roots):
        raise UsageError(f"expected one --coding sheet per root ({len(roots)}), got {len(coding)}")
    sheets = list(coding) if coding else [_sheet_of(r) for r in roots]
    items: list[InputItem] = []
    codes: dict[str, ClipCoding] = {}
    for root, sheet in zip(roots, sheets):
        if not root.is_dir():
            raise InputError(f"no such dataset root: {root}")
        ds = guess_dataset(sheet)
        for c in read_coding_sheet(sheet, ds):
            try:
                d = find_clip_dir(root, c.subject, c.clip)
                error = None
            except InputError as exc:  # with --on-error skip: listed as a failure, the others go on
                if on_error != OnError.skip:
                    raise
                d, error = root / c.subject / c.clip, str(exc)
            cid = f"{ds}/{d.relative_to(root).as_posix()}"
            if cid in codes:
                raise InputError(f"clip {cid} appears twice (in {sheet})")
            items.append(InputItem(cid, d, error=error))
            codes[cid] = ClipCoding(ds, c.subject, c.clip, c.emotion, c.onset, c.offset, c.apex)
    apex_map: dict[str, int] = {}
    by_clip: dict[str, list[str]] = {}  # apex-detect ids are subject/clip under one root
    for cid in codes:
        by_clip.setdefault(cid.split("/", 1)[1], []).append(cid)
    for f in apex or []:
        with ContainerReader(f, kind="apex") as r:
            for sid, a in zip(r.ids, r.read("apex")):
                for cid in by_clip.get(sid, []):
                    apex_map[cid] = int(a)
    items = apply_shard(sorted(items), parse_shard(shard))
    output = output_file(output, "flow.h5", inputs=items, also=[*sheets, *(apex or [])])
    job = FlowJob(
        coding=codes, size=size, box=parse_face_box(face_box), detect_face=face_box == "auto", apex_file=apex_map
    )
    params = {
        "size": size,
        "face_box": face_box,
        "coding": [str(s) for s in sheets],
        "apex": [str(a) for a in apex or []],
    }
    writer = ContainerWriter(
        output,
        "flow",
        producer="facecli mer-train prepare",
        argv=state.argv,
        params=params,
        resume=resume,
        array_attrs=FLOW_ATTRS,
    )
    summary = run_into_container(
        items,
        job,
        writer,
        on_error=on_error,
        workers=workers,
        desc="flow",
        what="flow and apex crops",
        unit="clips",
        output=output,
    )
    emit([output], as_json=as_json, summary={"inputs": len(items), **summary.as_dict()})


def _streams(text: str) -> tuple[str, ...]:
    from facecli.models.capsnet import STREAM_CHANNELS

    out = tuple(s.strip() for s in text.split(",") if s.strip())
    bad = [s for s in out if s not in STREAM_CHANNELS]
    if not out or bad:
        raise typer.BadParameter(f"expected streams from {','.join(STREAM_CHANNELS)}, got {text!r}")
    return out


def _print_report(rep: dict, title: str) -> None:
    log(
        f"{title}: UF1 {rep['uf1']:.4f}  UAR {rep['uar']:.4f} over {rep['clips']} clips "
        f"({rep['folds_finished']}/{rep['folds_total']} folds{'' if rep['complete'] else ', INCOMPLETE'})"
    )
    for ds, r in rep.get("per_dataset", {}).items():
        log(f"  {ds}: UF1 {r['uf1']:.4f}  UAR {r['uar']:.4f} ({r['clips']} clips)")
    if "oracle_optimistic" in rep:
        o = rep["oracle_optimistic"]
        log(
            f"OPTIMISTIC, not a valid result (best test epoch per fold, as the source repositories pick it): "
            f"UF1 {o['uf1']:.4f}  UAR {o['uar']:.4f}"
        )


@app.command("loso")
@boundary
def loso(
    flow: Annotated[Path, typer.Argument(help="A flow file from 'mer-train prepare'.")],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Run directory: run.json, folds/, models/, result_log.csv, metrics.json."),
    ] = Path("mer_run"),
    protocol: Annotated[
        Protocol,
        typer.Option(
            "--protocol", help="megc2019 (3 classes over CASME II + SAMM + SMIC), casme2 (5), smic (3) or samm (5)."
        ),
    ] = Protocol.megc2019,
    streams: Annotated[
        str,
        typer.Option(
            "--streams",
            callback=lambda v: ",".join(_streams(v)),
            help="Input streams, comma-separated: flow, apex, normals.",
        ),
    ] = ",".join(MERConfig.streams),
    normals: Annotated[
        Optional[Path],
        typer.Option(
            "--normals",
            help="normals file of the apex frames (ids: the clip or its apex image), for the normals stream.",
        ),
    ] = None,
    folds: Annotated[
        Optional[str],
        typer.Option(
            "--folds",
            help="Run only folds K..L (1-based, inclusive) or K; merge slices by copying their folds/ into one run "
            "and 'mer-train report'.",
        ),
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Fixed epoch budget per fold.")] = MERConfig.epochs,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Clips per step.")] = MERConfig.batch_size,
    lr: Annotated[float, typer.Option("--lr", help="AdamW peak learning rate (cosine decay).")] = MERConfig.lr,
    width: Annotated[
        int, typer.Option("--width", min=2, help="Channels of each stream's first conv.")
    ] = MERConfig.width,
    val_share: Annotated[
        float,
        typer.Option(
            "--val-share",
            min=0.0,
            max=0.5,
            help="Share of the training subjects held out to pick the epoch (0: keep the last epoch).",
        ),
    ] = MERConfig.val_share,
    stream_dropout: Annotated[
        float,
        typer.Option(
            "--stream-dropout",
            min=0.0,
            max=1.0,
            help="Training only: blank one random stream of a clip with this probability, so no stream is relied on "
            "alone.",
        ),
    ] = MERConfig.stream_dropout,
    augment: Annotated[
        bool, typer.Option("--augment/--no-augment", help="Random flips and shifts of the training clips.")
    ] = MERConfig.augment,
    class_weighting: Annotated[
        bool,
        typer.Option(
            "--class-weighting/--no-class-weighting",
            help="Weight the loss by inverse class frequency of the training clips.",
        ),
    ] = MERConfig.class_weighting,
    oracle_epoch: Annotated[
        bool,
        typer.Option(
            "--oracle-epoch",
            help="Also report what picking the best TEST epoch per fold would claim (printed apart, labelled "
            "optimistic; never used).",
        ),
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run in OUTPUT: finished folds are kept, an interrupted fold continues from its last "
            "epoch.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Leave-one-subject-out training and testing.

    One network per fold is trained from scratch on every other subject; the test
    subject is predicted once, with the last epoch's model (or the epoch picked on
    --val-share of the training subjects). UF1 and UAR are computed on the
    predictions pooled over all folds, overall and per dataset.

    Examples:

      facecli --seed 0 mer-train loso flow.h5 -o runs/megc --protocol megc2019

      facecli mer-train loso flow.h5 -o runs/megc --folds 1..16 && facecli evaluate mer runs/megc/result_log.csv
    """
    from facecli.microexpr.protocols import loso_folds, parse_fold_range
    from facecli.microexpr.recognition import MERConfig, load_mer_data, run_loso
    from facecli.train.distributed import resolve_device

    state = get_state()
    stream_names = _streams(streams)
    if "normals" in stream_names and normals is None:
        from facecli.errors import InputError

        raise InputError("the normals stream was asked for, but no normals were given (--normals FILE)")
    data = load_mer_data(flow, protocol.value, normals=normals)
    n_folds = len(loso_folds(data.subject_keys))
    chosen = parse_fold_range(folds, n_folds)
    cfg = MERConfig(
        streams=stream_names,
        width=width,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        val_share=val_share,
        class_weighting=class_weighting,
        augment=augment,
        seed=state.seed,
        oracle=oracle_epoch,
        stream_dropout=stream_dropout,
    )
    dropped = ", ".join(f"{k} {v}" for k, v in sorted(data.dropped.items()))
    log(
        f"{protocol.value}: {len(data)} clips, {n_folds} subjects, classes {', '.join(data.protocol.classes)}"
        + (f"; left out (no class in the protocol): {dropped}" if dropped else "")
    )
    rep = run_loso(
        data,
        cfg,
        output,
        flow_path=flow,
        folds=chosen,
        device=resolve_device(state.device),
        resume=resume,
        log=log,
        progress=progress,
    )
    _print_report(rep, "pooled over the finished folds")
    emit(
        [output / "result_log.csv", output / "metrics.json"],
        as_json=as_json,
        summary={k: rep[k] for k in ("uf1", "uar", "clips", "folds_finished", "folds_total", "complete", "ran")}
        | {"per_dataset": rep.get("per_dataset", {})},
    )


@app.command("report")
@boundary
def report(
    run: Annotated[
        Path, typer.Argument(help="A run directory of 'mer-train loso' (possibly merged from --folds slices).")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Rebuild result_log.csv and metrics.json from the run's finished folds.

    Example:

      cp other_machine/runs/megc/folds/*.json runs/megc/folds/ && facecli mer-train report runs/megc
    """
    from facecli.microexpr.recognition import assemble_run

    rep = assemble_run(run)
    _print_report(rep, "pooled over the finished folds")
    emit(
        [run / "result_log.csv", run / "metrics.json"],
        as_json=as_json,
        summary={k: rep[k] for k in ("uf1", "uar", "clips", "folds_finished", "folds_total", "complete")},
    )
