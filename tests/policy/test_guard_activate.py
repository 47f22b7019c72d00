"""`homeport.fence.activate`: idempotent, one fence per process, a mode that overrides the policy's, and a
deactivation that really ends the checks."""

from __future__ import annotations

import os
import socket

import pytest
from fence_support import DENIED, EU_NO_US

import homeport.fence
from homeport.core.errors import UsageError
from homeport.policy import PolicyError, parse_policy


def test_activating_the_same_policy_again_returns_the_active_fence(fence, tmp_path):
    first = fence()
    again = homeport.fence.activate(first.origin, audit_log=first.log_path)
    assert again is first and homeport.fence.active() is first and first.active


def test_another_policy_while_one_is_active_is_refused(fence, write_policy):
    first = fence()
    with pytest.raises(UsageError, match="a fence is already active"):
        homeport.fence.activate(write_policy("allow:\n  countries: [DE]\n", "other.yaml"))
    with pytest.raises(UsageError, match="a fence is already active"):
        homeport.fence.activate(first.origin, mode="audit")
    assert homeport.fence.active() is first


def test_deactivation_restores_the_socket_functions_and_ends_the_checks(fence):
    originals = socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex
    active = fence()
    assert socket.getaddrinfo is not originals[0]
    with pytest.raises(homeport.fence.FenceViolation):
        socket.getaddrinfo(DENIED, 443)
    active.deactivate()
    assert (socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex) == originals
    assert homeport.fence.active() is None and not active.active
    try:  # the audit hook is still installed, and idle: plain DNS answers (or fails) as it would
        socket.getaddrinfo(DENIED, 443)
    except OSError as exc:
        assert not isinstance(exc, homeport.fence.FenceViolation)
    active.deactivate()  # twice is fine


def test_a_policy_object_and_a_context_manager(tmp_path):
    policy = parse_policy({"allow": {"countries": ["EU"]}, "deny": {"parent_jurisdictions": ["US"]}}, "inline")
    with homeport.fence.activate(policy, audit_log=tmp_path / "log.jsonl") as active:
        assert active.policy is policy and active.mode == "enforce"
        with pytest.raises(homeport.fence.FenceViolation):
            socket.gethostbyname(DENIED)
    assert homeport.fence.active() is None


@pytest.mark.parametrize("policy_mode, mode, expected", [
    ("enforce", "audit", "audit"), ("audit", "enforce", "deny"), ("audit", None, "audit"),
])
def test_the_mode_argument_overrides_the_policys(fence, policy_mode, mode, expected):
    active = fence(f"mode: {policy_mode}\n" + EU_NO_US, mode=mode)
    if expected == "deny":
        with pytest.raises(homeport.fence.FenceViolation):
            socket.getaddrinfo(DENIED, 443)
    else:
        socket.getaddrinfo(DENIED, 443)  # the resolve: override answers, logged as audit
        assert active.counts["audit"] == 1


def test_the_log_defaults_to_the_policys_then_the_current_directory(write_policy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with homeport.fence.activate(write_policy(EU_NO_US)) as active:
        assert active.log_path == str(tmp_path / "fence-audit.jsonl")
    with homeport.fence.activate(write_policy("audit_log: logs/job.jsonl\n" + EU_NO_US, "p2.yaml")) as active:
        assert active.log_path == os.path.join(str(tmp_path), "logs", "job.jsonl")


def test_errors_are_clear(write_policy, tmp_path):
    with pytest.raises(UsageError, match="unknown fence mode 'strict'"):
        homeport.fence.activate(write_policy(EU_NO_US), mode="strict")
    with pytest.raises(PolicyError, match="the policy file does not exist"):
        homeport.fence.activate(tmp_path / "missing.yaml")
    assert homeport.fence.active() is None


def test_a_name_given_as_bytes_is_decided_too(fence, allowed_server):
    fence()
    with pytest.raises(homeport.fence.FenceViolation):
        socket.getaddrinfo(DENIED.encode(), 443)
    with pytest.raises(homeport.fence.FenceViolation):
        socket.gethostbyname(bytearray(DENIED.encode()))
    assert socket.getaddrinfo(b"s3.gra.io.cloud.ovh.net", allowed_server.port)[0][4][0] == "127.0.0.2"
