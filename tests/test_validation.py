import numpy as np
import pytest

from facecli.errors import ValidationError
from facecli.validation import check_array


def test_shape_message_names_expected_and_received():
    with pytest.raises(ValidationError, match=r"expected \(N, 3\) points, got \(N, 2\) in scan_012.ply"):
        check_array(np.zeros((5, 2)), "(N, 3)", name="points", source="scan_012.ply")


def test_named_dims_must_agree_and_nan_rejected():
    check_array(np.zeros((4, 4)), "(N, N)")
    with pytest.raises(ValidationError):
        check_array(np.zeros((4, 5)), "(N, N)")
    with pytest.raises(ValidationError, match="NaN"):
        check_array(np.array([[np.nan, 0, 0]]), "(N, 3)")
    with pytest.raises(ValidationError, match="at least 10"):
        check_array(np.zeros((3, 3)), "(N, 3)", min_len=10)


def test_ellipsis_and_dtype():
    check_array(np.zeros((2, 7, 68, 3)), "(..., 68, 3)")
    with pytest.raises(ValidationError, match="dtype"):
        check_array(np.array([["a", "b", "c"]]), "(N, 3)")
