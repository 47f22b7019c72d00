"""Fixtures for the runtime fence: real servers on loopback addresses of their own (fence_support.py says
which catalog names lead to them), and a fence that is always deactivated after its test."""

from __future__ import annotations

import pytest
from fence_support import ALLOWED_IP, DENIED_IP, EU_NO_US
from recording_server import RecordingServer

import homeport.fence


@pytest.fixture(autouse=True)
def no_fence_left_and_no_proxy(monkeypatch):
    """No proxy from the environment between the clients and the servers; no fence outlives its test."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    yield
    homeport.fence.deactivate()


@pytest.fixture
def allowed_server():
    server = RecordingServer(ALLOWED_IP)
    yield server
    server.close()


@pytest.fixture
def denied_server():
    server = RecordingServer(DENIED_IP)
    yield server
    server.close()


@pytest.fixture
def write_policy(tmp_path):
    """write_policy(text) -> the path of a policy file holding `text`."""
    def write(text: str, name: str = "policy.yaml") -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def fence(tmp_path, write_policy):
    """fence(policy_text, mode=None) -> an active Fence logging to tmp_path/audit.jsonl."""
    def activate(text: str = EU_NO_US, mode: str | None = None):
        return homeport.fence.activate(write_policy(text), mode=mode, audit_log=tmp_path / "audit.jsonl")

    return activate
