"""Micro-expression datasets: CASME II, SAMM and SMIC coding sheets, the MEGC 2019
composite 3-class mapping.

Coding sheets are read from ``.xlsx`` (openpyxl) or ``.csv``. Known defects of the
real sheets are tolerated: an apex written as ``/`` (CASME II; read as unknown),
SAMM's header on row 14 of sheet ``MICRO_ONLY``, SMIC subject names written both
``s1`` and ``s01``.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facecli.errors import FormatError, InputError

if TYPE_CHECKING:  # numpy stays out of the command line's start-up (its --dataset choices come from here)
    from facecli.typing import PathLike

__all__ = [
    "MEDataset",
    "ME_DATASETS",
    "get_dataset",
    "MEClip",
    "megc_class",
    "MEGC_CLASSES",
    "read_coding_sheet",
    "write_coding_sheet",
    "CASME2_COLUMNS",
    "SAMM_COLUMNS",
    "SMIC_COLUMNS",
    "normalise_subject",
    "guess_dataset",
]

MEGC_CLASSES = ("negative", "positive", "surprise")
_NEGATIVE = {"repression", "anger", "contempt", "disgust", "fear", "sadness", "negative"}
CASME2_COLUMNS = ("Subject", "Filename", "OnsetFrame", "ApexFrame", "OffsetFrame", "Action Units", "Estimated Emotion")
SAMM_COLUMNS = (
    "Subject",
    "Filename",
    "Inducement Code",
    "Onset Frame",
    "Apex Frame",
    "Offset Frame",
    "Duration",
    "Type",
    "Action Units",
    "Notes",
    "Estimated Emotion",
)
SMIC_COLUMNS = ("Subject", "Filename", "OnsetFrame", "OffsetFrame", "Emotion")
SAMM_HEADER_ROW = 14
SAMM_SHEET = "MICRO_ONLY"


@dataclass(frozen=True)
class MEDataset:
    """What facecli knows of one micro-expression dataset's coding sheet.

    A new dataset is one more entry of :data:`ME_DATASETS` (the commands' ``--dataset``
    and ``--layout`` choices and the readers follow), plus, for ``synth``, its folder
    and frame naming in :mod:`facecli.synth.microexpr`.

    Attributes:
        name: the name on the command line (``casme2``).
        columns: the sheet's header, in order (what :func:`write_coding_sheet` writes).
        onset, apex, offset: the frame columns (``apex`` ``None``: the sheet has none).
        emotion: the label column(s), first found wins.
        subject_format: canonical subject folder name from its number (``sub{:02d}``).
        name_keys: words in a sheet's file name that identify the dataset.
        sheet: the workbook sheet holding the coding (``None``: the first).
        header_row: the header's 1-based row in the sheets facecli writes.
    """

    name: str
    columns: tuple[str, ...]
    onset: str
    apex: str | None
    offset: str
    emotion: tuple[str, ...]
    subject_format: str
    name_keys: tuple[str, ...]
    sheet: str | None = None
    header_row: int = 1

    def row(self, c: MEClip) -> list[Any]:
        """A clip as a row of this sheet's :attr:`columns`."""
        values = {
            "Subject": c.subject,
            "Filename": c.clip,
            self.onset: c.onset,
            self.offset: c.offset,
            "Action Units": c.action_units,
            self.emotion[0]: c.emotion,
            "Inducement Code": c.extra.get("inducement", 1),
            "Duration": c.offset - c.onset + 1,
            "Type": "Micro - 1/2",
            "Notes": "",
        }
        if self.apex is not None:
            values[self.apex] = c.apex if c.apex is not None else "/"
        if self.name == "casme2":  # CASME II's sheet numbers its subjects without the "sub"
            values["Subject"] = c.subject.removeprefix("sub")
        return [values.get(col, "") for col in self.columns]


#: The micro-expression datasets, by command-line name.
ME_DATASETS: dict[str, MEDataset] = {
    "casme2": MEDataset(
        "casme2",
        CASME2_COLUMNS,
        "OnsetFrame",
        "ApexFrame",
        "OffsetFrame",
        ("Estimated Emotion",),
        "sub{:02d}",
        ("casme",),
    ),
    "samm": MEDataset(
        "samm",
        SAMM_COLUMNS,
        "Onset Frame",
        "Apex Frame",
        "Offset Frame",
        ("Estimated Emotion",),
        "{:03d}",
        ("samm",),
        sheet=SAMM_SHEET,
        header_row=SAMM_HEADER_ROW,
    ),
    "smic": MEDataset("smic", SMIC_COLUMNS, "OnsetFrame", None, "OffsetFrame", ("Emotion",), "s{:02d}", ("smic",)),
}


def get_dataset(name: str) -> MEDataset:
    """The entry of :data:`ME_DATASETS` for ``name``.

    Raises:
        InputError: an unknown dataset (the known ones are listed).
    """
    try:
        return ME_DATASETS[name]
    except KeyError:
        raise InputError(f"expected dataset {'|'.join(ME_DATASETS)}, got {name!r}") from None


def megc_class(emotion: str) -> str | None:
    """MEGC 2019 composite class of an emotion label, or ``None`` (e.g. ``others``)."""
    e = emotion.strip().lower()
    if e in _NEGATIVE:
        return "negative"
    if e in ("happiness", "positive"):
        return "positive"
    if e == "surprise":
        return "surprise"
    return None


def normalise_subject(dataset: str, subject: str) -> str:
    """Canonical subject names: ``sub01`` (CASME II), ``006`` (SAMM), ``s01`` (SMIC)."""
    s = str(subject).strip()
    digits = re.sub(r"\D", "", s)
    if not digits:
        raise FormatError(f"cannot read a subject number from {subject!r}")
    return get_dataset(dataset).subject_format.format(int(digits))


@dataclass(frozen=True)
class MEClip:
    """One coded clip.

    Attributes:
        dataset: ``casme2``, ``samm`` or ``smic``.
        subject: canonical subject name (folder name).
        clip: clip folder name.
        onset, apex, offset: frame numbers as in the image file names (apex ``None``
            when not coded, always for SMIC).
        emotion: the sheet's label.
        action_units: the sheet's AU string.
    """

    dataset: str
    subject: str
    clip: str
    onset: int
    apex: int | None
    offset: int
    emotion: str
    action_units: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def id(self) -> str:
        return f"{self.subject}/{self.clip}"

    @property
    def megc(self) -> str | None:
        return megc_class(self.emotion)


def _rows_xlsx(p: Path, dataset: str) -> list[list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:
        raise FormatError(f"{p}: not a readable .xlsx workbook ({exc.__class__.__name__})") from exc
    sheet = ME_DATASETS[dataset].sheet if dataset in ME_DATASETS else None
    ws = wb[sheet] if sheet is not None and sheet in wb.sheetnames else wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    return rows


def _find_header(rows: list[list[Any]], needed: Sequence[str], p: Path) -> int:
    want = {_key(c) for c in needed}
    for i, r in enumerate(rows[:40]):
        if want <= {_key(c) for c in r if c is not None}:
            return i
    raise FormatError(f"{p}: no header row with columns {', '.join(needed)}")


def _key(name: Any) -> str:
    return re.sub(r"[^a-z]", "", str(name).lower())


def _int_or_none(v: Any) -> int | None:
    """A frame number; ``None`` for the sheets' marks of an unknown value (empty, ``/``,
    ``-``). Anything else that is not a whole number raises ``ValueError``."""
    if v is None:
        return None
    s = str(v).strip()
    if s.lower() in ("", "/", "-", "nan", "none"):
        return None
    f = float(s)  # ValueError for text such as "abc"
    if not math.isfinite(f) or f != int(f) or f < 0:
        raise ValueError(f"not a frame number: {s!r}")
    return int(f)


def read_coding_sheet(path: PathLike, dataset: str) -> list[MEClip]:
    """Read a coding sheet.

    Args:
        path: ``.xlsx`` or ``.csv``.
        dataset: ``casme2``, ``samm`` or ``smic``.

    Returns:
        The clips in sheet order.

    Raises:
        FormatError: no recognisable header, or a row without onset/offset (with its
            row number).
    """
    p = Path(path)
    spec = get_dataset(dataset)
    if not p.exists():
        raise InputError(f"no such file: {p}")
    if p.suffix.lower() == ".csv":
        import io

        from facecli.io.text import read_text

        with io.StringIO(read_text(p, "a coding sheet (CSV)", allow_empty=False), newline="") as fh:
            rows = [list(r) for r in csv.reader(fh)]
    elif p.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _rows_xlsx(p, dataset)
    else:
        raise InputError(f"{p}: expected a .xlsx or .csv coding sheet, got {p.suffix!r}")
    needed = ("Subject", "Filename", spec.onset, spec.offset)
    h = _find_header(rows, needed, p)
    cols = {_key(c): i for i, c in enumerate(rows[h]) if c is not None}

    def get(r: list[Any], *names: str) -> Any:
        for n in names:
            i = cols.get(_key(n))
            if i is not None and i < len(r):
                return r[i]
        return None

    out: list[MEClip] = []
    for n, r in enumerate(rows[h + 1 :], h + 2):
        if not r or all(v in (None, "") for v in r):
            continue
        subj, fname = get(r, "Subject"), get(r, "Filename")
        raw = {
            "onset": get(r, spec.onset),
            "offset": get(r, spec.offset),
            "apex": None if spec.apex is None else get(r, spec.apex),
        }
        frames: dict[str, int | None] = {}
        for name, value in raw.items():
            try:
                frames[name] = _int_or_none(value)
            except ValueError:
                raise FormatError(
                    f"{p}: row {n}: expected a frame number (or / for unknown) as the {name} frame, got {value!r}"
                ) from None
        onset, offset, apex = frames["onset"], frames["offset"], frames["apex"]
        if subj is None or fname is None or onset is None or offset is None:
            raise FormatError(f"{p}: row {n}: expected Subject, Filename, onset and offset frames")
        emotion = str(get(r, *spec.emotion) or "").strip()
        aus = str(get(r, "Action Units") or "").strip()
        if offset == 0:  # CASME II/SAMM code a missing offset as 0
            offset = apex if apex is not None else onset
        out.append(
            MEClip(dataset, normalise_subject(dataset, subj), str(fname).strip(), onset, apex, offset, emotion, aus)
        )
    return out


def write_coding_sheet(path: PathLike, clips: Sequence[MEClip], dataset: str) -> Path:
    """Write clips as a coding sheet in the dataset's own columns (.xlsx or .csv).

    SAMM sheets get 13 preamble rows so the header sits on row 14 of ``MICRO_ONLY``.
    """
    p = Path(path)
    spec = get_dataset(dataset)
    p.parent.mkdir(parents=True, exist_ok=True)
    header = list(spec.columns)
    rows = [spec.row(c) for c in clips]
    pre = (
        [[f"{dataset.upper()} micro-movement coding (synthetic)"]] + [[""]] * (spec.header_row - 2)
        if spec.header_row > 1
        else []
    )
    from facecli.io.atomic import atomic_write

    if p.suffix.lower() == ".csv":
        with atomic_write(p, newline="") as fh:
            w = csv.writer(fh)
            w.writerows(pre + [header] + rows)
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = spec.sheet or "Sheet1"
        for r in pre + [header] + rows:
            ws.append(r)
        with atomic_write(p, "wb") as fh:
            wb.save(fh)
    return p


def guess_dataset(path: PathLike) -> str:
    """``casme2``, ``samm`` or ``smic`` for a coding sheet: from its file name when it
    says so, else from its columns (SAMM spells ``Onset Frame`` with a space; SMIC has
    no apex column)."""
    p = Path(path)
    name = p.name.lower()
    for ds in ME_DATASETS.values():
        if any(key in name for key in ds.name_keys):
            return ds.name
    if not p.exists():
        raise InputError(f"no such file: {p}")
    if p.suffix.lower() == ".csv":
        import io

        from facecli.io.text import read_text

        with io.StringIO(read_text(p, "a coding sheet (CSV)"), newline="") as fh:
            rows = [list(r) for _, r in zip(range(40), csv.reader(fh))]
    else:
        rows = _rows_xlsx(p, "samm")[:40]  # a workbook with SAMM's coding sheet is read from that sheet
    keys = {str(c).strip().lower() for r in rows for c in r if c is not None}
    # the dataset whose frame columns the sheet has, the one with the most of its columns first
    fits = [
        ds
        for ds in ME_DATASETS.values()
        if ds.onset.lower() in keys and ds.offset.lower() in keys and (ds.apex is None or ds.apex.lower() in keys)
    ]
    if fits:
        return max(fits, key=lambda ds: (sum(c.lower() in keys for c in ds.columns), ds.apex is not None)).name
    raise FormatError(f"{p}: cannot tell which dataset this coding sheet is (no onset column); pass --dataset")
