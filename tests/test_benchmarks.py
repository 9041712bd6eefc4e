"""Every benchmark script starts and explains itself (a smoke test: their real runs take
minutes to hours and live in benchmarks/*/RESULTS.md with their commands)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHES = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*/bench.py"))


def test_the_benchmarks_are_found():
    assert len(BENCHES) >= 8


@pytest.mark.parametrize("script", BENCHES, ids=[b.parent.name for b in BENCHES])
def test_benchmark_help(script):
    r = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "usage:" in r.stdout.lower() and len(r.stdout.splitlines()) > 3
