"""Coding-sheet readers on fixtures that copy the real column layouts and defects."""

from __future__ import annotations

import pytest

from facecli.errors import FormatError
from facecli.io.microexpr import guess_dataset, read_coding_sheet


def _xlsx(path, sheets):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_casme2_sheet_with_slash_apex(tmp_path):
    p = _xlsx(
        tmp_path / "CASME2-coding-20140508.xlsx",
        [
            (
                "Sheet1",
                [
                    [
                        "Subject",
                        "Filename",
                        "OnsetFrame",
                        "ApexFrame",
                        "OffsetFrame",
                        "Action Units",
                        "Estimated Emotion",
                    ],
                    ["01", "EP02_01f", 46, 59, 86, "12", "happiness"],
                    [4, "EP12_01f", 161, "/", 211, "4+L10", "others"],  # the real sheet's apex defect
                ],
            )
        ],
    )
    clips = read_coding_sheet(p, "casme2")
    assert [(c.subject, c.clip, c.onset, c.apex, c.offset) for c in clips] == [
        ("sub01", "EP02_01f", 46, 59, 86),
        ("sub04", "EP12_01f", 161, None, 211),
    ]
    assert clips[0].megc == "positive" and clips[1].megc is None
    assert guess_dataset(p) == "casme2"


def test_samm_sheet_header_on_row_14_of_micro_only(tmp_path):
    pre = [["SAMM Micro-Movement Database"]] + [[None]] * 12
    p = _xlsx(
        tmp_path / "coding.xlsx",
        [
            ("FACS_Codes", [["something else"]]),
            (
                "MICRO_ONLY",
                pre
                + [
                    [
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
                    ],
                    [6, "006_1_2", 1, 5588, 5614, 5654, 67, "Micro - 1/2", "4+7", "", "Anger"],
                    ["007", "007_3_1", 3, 2104, 2130, 0, 0, "Micro - 1/2", "R12", "", "Happiness"],  # offset coded 0
                ],
            ),
        ],
    )
    assert guess_dataset(p) == "samm"
    clips = read_coding_sheet(p, "samm")
    assert [(c.subject, c.clip, c.onset, c.apex, c.offset) for c in clips] == [
        ("006", "006_1_2", 5588, 5614, 5654),
        ("007", "007_3_1", 2104, 2130, 2130),
    ]
    assert [c.megc for c in clips] == ["negative", "positive"]


def test_smic_sheet_subject_spellings_and_no_apex(tmp_path):
    p = tmp_path / "sheet.csv"
    p.write_text(
        "Subject,Filename,OnsetFrame,OffsetFrame,Emotion\ns01,s1_po_01,3,40,positive\ns2,s2_sur_01,5,30,surprise\n"
    )
    assert guess_dataset(p) == "smic"
    clips = read_coding_sheet(p, "smic")
    assert [c.subject for c in clips] == ["s01", "s02"] and all(c.apex is None for c in clips)


def test_row_without_onset_names_the_row(tmp_path):
    p = tmp_path / "casme.csv"
    p.write_text("Subject,Filename,OnsetFrame,ApexFrame,OffsetFrame\n01,EP01,1,2,3\n02,EP02,,5,9\n")
    with pytest.raises(FormatError, match="row 3"):
        read_coding_sheet(p, "casme2")
