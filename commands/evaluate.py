"""``facecli evaluate``: the fields' metrics on predictions vs ground truth.

Each task's evaluator lands with its command's issue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from facecli.commands._common import JsonOpt, boundary, emit, get_state, log, show, stderr_table
from facecli.io.microexpr import ME_DATASETS

app = typer.Typer(help="The fields' metrics on predictions vs ground truth.", no_args_is_help=True)


@app.command("landmarks3d")
@boundary
def evaluate_landmarks3d(
    predictions: Annotated[Path, typer.Argument(help="Output of 'landmarks3d predict' (kind landmarks3d).")],
    gt: Annotated[
        Path,
        typer.Option(
            "--gt", help="The FaceScape-layout root the meshes came from (landmark_indices.npz + <id>/<k>_<expr>.obj)."
        ),
    ],
    key: Annotated[
        str, typer.Option("--key", help="Which landmarks to score: landmarks (final) or stage_one.")
    ] = "landmarks",
    plot: Annotated[
        Optional[Path], typer.Option("--plot", help="Write a bar chart PNG of the per-landmark error here.")
    ] = None,
    csv: Annotated[
        Optional[Path], typer.Option("--csv", help="Write per-mesh rows (id, subject, mean_mm, max_mm) here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Landmark error in mm: mean ± std, median and max over all landmarks of all
    meshes, per iBUG region, per subject, and per landmark (--plot, --json).

    Prediction ids are matched to the models under --gt (equal ids, or one ending
    with the other); predictions not found there are listed and left out.
    """
    import csv as csv_mod

    import numpy as np

    from facecli.errors import InputError
    from facecli.io.atomic import atomic_write, check_distinct
    from facecli.io.container import ContainerReader
    from facecli.landmarks3d.evaluation import match_ground_truth, plot_landmark_errors
    from facecli.metrics.landmarks3d import landmark_error_report, landmark_errors

    check_distinct([csv, plot], [predictions, gt], what="--csv/--plot")
    with ContainerReader(predictions, kind="landmarks3d") as r:
        ids = list(r.ids)
        if key not in r.keys():
            raise InputError(f"expected --key among {sorted(r.keys())}, got {key!r}")
        pred = np.asarray(r.read(key), dtype=np.float64)
    rows, truth, subjects, unmatched = match_ground_truth(ids, gt)
    if len(rows) == 0:
        raise InputError(f"no prediction id of {predictions} is a model under {gt} (e.g. {ids[:1]})")
    if unmatched:
        log(f"{len(unmatched)} predictions are not in {gt} and are left out (e.g. {unmatched[0]})", level="warning")
    err = landmark_errors(pred[rows], truth)
    rep = landmark_error_report(err, subjects)
    if csv is not None:
        with atomic_write(csv, newline="") as fh:
            w = csv_mod.writer(fh)
            w.writerow(["id", "subject", "mean_mm", "max_mm"])
            for k, i in enumerate(rows):
                w.writerow([ids[i], subjects[k], f"{err[k].mean():.4f}", f"{err[k].max():.4f}"])
    if plot is not None:
        plot_landmark_errors(
            plot,
            rep.per_landmark_mean,
            rep.per_landmark_std,
            title=f"{predictions.name} ({key}) vs {gt}: mean {rep.mean:.2f} ± {rep.std:.2f} mm over {rep.meshes} "
            "meshes",
        )
    if not as_json and not get_state().quiet:
        table = stderr_table(
            f"landmarks3d: {predictions} ({key}) vs {gt} ({rep.meshes} meshes, {len(set(subjects))} subjects)",
            ["", "mean mm", "std", "median", "max"],
        )
        table.add_row("all", f"{rep.mean:.3f}", f"{rep.std:.3f}", f"{rep.median:.3f}", f"{rep.max:.3f}")
        for name, v in rep.regions.items():
            table.add_row(name, f"{v:.3f}", "", "", "")
        show(table)
        worst = sorted(rep.subjects.items(), key=lambda kv: -kv[1])[:3]
        log("worst subjects: " + ", ".join(f"{s} {v:.2f} mm" for s, v in worst))
    emit(
        [p for p in (plot, csv) if p is not None],
        as_json=as_json,
        summary={**rep.as_dict(), "key": key, "unmatched": unmatched},
    )


@app.command("apex")
@boundary
def evaluate_apex(
    predictions: Annotated[Path, typer.Argument(help="Output of 'apex-detect' (kind apex).")],
    coding: Annotated[
        list[Path],
        typer.Option("--coding", help="Coding sheet(s) with the true apex (.xlsx/.csv); repeat for a composite."),
    ],
    dataset: Annotated[
        str, typer.Option("--dataset", help=f"Layout of the sheets: auto or {', '.join(ME_DATASETS)}.")
    ] = "auto",
    truth: Annotated[
        Optional[Path],
        typer.Option("--truth", help="synth_microexpr.json: true apexes for sheets without them (SMIC)."),
    ] = None,
    within: Annotated[
        int, typer.Option("--within", min=0, help="Report the share of clips within this many frames.")
    ] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Apex error in frames: MAE, median, RMSE and the share within ±5 frames, per
    dataset and pooled, with the onset-offset midpoint baseline in the same table.

    Clips are matched by subject/clip (SMIC's s1/s01 spellings agree). SMIC sheets
    carry no apex: give --truth (synthetic data) or leave SMIC out.
    """

    import numpy as np

    from facecli.errors import InputError
    from facecli.io.container import ContainerReader
    from facecli.io.microexpr import guess_dataset
    from facecli.io.text import read_json
    from facecli.microexpr.evaluation import apex_report, match_apexes, true_apexes

    with ContainerReader(predictions, kind="apex") as r:
        ids = list(r.ids)
        pred = np.asarray(r.read("apex"), dtype=np.int64)
    extra = read_json(truth, "synth_microexpr.json")["clips"] if truth is not None else {}
    sheets = [(sheet, guess_dataset(sheet) if dataset == "auto" else dataset) for sheet in coding]
    rows, unmatched = match_apexes(ids, pred, true_apexes(sheets, extra))
    if not rows:
        raise InputError(f"no clip of {predictions} is in the coding sheet(s) (e.g. {ids[:1]})")
    if unmatched:
        log(
            f"{len(unmatched)} clips are not in the coding sheet(s) and are left out (e.g. {unmatched[0]})",
            level="warning",
        )
    report = apex_report(rows, within=within)
    if not as_json and not get_state().quiet:
        table = stderr_table(
            f"apex: {predictions} (frames)", ["dataset", "clips", "", "MAE", "median", "RMSE", f"within ±{within}"]
        )
        for ds, rep in report.items():
            for name in ("method", "midpoint"):
                m = rep[name]
                table.add_row(
                    ds if name == "method" else "",
                    str(m["clips"]) if name == "method" else "",
                    "facecli" if name == "method" else "midpoint baseline",
                    f"{m['mae']:.2f}",
                    f"{m['median']:.1f}",
                    f"{m['rmse']:.2f}",
                    f"{100 * m[f'within_{within}']:.1f}%",
                )
        show(table)
    emit([], as_json=as_json, summary={"datasets": report, "unmatched": unmatched})


@app.command("align")
@boundary
def evaluate_align(
    predictions: Annotated[Path, typer.Argument(help="Output of 'align predict' (kind landmarks2d).")],
    gt: Annotated[Path, typer.Option("--gt", help="The WFLW or 300W root the faces came from.")],
    fmt: Annotated[str, typer.Option("--format", help="Layout of --gt: auto, wflw or 300w.")] = "auto",
    norm: Annotated[
        str, typer.Option("--norm", help="NME normaliser: inter-ocular (outer eye corners) or inter-pupil.")
    ] = "inter-ocular",
    threshold: Annotated[float, typer.Option("--threshold", min=1e-6, help="FR and AUC threshold on the NME.")] = 0.1,
    plot: Annotated[
        Optional[Path], typer.Option("--plot", help="Write the CED curve (per subset) as a PNG here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """NME (%), FR@0.1 (%) and AUC@0.1 overall and per subset (WFLW: test and its
    attribute subsets; 300W: common, challenging, full), and the CED plot.

    Faces are matched by id (the image path under the root; #k for the k-th face of
    an image). Faces of the ground truth without a prediction are reported.

    Example:

      facecli align predict WFLW/ --dataset -o wflw.h5 && facecli evaluate align wflw.h5 --gt WFLW/ --plot ced.png
    """

    import numpy as np

    from facecli.io.atomic import check_distinct
    from facecli.io.container import ContainerReader
    from facecli.landmarks2d.data import load_alignment_set
    from facecli.landmarks2d.evaluation import align_report
    from facecli.metrics.align import ced_curve

    check_distinct([plot], [predictions], what="--plot")
    with ContainerReader(predictions, kind="landmarks2d") as r:
        pred = dict(zip(r.ids, np.asarray(r.read("landmarks"))))
        exit_it = dict(zip(r.ids, np.asarray(r.read("exit_iteration")))) if "exit_iteration" in r.keys() else {}
    faces = load_alignment_set(gt, fmt=fmt, split="all")
    rep = align_report(
        pred, faces, norm=norm, threshold=threshold, exit_iterations=exit_it, source=str(predictions), truth=str(gt)
    )
    errs, groups, summary = rep.errors, rep.groups, rep.summary
    report = summary["subsets"]
    if plot is not None:
        from facecli.landmarks2d.evaluation import plot_ced

        curves = {
            name: ced_curve(errs[m], threshold)
            for name, m in groups.items()
            if m.any() and (name == "all" or len(groups) <= 9)
        }
        plot_ced(
            plot, curves, {name: report[name][f"auc@{threshold:g}"] for name in curves}, norm=norm, threshold=threshold
        )
    if not as_json and not get_state().quiet:
        table = stderr_table(
            f"align: {predictions} ({norm} NME)",
            ["subset", "faces", "NME %", f"FR@{threshold:g} %", f"AUC@{threshold:g}"],
        )
        for name, m in report.items():
            table.add_row(
                name,
                str(m["faces"]),
                f"{m['nme_pct']:.2f}",
                f"{m[f'fr@{threshold:g}_pct']:.2f}",
                f"{m[f'auc@{threshold:g}']:.4f}",
            )
        show(table)
    emit([plot] if plot is not None else [], as_json=as_json, summary=summary)


@app.command("mer")
@boundary
def evaluate_mer(
    log_file: Annotated[
        Path, typer.Argument(help="A MEGC result_log.csv ('db subject' lines, then 'clip gt pred' lines).")
    ],
    classes: Annotated[
        Optional[str],
        typer.Option(
            "--classes",
            help="Class names by index, comma-separated (default: from run.json next to the log, else MEGC's "
            "negative,positive,surprise when 3 classes fit).",
        ),
    ] = None,
    plot: Annotated[
        Optional[Path], typer.Option("--plot", help="Write the confusion matrix (row-normalised) as a PNG here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """UF1 and UAR on the predictions pooled over all folds, overall and per dataset,
    with per-class recall and the confusion matrix.

    The per-fold average (each fold's UF1/UAR, then the mean) is shown too, labelled:
    it is not the MEGC metric, and differs because a fold holds one subject's few clips.

    Example:

      facecli evaluate mer runs/megc/result_log.csv --plot confusion.png
    """

    import numpy as np

    from facecli.errors import FormatError, InputError
    from facecli.io.atomic import check_distinct
    from facecli.io.megc import read_result_log
    from facecli.io.microexpr import MEGC_CLASSES
    from facecli.io.text import read_json
    from facecli.metrics.mer import mer_report

    check_distinct([plot], [log_file], what="--plot")
    rows = read_result_log(log_file)
    if not rows:
        raise InputError(f"{log_file} holds no predictions")
    yt = np.array([r.gt for r in rows], dtype=np.int64)
    yp = np.array([r.pred for r in rows], dtype=np.int64)
    k = int(max(yt.max(), yp.max())) + 1
    if classes:
        names = [c.strip() for c in classes.split(",") if c.strip()]
    elif (log_file.parent / "run.json").exists():
        run_info = read_json(log_file.parent / "run.json", "the run's run.json")
        if not isinstance(run_info, dict) or not isinstance(run_info.get("classes"), list):
            raise FormatError(f"{log_file.parent / 'run.json'}: expected an object with a 'classes' list")
        names = [str(c) for c in run_info["classes"]]
    elif k <= len(MEGC_CLASSES):
        names = list(MEGC_CLASSES)
    else:
        names = [str(i) for i in range(k)]
    if k > len(names) or yt.min() < 0 or yp.min() < 0:
        raise InputError(
            f"{log_file}: class indices {int(min(yt.min(), yp.min()))}..{k - 1} do not fit the "
            f"{len(names)} classes {','.join(names)}"
        )
    rep = mer_report(yt, yp, names, datasets=[r.db for r in rows], folds=[r.fold for r in rows])
    rep["folds"] = len({r.fold for r in rows})
    if plot is not None:
        from facecli.microexpr.evaluation import plot_confusion

        plot_confusion(
            plot,
            np.array(rep["confusion"]),
            names,
            title=f"{log_file.name}: UF1 {rep['uf1']:.3f}, UAR {rep['uar']:.3f}",
        )
    if not as_json and not get_state().quiet:
        table = stderr_table(
            f"micro-expression recognition: {log_file} (pooled over {rep['folds']} folds)",
            ["dataset", "clips", "UF1", "UAR"],
        )
        for ds, r in rep.get("per_dataset", {}).items():
            table.add_row(ds, str(r["clips"]), f"{r['uf1']:.4f}", f"{r['uar']:.4f}")
        table.add_row("all", str(rep["clips"]), f"{rep['uf1']:.4f}", f"{rep['uar']:.4f}")
        show(table)
        rec = ", ".join(f"{c} {v:.3f}" if v is not None else f"{c} -" for c, v in rep["per_class_recall"].items())
        show(f"recall per class: {rec}")
        pf = rep["per_fold_average_not_megc"]
        show(f"per-fold average (not the MEGC metric): UF1 {pf['uf1']:.4f}, UAR {pf['uar']:.4f}")
    emit([plot] if plot is not None else [], as_json=as_json, summary=rep)


@app.command("register")
@boundary
def evaluate_register(
    predictions: Annotated[
        Path, typer.Argument(help="Output of facecli register (kind registration), or a .log trajectory file.")
    ],
    gt: Annotated[
        Path,
        typer.Option(
            "--gt", help="Ground truth: kind registration (e.g. synth pairs' gt.h5) or a .log file ('i j n' + 4x4)."
        ),
    ],
    sources: Annotated[
        Optional[Path],
        typer.Option(
            "--sources",
            help="Directory of the source fragments (their names end with the fragment number j), for the RMSE "
            "when the ground truth is a .log file.",
        ),
    ] = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Write per-pair rows here.")] = None,
    max_re: Annotated[float, typer.Option("--max-re", help="Recall threshold on the rotation error, degrees.")] = 2.0,
    max_te: Annotated[
        float, typer.Option("--max-te", help="Recall threshold on the translation error (the clouds' units).")
    ] = 2.0,
    max_rmse: Annotated[
        Optional[float],
        typer.Option(
            "--max-rmse",
            help="Also the recall at RMSE below this (the clouds' units; default: the --max-te value).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """RE (deg), TE, RMSE of the source points and recall, in the clouds' units.

    RE = arccos((tr(R_hat^T R) - 1) / 2); TE = ||t_hat - t||; RMSE = the root mean
    square of ||T_hat p - T p|| over the source points p (the FGR paper's measure; over
    the true positions of synth pairs' gt.h5, so that the sensor noise does not enter).
    Pairs are matched by id, or by fragment numbers 'i-j' when either file is a .log
    (register's output stores the numbers its file names end with). A pair of the
    ground truth with no prediction (failed, skipped, or missing) counts as a miss.
    Prints a summary table (stdout: the CSV path, or JSON with --json).
    """
    import csv as csv_mod
    import math

    from facecli.io.atomic import atomic_write, check_distinct
    from facecli.metrics.registration import score_registrations, summarize_registrations
    from facecli.registration.evaluation import read_registrations, source_fragments

    check_distinct([csv], [predictions, gt], what="--csv")
    by_numbers = gt.suffix.lower() == ".log" or predictions.suffix.lower() == ".log"
    est, _ = read_registrations(predictions, by_numbers=by_numbers)
    tru, pts = read_registrations(gt, by_numbers=by_numbers, with_points=True)
    src_pts = source_fragments(sources, tru) if sources is not None else None
    extra = sorted(set(est) - set(tru))
    if extra:
        log(f"{len(extra)} predicted ids are not in {gt} (ignored), e.g. {extra[0]}", level="warning")
    rows = score_registrations(est, tru, pts, src_pts)
    summ = summarize_registrations(
        rows, max_re=max_re, max_te=max_te, max_rmse=max_rmse if max_rmse is not None else max_te
    )
    if csv is not None:
        with atomic_write(csv, newline="") as fh:
            w = csv_mod.DictWriter(fh, fieldnames=["id", "found", "re_deg", "te_mm", "rmse_mm"])
            w.writeheader()
            for r in rows:
                w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    table = stderr_table(f"registration: {predictions} vs {gt}", ["metric", "value"], left=["metric"])

    def fmt(v: float) -> str:
        return "inf" if isinstance(v, float) and math.isinf(v) else f"{v:.4g}"

    table.add_row("pairs (found)", f"{summ['pairs']} ({summ['found']})")
    table.add_row(f"recall (RE<{max_re:g} deg, TE<{max_te:g})", f"{summ['recall']:.3f}")
    if "recall_rmse" in summ and math.isfinite(summ["rmse_median_mm"]):
        table.add_row(f"recall (RMSE<{summ['max_rmse']:g})", f"{summ['recall_rmse']:.3f}")
    table.add_row("RE median / p95 (deg)", f"{fmt(summ['re_median_deg'])} / {fmt(summ['re_p95_deg'])}")
    table.add_row("TE median / p95", f"{fmt(summ['te_median_mm'])} / {fmt(summ['te_p95_mm'])}")
    table.add_row("RMSE median", fmt(summ["rmse_median_mm"]))
    if not as_json and not get_state().quiet:
        show(table)
    emit([csv] if csv else [], as_json=as_json, summary=summ)


@app.command("normals")
@boundary
def evaluate_normals(
    predictions: Annotated[Path, typer.Argument(help="Output of facecli normals (kind normals).")],
    gt: Annotated[Path, typer.Option("--gt", help="Ground truth (kind normals, e.g. synth images' synth_gt.h5).")],
    scale: Annotated[
        Optional[int], typer.Option("--scale", help="Only this scale (default: every scale both files have).")
    ] = None,
    csv: Annotated[
        Optional[Path], typer.Option("--csv", help="Write per-sample rows (id, scale, mean, median) here.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Angular error (deg) of normal maps inside the ground-truth mask.

    Mean, median, RMSE and the % of pixels under 11.25, 22.5 and 30 degrees, pooled
    over all pixels of all samples, per scale; coverage is the share of ground-truth
    pixels the prediction's mask also covers (a pixel with no prediction counts as 90 deg).
    """
    import csv as csv_mod

    import numpy as np

    from facecli.errors import InputError
    from facecli.io.atomic import atomic_write, check_distinct
    from facecli.io.container import ContainerReader
    from facecli.metrics.normals import ANGLE_THRESHOLDS, angular_errors, summarize_angles

    check_distinct([csv], [predictions, gt], what="--csv")
    pred = ContainerReader(predictions, kind="normals")
    truth = ContainerReader(gt, kind="normals")

    def sizes(r: ContainerReader) -> set[int]:
        return {int(k.split("_")[1]) for k in r.keys() if k.startswith("normals_") and k.split("_")[1].isdigit()}

    common = sorted(sizes(pred) & sizes(truth), reverse=True)
    if scale is not None:
        if scale not in common:
            raise InputError(f"expected --scale among the scales both files have ({common}), got {scale}")
        common = [scale]
    if not common:
        raise InputError(f"no common scale: {predictions} has {sorted(sizes(pred))}, {gt} has {sorted(sizes(truth))}")
    gt_index = {sid: i for i, sid in enumerate(truth.ids)}
    shared = [(i, gt_index[sid], sid) for i, sid in enumerate(pred.ids) if sid in gt_index]
    missing = len(truth.ids) - len(shared)
    if not shared:
        raise InputError(f"no sample id of {predictions} is in {gt} (e.g. {pred.ids[:1]} vs {truth.ids[:1]})")
    if missing:
        log(f"{missing} ground-truth samples have no prediction (left out of the figures)", level="warning")
    if "face_box_source" in pred.keys() and "face_box_source" not in truth.keys():
        # photos framed on a detected face are not in the whole-image frame of a renderer's ground truth
        src = np.asarray(pred.read("face_box_source")).astype(str)
        framed = [sid for i, _, sid in shared if src[i] != "image"]
        if framed:
            raise InputError(
                f"{predictions}: {len(framed)} of {len(shared)} maps are framed on a face box (normals --boxes auto; "
                f"e.g. {framed[0]}), {gt} holds whole-image maps: run normals with --boxes image to score them"
            )
    per_scale: dict[str, dict] = {}
    rows = []
    for s in common:
        pn, pm = np.asarray(pred.read(f"normals_{s}")), np.asarray(pred.read(f"mask_{s}"))
        gn, gm = np.asarray(truth.read(f"normals_{s}")), np.asarray(truth.read(f"mask_{s}"))
        errs, covered, total = [], 0, 0
        for i, j, sid in shared:
            m = gm[j].astype(bool)
            pn_i = np.where(pm[i].astype(bool)[..., None], pn[i].astype(np.float32), 0.0)
            e = angular_errors(pn_i, gn[j], m)
            errs.append(e)
            covered += int((pm[i].astype(bool) & m).sum())
            total += int(m.sum())
            rows.append(
                {
                    "id": sid,
                    "scale": s,
                    "mean_deg": float(e.mean()) if e.size else float("nan"),
                    "median_deg": float(np.median(e)) if e.size else float("nan"),
                }
            )
        summ = summarize_angles(np.concatenate(errs))
        summ["coverage"] = covered / total if total else float("nan")
        per_scale[str(s)] = summ
    if csv is not None:
        with atomic_write(csv, newline="") as fh:
            w = csv_mod.DictWriter(fh, fieldnames=["id", "scale", "mean_deg", "median_deg"])
            w.writeheader()
            for r in rows:
                w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    table = stderr_table(
        f"normals: {predictions} vs {gt} ({len(shared)} samples)",
        ["scale", "pixels", "mean", "median", "RMSE", *[f"<{t:g}" for t in ANGLE_THRESHOLDS], "coverage"],
    )
    for s, m in per_scale.items():
        table.add_row(
            s,
            str(m["pixels"]),
            f"{m['mean_deg']:.2f}",
            f"{m['median_deg']:.2f}",
            f"{m['rmse_deg']:.2f}",
            *[f"{m[f'pct_under_{t:g}']:.1f}%" for t in ANGLE_THRESHOLDS],
            f"{100 * m['coverage']:.1f}%",
        )
    if not as_json and not get_state().quiet:
        show(table)
    emit(
        [csv] if csv else [], as_json=as_json, summary={"samples": len(shared), "missing": missing, "scales": per_scale}
    )


@app.command("verify")
@boundary
def evaluate_verify(
    scores: Annotated[Path, typer.Argument(help="Output of 'facecli grid-attn verify' (kind verification).")],
    poses: Annotated[
        Optional[Path],
        typer.Option(
            "--poses",
            help="poses.csv (id,yaw,...) to report large-pose pairs separately (synth identities writes one).",
        ),
    ] = None,
    large_yaw: Annotated[
        float,
        typer.Option(
            "--large-yaw", min=0.0, help="A pair is large-pose when either face's |yaw| exceeds this (degrees)."
        ),
    ] = 45.0,
    roc: Annotated[Optional[Path], typer.Option("--roc", help="Write a ROC plot (PNG) here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verification metrics: LFW's k-fold accuracy over the folds the scores carry (10
    for LFW's View 2; each fold's threshold chosen on the k - 1 others; mean and sample std
    over folds, the number of folds shown beside it), EER (FAR = FRR, interpolated on the
    ROC), TAR at FAR 1e-2 and 1e-3 (blank when there are too few impostor pairs to measure it).
    """

    from facecli.io.atomic import check_distinct
    from facecli.metrics.verification import roc as roc_fn
    from facecli.metrics.verification import verification_report
    from facecli.recognition.verify import pose_subsets, read_poses, read_scores

    check_distinct([roc], [scores, poses], what="--roc")
    ps = read_scores(scores)
    sets = {"all": ps} if poses is None else pose_subsets(ps, read_poses(poses), large_yaw=large_yaw, source=str(poses))
    reports, curves = {}, {}
    for name, sub in sets.items():
        if sub.same.all() or not sub.same.any():
            log(f"{name}: {len(sub.a)} pairs, not both genuine and impostor; no figures", level="warning")
            continue
        rep = verification_report(sub.score, sub.same, sub.fold)
        reports[name] = rep.as_dict()
        r = roc_fn(sub.score, sub.same)
        curves[name] = (r.far, r.tar, rep.eer)
    if roc is not None:
        from facecli.recognition.plots import plot_roc

        plot_roc(roc, curves, title=f"ROC: {scores.name}")
    if not as_json and not get_state().quiet:
        table = stderr_table(
            f"verification: {scores}",
            ["pairs", "genuine", "impostor", "accuracy (folds)", "EER", "TAR@FAR=1e-2", "TAR@FAR=1e-3", "set"],
            left=["set"],
        )

        def pct(v: float) -> str:
            return "-" if v != v else f"{100 * v:.2f}%"

        for name, m in reports.items():
            acc = (
                "-"
                if m["accuracy_mean"] != m["accuracy_mean"]
                else f"{100 * m['accuracy_mean']:.2f} ± {100 * m['accuracy_std']:.2f}% ({m['folds']})"
            )
            table.add_row(
                str(m["pairs"]),
                str(m["genuine"]),
                str(m["impostor"]),
                acc,
                pct(m["eer"]),
                pct(m["tar_at_far"]["0.01"]),
                pct(m["tar_at_far"]["0.001"]),
                name,
            )
        show(table)
    emit([roc] if roc else [], as_json=as_json, summary={"sets": reports})


__all__ = ["app"]
