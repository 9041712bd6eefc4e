"""Summarise a demo run: one row per stage with its headline metrics and wall time.

Reads ``OUTPUT_DIR/metrics/`` as written by ``examples/demo.sh`` (``stages.jsonl``: one
``{"key", "title", "seconds"}`` per stage; ``<key>.json``: the stage's ``evaluate --json``
output; ``synth.jsonl``: the synth commands' ``--json`` lines). Prints a Markdown table on
stderr, writes ``summary.md`` and ``summary.json`` into OUTPUT_DIR, and with ``--json``
prints the summary as one JSON object on stdout.

Usage: python examples/demo_summary.py OUTPUT_DIR [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _synth(rows: list[dict[str, Any]], out: Path) -> tuple[str, dict[str, Any]]:
    def where(r: dict[str, Any]) -> str:  # the folder the synth command wrote, relative to the demo's output
        p = Path(r["outputs"][-1])
        try:
            return p.relative_to(out).parts[0]
        except ValueError:
            return p.parent.name

    items = {where(r): {"count": r["count"], "unit": r["unit"]} for r in rows}
    return ", ".join(f"{k}: {v['count']} {v['unit']}" for k, v in items.items()), {"datasets": items}


def _register(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    head = {
        "pairs": m["pairs"],
        "recall": m["recall"],
        "re_median_deg": m["re_median_deg"],
        "te_median_mm": m["te_median_mm"],
    }
    txt = (
        f"{m['pairs']} pairs: recall {m['recall']:.2f} (RE < {m['max_re_deg']:g}°, TE < {m['max_te_mm']:g} mm), "
        f"median RE {m['re_median_deg']:.2f}°, TE {m['te_median_mm']:.2f} mm"
    )
    return txt, head


def _normals_meshes(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    txt = f"{m['processed']} meshes, {m['failed']} failed (no ground truth: see the previews)"
    return txt, {"meshes": m["processed"], "failed": m["failed"]}


def _landmarks3d(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    head = {"meshes": m["meshes"], "mean_mm": m["mean_mm"], "median_mm": m["median_mm"]}
    return f"{m['meshes']} meshes: mean {m['mean_mm']:.2f} mm, median {m['median_mm']:.2f} mm", head


def _normals_images(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    scale, s = next(iter(m["scales"].items()))
    head = {
        "images": m["samples"],
        "scale": int(scale),
        "mean_deg": s["mean_deg"],
        "pct_under_11.25": s["pct_under_11.25"],
    }
    return (
        f"{m['samples']} images at {scale} px: mean angular error {s['mean_deg']:.1f}°, "
        f"{s['pct_under_11.25']:.0f} % of pixels < 11.25°"
    ), head


def _verify(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    a = m["sets"]["all"]
    head = {"pairs": a["pairs"], "eer": a["eer"], "accuracy": a["accuracy_mean"]}
    folds = a.get("folds", len(a.get("fold_accuracies", [])))
    txt = f"{a['pairs']} pairs: EER {_pct(a['eer'])}, {folds}-fold accuracy {_pct(a['accuracy_mean'])}"
    large = {k: v for k, v in m["sets"].items() if k != "all"}
    for name, s in large.items():
        txt += f"; {name}: EER {_pct(s['eer'])} ({s['pairs']} pairs)"
        head[f"eer_{name}"] = s["eer"]
    return txt, head


def _apex(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    parts, head = [], {}
    for ds, d in m["datasets"].items():
        parts.append(
            f"{ds}, {d['method']['clips']} clips: MAE {d['method']['mae']:.1f} frames "
            f"(onset–offset midpoint {d['midpoint']['mae']:.1f})"
        )
        head[ds] = {"clips": d["method"]["clips"], "mae": d["method"]["mae"], "midpoint_mae": d["midpoint"]["mae"]}
    return "; ".join(parts), head


def _align(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    a = m["subsets"]["all"]
    exits = m.get("exit_iterations", {})
    head = {
        "faces": a["faces"],
        "nme_pct": a["nme_pct"],
        "fr@0.1_pct": a["fr@0.1_pct"],
        "auc@0.1": a["auc@0.1"],
        "exits": exits,
    }
    ex = "/".join(str(exits.get(str(i), 0)) for i in range(1, 1 + max([3] + [int(k) for k in exits])))
    return (
        f"{a['faces']} faces: NME {a['nme_pct']:.2f} %, FR@0.1 {a['fr@0.1_pct']:.1f} %, AUC@0.1 {a['auc@0.1']:.3f}; "
        f"faces leaving at iteration 1/2/…: {ex}"
    ), head


def _mer(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    head = {"clips": m["clips"], "folds": m["folds"], "uf1": m["uf1"], "uar": m["uar"]}
    return f"{m['clips']} clips, {m['folds']} LOSO folds: UF1 {m['uf1']:.3f}, UAR {m['uar']:.3f} (pooled)", head


FORMATS: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "register": _register,
    "normals_meshes": _normals_meshes,
    "landmarks3d": _landmarks3d,
    "normals_images": _normals_images,
    "verify_gt": _verify,
    "verify_photos": _verify,
    "apex": _apex,
    "align": _align,
    "mer": _mer,
}


def summarise(out: Path) -> dict[str, Any]:
    """Collect the stages of a demo run in ``out`` into one dict (see the module docstring)."""
    mdir = out / "metrics"
    stages_file = mdir / "stages.jsonl"
    if not stages_file.exists():
        raise SystemExit(f"demo_summary: {stages_file} not found (run examples/demo.sh {out} first)")
    stages = []
    for line in stages_file.read_text().splitlines():
        if not line.strip():
            continue
        st = json.loads(line)
        key = st["key"]
        try:
            if key == "synth":
                rows = [json.loads(line) for line in (mdir / "synth.jsonl").read_text().splitlines() if line.strip()]
                text, head = _synth(rows, out)
            else:
                text, head = FORMATS[key](json.loads((mdir / f"{key}.json").read_text()))
        except (OSError, KeyError, ValueError, StopIteration) as exc:
            text, head = f"(no metrics: {type(exc).__name__}: {exc})", {}
        stages.append({**st, "summary": text, "metrics": head})
    return {"output_dir": str(out), "total_seconds": round(sum(s["seconds"] for s in stages), 1), "stages": stages}


def to_markdown(summary: dict[str, Any]) -> str:
    lines = ["| stage | result | seconds |", "|---|---|---:|"]
    for s in summary["stages"]:
        text = s["summary"].replace("|", "\\|")  # a bar inside a cell would end it
        lines.append(f"| {s['key']} | {text} | {s['seconds']:.1f} |")
    lines.append(f"| **total** | | **{summary['total_seconds']:.1f}** |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    args = ap.parse_args(argv)
    summary = summarise(args.output_dir)
    md = to_markdown(summary)
    (args.output_dir / "summary.md").write_text(md)
    (args.output_dir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print("\n" + md, file=sys.stderr)
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
