"""The README's commands: every fenced block marked ``runnable`` is run, in order, in one empty
directory, with the installed facecli first on PATH; the other blocks' facecli lines must at least
parse against the CLI."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cli_parse import parse_facecli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str, str]]:
    """(language, info words after it, body) of every fenced block."""
    return [(m.group(1), m.group(2).strip(), m.group(3)) for m in FENCE.finditer(text)]


def runnable_blocks(text: str) -> list[str]:
    return [body for lang, info, body in blocks(text) if lang in ("bash", "sh") and "runnable" in info.split()]


def test_fence_parser():
    text = "a\n```bash runnable\necho 1\n```\n```sh\nfacecli x\n```\n```bash\necho 2\n```\n"
    assert runnable_blocks(text) == ["echo 1\n"]
    assert [b[0] for b in blocks(text)] == ["bash", "sh", "bash"]


def test_readme_has_the_two_commands_and_runnable_blocks():
    text = README.read_text()
    assert "make demo" in text and "make test" in text
    assert len(runnable_blocks(text)) >= 3


def test_readme_runnable_blocks(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "NO_COLOR": "1"}
    for k, body in enumerate(runnable_blocks(README.read_text()), 1):
        r = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", body], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert r.returncode == 0, f"README runnable block {k} failed:\n{body}\n--- stderr:\n{r.stderr[-2000:]}"
    assert "NME" in r.stderr or (tmp_path / "reg_all.h5").exists()


def _facecli_commands(body: str) -> list[list[str]]:
    """facecli invocations of a shell block (continuation lines joined; comments, pipes and
    redirections cut), skipping lines with shell syntax a static parse cannot follow."""
    text = body.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        for part in re.split(r"\|\s*xargs -I\{\}|\||&&|;", line.split(" # ")[0]):
            words = part.strip().split()
            if not words or words[0] != "facecli" or any(c in part for c in "$`<>[]"):
                continue
            try:
                out.append(shlex.split(part)[1:])
            except ValueError:
                continue
    return out


def test_readme_commands_parse():
    """Every facecli line shown in the README uses options the CLI has (a renamed option fails here)."""
    seen = 0
    for lang, _, body in blocks(README.read_text()):
        if lang not in ("bash", "sh"):
            continue
        for argv in _facecli_commands(body):
            argv = ["x" if a == "{}" else a for a in argv]  # xargs -I{} fills in a path
            try:
                parse_facecli(argv)
            except Exception as exc:  # noqa: BLE001 - name the line
                pytest.fail(f"README: facecli {' '.join(argv)}: {type(exc).__name__}: {exc}")
            seen += 1
    assert seen >= 30
