"""Evaluating micro-expression results: apex predictions matched to coding sheets and
scored against the onset–offset midpoint, and the recognition confusion figure (the metrics
themselves: :mod:`facecli.metrics.apex`, :mod:`facecli.metrics.mer`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import InputError
from facecli.plots import figure, save

__all__ = ["apex_report", "match_apexes", "plot_confusion", "true_apexes"]

#: ``(dataset, subject, clip)`` → ``(onset, apex, offset)`` frame numbers.
TrueApexes = dict[tuple[str, str, str], tuple[int, int, int]]


def true_apexes(sheets: Sequence[tuple[Path, str]], extra: Mapping[str, Mapping[str, Any]] | None = None) -> TrueApexes:
    """The coded onset, apex and offset of every clip of the sheets.

    Args:
        sheets: ``(coding sheet, dataset)`` pairs.
        extra: ``subject/clip`` → ``{"apex": frame}`` for sheets without an apex column
            (SMIC; ``synth microexpr`` writes them in ``synth_microexpr.json``).

    Raises:
        InputError: a clip with no apex in its sheet nor in ``extra``.
    """
    from facecli.io.microexpr import normalise_subject, read_coding_sheet

    out: TrueApexes = {}
    for sheet, ds in sheets:
        known = {
            (normalise_subject(ds, k.split("/")[0]), k.split("/")[-1]): int(v["apex"]) for k, v in (extra or {}).items()
        }
        for c in read_coding_sheet(sheet, ds):
            apex = c.apex if c.apex is not None else known.get((c.subject, c.clip))
            if apex is None:
                raise InputError(f"{sheet}: no apex for {c.id} (SMIC sheets have none: pass --truth or leave it out)")
            out[(ds, c.subject, c.clip)] = (c.onset, apex, c.offset)
    return out


def match_apexes(
    ids: Sequence[str], predicted: np.ndarray, truth: TrueApexes
) -> tuple[dict[str, list[tuple[int, int, int, int]]], list[str]]:
    """Predicted apexes matched to the coded clips by ``subject/clip`` (subject spellings such
    as SMIC's ``s1``/``s01`` agree).

    Args:
        ids: (N,) prediction ids (``.../subject/clip``).
        predicted: (N,) int predicted apex frame numbers.
        truth: from :func:`true_apexes`.

    Returns:
        ``(dataset → [(predicted, onset, apex, offset)], ids with no coded clip)``.
    """
    from facecli.io.microexpr import ME_DATASETS, normalise_subject

    rows: dict[str, list[tuple[int, int, int, int]]] = {}
    unmatched: list[str] = []
    for i, sid in enumerate(ids):
        parts = sid.split("/")
        hit = None
        if len(parts) >= 2:
            for ds in ME_DATASETS:
                try:
                    key = (ds, normalise_subject(ds, parts[-2]), parts[-1])
                except Exception:  # noqa: BLE001 - not a subject name of this dataset
                    continue
                if key in truth:
                    hit = (ds, truth[key])
                    break
        if hit is None:
            unmatched.append(sid)
            continue
        ds, (on, ap, off) = hit
        rows.setdefault(ds, []).append((int(predicted[i]), on, ap, off))
    return rows, unmatched


def apex_report(rows: Mapping[str, Sequence[tuple[int, int, int, int]]], *, within: int = 5) -> dict[str, dict]:
    """Apex errors per dataset (and pooled over several): the method and the onset–offset
    midpoint baseline, each summarised by :func:`facecli.metrics.apex.summarize_apex`.

    Args:
        rows: from :func:`match_apexes`.
        within: the frame tolerance of the ``within_<n>`` share.

    Example:
        >>> rep = apex_report({"casme2": [(10, 0, 10, 30), (12, 0, 11, 30)]})
        >>> rep["casme2"]["method"]["mae"], rep["casme2"]["midpoint"]["mae"]
        (0.5, 4.5)
    """
    from facecli.metrics.apex import apex_errors, midpoint_apex, summarize_apex

    groups = {**rows, **({"all": [x for v in rows.values() for x in v]} if len(rows) > 1 else {})}
    report: dict[str, dict] = {}
    for ds, rr in groups.items():
        a = np.array(rr, dtype=np.int64)
        report[ds] = {
            "method": summarize_apex(apex_errors(a[:, 0], a[:, 2]), within=within),
            "midpoint": summarize_apex(apex_errors(midpoint_apex(a[:, 1], a[:, 3]), a[:, 2]), within=within),
        }
    return report


def plot_confusion(path: Path, cm: np.ndarray, names: list[str], *, title: str = "") -> Path:
    """Row-normalised confusion matrix as a PNG.

    Args:
        path: the PNG to write.
        cm: (K, K) int counts, rows true, columns predicted.
        names: the K class names.
        title: the figure's title.
    """
    rows = cm.sum(axis=1, keepdims=True)
    frac = np.where(rows > 0, cm / np.maximum(rows, 1), 0.0)
    fig, ax = figure(figsize=(1.2 * len(names) + 2, 1.1 * len(names) + 1.5))
    ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(
                j,
                i,
                f"{cm[i, j]}\n{100 * frac[i, j]:.0f}%",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if frac[i, j] > 0.6 else "black",
            )
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save(fig, path)
