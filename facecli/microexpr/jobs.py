"""One ``apex-detect`` sample: a clip in, its apex and score curve out."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecli.errors import FormatError
from facecli.io.inputs import InputItem
from facecli.microexpr.rois import FaceBox, clip_face_box
from facecli.microexpr.spotting import SpotSettings, spot_apex

__all__ = ["APEX_ATTRS", "ApexJob", "coded_items", "plot_apex_curve", "write_apex_csv"]

#: Array attributes of an ``apex`` container.
APEX_ATTRS: dict[str, dict[str, str]] = {
    "apex": {"units": "frame", "description": "apex frame number (as in the frame file names; 0-based for videos)"},
    "apex_index": {"description": "0-based position of the apex frame in the clip"},
    "onset": {"units": "frame", "description": "onset frame used (-1: unknown, the whole clip was searched)"},
    "offset": {"units": "frame", "description": "offset frame used (-1: unknown)"},
    "frames": {"units": "frame", "description": "frame numbers of the clip"},
    "face_box": {"units": "px", "description": "x, y, w, h of the face box the ROIs cover"},
    "face_box_source": {"description": "given (--face-box) | detector (on the onset frame) | frame (whole frame)"},
    "score": {
        "description": "spotting score per frame (flow/lbp/both: smoothed; residual: the expression intensity curve "
        "of the envelope fit)"
    },
}


@dataclass
class ApexJob:
    """Spot the apex of one clip (picklable for ``--workers``).

    Attributes:
        settings: spotting settings.
        box: face box (None: whole frame, or the detector's with ``detect_face``).
        detect_face: find the face on the onset frame (first frame without a coding).
        coding: id → (onset, offset) frame numbers from a coding sheet.
        plot_dir: write ``<id>.png`` curves here.
    """

    settings: SpotSettings
    box: FaceBox | None = None
    coding: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    plot_dir: Path | None = None
    detect_face: bool = False

    def __call__(self, item: InputItem) -> dict[str, Any]:
        from facecli.io.clips import open_clip, read_clip_frames

        clip = open_clip(item.path)
        on_num, off_num = self.coding.get(item.id, (None, None))
        onset = clip.index_of(on_num) if on_num is not None else None
        offset = clip.index_of(off_num) if off_num is not None else None
        if onset is not None and offset is not None and onset > offset:
            raise FormatError(f"{item.path}: onset frame {on_num} comes after offset frame {off_num}")
        frames = read_clip_frames(clip)
        box, box_source = clip_face_box(frames[onset or 0], self.box, self.detect_face)
        res = spot_apex(frames, onset=onset, offset=offset, box=box, settings=self.settings, source=str(item.path))
        if self.plot_dir is not None:
            from facecli.io.naming import safe_name

            plot_apex_curve(
                self.plot_dir / f"{safe_name(item.id)}.png",
                clip.numbers,
                res.score,
                int(clip.numbers[res.apex_index]),
                on_num,
                off_num,
                title=item.id,
            )
        return {
            "apex": np.int64(clip.numbers[res.apex_index]),
            "apex_index": np.int64(res.apex_index),
            "onset": np.int64(-1 if on_num is None else on_num),
            "offset": np.int64(-1 if off_num is None else off_num),
            "frames": clip.numbers.astype(np.int64),
            "score": res.score.astype(np.float32),
            "face_box": np.array([box.x, box.y, box.w, box.h], np.int64),
            "face_box_source": np.str_(box_source),
        }


def coded_items(
    root: Path,
    sheets: Sequence[tuple[Path, str]],
    *,
    missing: str = "error",
) -> tuple[list[InputItem], dict[str, tuple[int, int]], dict[str, str]]:
    """Clips of coding sheets found under a dataset root.

    Args:
        root: the dataset root (``<subject>/<clip>/`` frame folders).
        sheets: (sheet, dataset) pairs.
        missing: ``"error"``: a coded clip without a folder stops here; ``"keep"``: it
            becomes an item carrying the error (``--on-error skip`` records it).

    Returns:
        ``(items, coding id → (onset, offset), id → dataset)``; ids are ``subject/clip``
        with the subject as on disk.
    """
    from facecli.errors import InputError
    from facecli.io.clips import find_clip_dir
    from facecli.io.microexpr import read_coding_sheet

    items: list[InputItem] = []
    coding: dict[str, tuple[int, int]] = {}
    datasets: dict[str, str] = {}
    for sheet, ds in sheets:
        for c in read_coding_sheet(sheet, ds):
            try:
                d = find_clip_dir(root, c.subject, c.clip)
            except InputError as exc:
                if missing != "keep":
                    raise
                cid = f"{c.subject}/{c.clip}"
                items.append(InputItem(cid, root / cid, error=str(exc)))
                coding[cid] = (c.onset, c.offset)
                datasets[cid] = ds
                continue
            cid = d.relative_to(root).as_posix()
            items.append(InputItem(cid, d))
            coding[cid] = (c.onset, c.offset)
            datasets[cid] = ds
    return items, coding, datasets


def write_apex_csv(
    path: Path,
    ids: Sequence[str],
    arrays: Mapping[str, np.ndarray],
    method: str,
    datasets: Mapping[str, str] | None = None,
) -> Path:
    """The spreadsheet copy: id, dataset, onset, apex, offset, method (-1 = unknown)."""
    from facecli.io.atomic import atomic_write

    with atomic_write(path, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "dataset", "onset", "apex", "offset", "method"])
        for i, sid in enumerate(ids):
            w.writerow(
                [
                    sid,
                    (datasets or {}).get(sid, ""),
                    int(arrays["onset"][i]),
                    int(arrays["apex"][i]),
                    int(arrays["offset"][i]),
                    method,
                ]
            )
    return path


def plot_apex_curve(
    path: Path,
    frames: np.ndarray,
    score: np.ndarray,
    apex: int,
    onset: int | None,
    offset: int | None,
    *,
    title: str = "",
) -> Path:
    """PNG of a clip's score curve with the apex (and onset/offset) marked."""
    from facecli.plots import figure, save

    fig, ax = figure(figsize=(6, 2.6), dpi=100)
    ax.plot(frames, score, lw=1.2, color="#1f77b4")
    if onset is not None and offset is not None:
        ax.axvspan(onset, offset, color="#cccccc", alpha=0.4, label="onset-offset")
    ax.axvline(apex, color="#d62728", lw=1.2, label=f"apex {apex}")
    ax.set_xlabel("frame")
    ax.set_ylabel("score")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    save(fig, path)
    return path
