"""Fixtures for homeport.plan: the real S3 servers of tests/data (moto as the "global" store, rclone serve s3 as
the "sovereign" one), started once per session (helpers in plan_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))  # tests/data's servers.py, as its tests import it

from servers import moto_server, rclone_server  # noqa: E402, F401  (session fixtures)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Messages on one line each: rich wraps at the terminal's width, 80 columns when there is none."""
    monkeypatch.setenv("COLUMNS", "1000")
