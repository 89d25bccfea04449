"""Fixtures for the tests that span apps (the personas come from the root conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def run_manage(tmp_path):
    """Run manage.py in a fresh interpreter with only the given environment variables.

    The settings are read once per process from the environment, so production settings can only
    be checked in a process of their own; nothing of the test run's environment leaks in.
    """

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        base = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "PISTE_DATA_DIR": str(tmp_path / "data"),
        }
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
