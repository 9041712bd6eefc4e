import numpy as np
import pytest

from facecli.errors import InputError
from facecli.io.microexpr import MEClip, write_coding_sheet
from facecli.microexpr.evaluation import apex_report, match_apexes, true_apexes


def test_apexes_are_matched_across_subject_spellings_and_scored(tmp_path):
    casme = write_coding_sheet(
        tmp_path / "CASME2.csv", [MEClip("casme2", "sub01", "EP01_01", 10, 20, 40, "happiness")], "casme2"
    )
    smic = write_coding_sheet(
        tmp_path / "SMIC.csv", [MEClip("smic", "s01", "s1_po_01", 5, None, 25, "positive")], "smic"
    )
    truth = true_apexes([(casme, "casme2"), (smic, "smic")], {"s1/s1_po_01": {"apex": 12}})
    assert truth == {("casme2", "sub01", "EP01_01"): (10, 20, 40), ("smic", "s01", "s1_po_01"): (5, 12, 25)}
    rows, unmatched = match_apexes(["sub01/EP01_01", "s1/s1_po_01", "sub09/EP09_09"], np.array([22, 12, 3]), truth)
    assert rows == {"casme2": [(22, 10, 20, 40)], "smic": [(12, 5, 12, 25)]} and unmatched == ["sub09/EP09_09"]
    rep = apex_report(rows)
    assert rep["all"]["method"]["mae"] == pytest.approx(1.0)  # |22-20| and |12-12|
    assert rep["all"]["midpoint"]["mae"] == pytest.approx((abs(25 - 20) + abs(15 - 12)) / 2)
    with pytest.raises(InputError, match="no apex for s01/s1_po_01"):
        true_apexes([(smic, "smic")])
