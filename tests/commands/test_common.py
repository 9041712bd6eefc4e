import json

import numpy as np
import pytest

from facecli.commands._common import emit


def _reject_constant(name: str):
    pytest.fail(f"non-standard JSON constant {name} on stdout")


def test_json_summary_is_strict_json(capsys):
    """A metric that could not be measured (NaN, inf) is null, not a bare NaN that JSON parsers reject."""
    emit(
        ["a.h5"],
        as_json=True,
        summary={
            "nan": float("nan"),
            "inf": np.float32(np.inf),
            "arr": np.arange(2),
            "nested": {"tar": {"0.001": np.float64("nan"), "ok": np.float32(0.5)}},
        },
    )
    obj = json.loads(capsys.readouterr().out, parse_constant=_reject_constant)
    assert obj["outputs"] == ["a.h5"]
    assert obj["nan"] is None and obj["inf"] is None and obj["arr"] == [0, 1]
    assert obj["nested"]["tar"] == {"0.001": None, "ok": 0.5}
    assert "seconds" in obj


def test_paths_one_per_line(capsys):
    emit(["a.h5", "b.csv"], as_json=False)
    assert capsys.readouterr().out == "a.h5\nb.csv\n"
