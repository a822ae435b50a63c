"""The code stays ruff-clean and type-checks, so every change keeps the bar."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )


def test_ruff_lint_and_format() -> None:
    paths = ("bot", "nlu", "knowledge_base", "tests", "benchmarks")
    lint = run(str(TOOLS / "ruff"), "check", "--no-cache", *paths)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run(
        str(TOOLS / "ruff"), "format", "--no-cache", "--check", "bot", "nlu", "knowledge_base"
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy() -> None:
    result = run(str(TOOLS / "mypy"), "bot", "nlu", "knowledge_base")
    assert result.returncode == 0, result.stdout + result.stderr
