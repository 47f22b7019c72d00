"""Fixtures for homeport.data: real S3 servers on loopback, started once per session, and a fresh
bucket (with its Location) per test.

    def test_x(moto_location, rclone_location): ...   # s3://BUCKET/prefix and sov:BUCKET/prefix
"""

from __future__ import annotations

import pytest
from servers import aws_env, moto_server, rclone_server, remote_env  # noqa: F401  (session fixtures)

from homeport.data.locations import parse_location

SOVEREIGN = "sov"  # the remote name the rclone locations use (HOMEPORT_REMOTE_SOV_*)


@pytest.fixture
def moto_location(moto_server, monkeypatch, tmp_path):
    """s3://BUCKET/data through the standard AWS configuration (env), pointing at moto."""
    aws_env(monkeypatch, moto_server, tmp_path)
    return parse_location(f"s3://{moto_server.make_bucket()}/data", config={})


@pytest.fixture
def rclone_location(rclone_server, monkeypatch):
    """sov:BUCKET/data through HOMEPORT_REMOTE_SOV_* env, pointing at rclone serve s3."""
    remote_env(monkeypatch, SOVEREIGN, rclone_server)
    return parse_location(f"{SOVEREIGN}:{rclone_server.make_bucket()}/data", config={})


@pytest.fixture
def local_location(tmp_path):
    return parse_location(str(tmp_path / "store"), config={})
