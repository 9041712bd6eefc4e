"""LFW's people.txt and pairs.txt readers."""

import pytest

from facecli.errors import FormatError
from facecli.io.lfw import person_of, read_pairs, read_people


def _people(tmp_path, text):
    p = tmp_path / "people.txt"
    p.write_text(text)
    return p


def test_people_folds_are_read_in_order(tmp_path):
    p = _people(tmp_path, "2\n2\nAnn_A\t3\nBob_B\t1\n1\nCid_C\t2\n")
    assert read_people(p) == [{"Ann_A": 3, "Bob_B": 1}, {"Cid_C": 2}]


@pytest.mark.parametrize(
    "text,what",
    [
        ("2\n1\nAnn_A\t3\n", "people of fold 2"),  # a fold missing
        ("1\n2\nAnn_A\t3\n", "announces 2 people"),  # a count that does not match
        ("1\n1\nAnn_A\tthree\n", "expected 'name images'"),
        ("2\n1\nAnn_A\t3\n1\nAnn_A\t3\n", "in fold 1 already"),  # one person in two folds
        ("x\n", "number of folds"),
        ("1\n1\nAnn_A\t3\nBob_B\t1\n", "expected the end"),
    ],
)
def test_people_errors_name_the_file_and_line(tmp_path, text, what):
    p = _people(tmp_path, text)
    with pytest.raises(FormatError, match=what) as e:
        read_people(p)
    assert str(p) in str(e.value)


def test_person_of_an_image_id():
    assert person_of("Aaron_Eckhart/Aaron_Eckhart_0001.jpg") == "Aaron_Eckhart"
    assert person_of("lfw/images/Aaron_Eckhart/Aaron_Eckhart_0001.jpg") == "Aaron_Eckhart"
    assert person_of("Aaron_Eckhart_0001.jpg") == "Aaron_Eckhart"


def test_pairs_carry_their_fold(tmp_path):
    p = tmp_path / "pairs.txt"
    p.write_text("2\t1\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\t1\nCid_C\t1\t2\nCid_C\t2\tDan_D\t1\n")
    pairs = read_pairs(p)
    assert [(x.same, x.fold) for x in pairs] == [(True, 0), (False, 0), (True, 1), (False, 1)]
    assert pairs[1].b == "Bob_B/Bob_B_0001.jpg"
