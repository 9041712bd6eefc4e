"""The code style is checked, not hoped for: ruff's lint rules and formatter (settings in
pyproject.toml: line length 120, pycodestyle, pyflakes, import order)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_lint_is_clean():
    r = _ruff("check", ".")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]


def test_ruff_format_is_applied():
    r = _ruff("format", "--check", ".")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
