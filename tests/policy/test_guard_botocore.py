"""boto3 against a real moto server behind two counting proxies, one per catalog name: the fence checks each
request's URL (endpoint and bucket) in botocore's before-send, before anything is sent."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from fence_support import ALLOWED, ALLOWED_IP, DENIED, DENIED_IP, RESOLVE, read_log
from recording_server import RecordingServer

import homeport.fence

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from servers import start_moto  # noqa: E402  (tests/data/servers.py: how the suite starts moto)

# Loopback stays open here: the proxies in this process reach moto on 127.0.0.1.
POLICY = "allow:\n  countries: [EU]\ndeny:\n  parent_jurisdictions: [US]\n" + RESOLVE


@pytest.fixture(scope="module")
def moto():
    server, stop = start_moto()
    yield server
    stop()


@pytest.fixture
def proxies(moto, monkeypatch):
    """(allowed, denied): counting proxies to moto on 127.0.0.2 and 127.0.0.3."""
    upstream = ("127.0.0.1", int(moto.endpoint.rsplit(":", 1)[1]))
    pair = RecordingServer(ALLOWED_IP, upstream), RecordingServer(DENIED_IP, upstream)
    # moto reads a bucket from the Host header unless it knows the endpoint as S3-compatible (path-style)
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", ",".join(
        f"http://{host}:{proxy.port}" for host, proxy in ((ALLOWED, pair[0]), (DENIED, pair[1]))))
    yield pair
    for proxy in pair:
        proxy.close()


def s3(moto, endpoint: str | None, region: str = "us-east-1", style: str = "path"):
    cfg = Config(s3={"addressing_style": style}, request_checksum_calculation="when_required",
                 response_checksum_validation="when_required", retries={"mode": "standard", "max_attempts": 1})
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=region, config=cfg,
                                          aws_access_key_id=moto.key, aws_secret_access_key=moto.secret)


def test_allowed_requests_go_through_and_are_logged(fence, moto, proxies):
    allowed, _ = proxies
    active = fence(POLICY)
    client = s3(moto, f"http://{ALLOWED}:{allowed.port}")
    client.create_bucket(Bucket="train-shards")
    client.put_object(Bucket="train-shards", Key="shard-0001.tar", Body=b"x" * 1000)
    assert client.get_object(Bucket="train-shards", Key="shard-0001.tar")["Body"].read() == b"x" * 1000
    active.deactivate()
    connections, received = allowed.settle()
    assert connections >= 1 and received > 1000
    lines = [line for line in read_log(active) if line["asked"] == "botocore"]
    assert {(line["host"], line["verdict"], line["bucket"]) for line in lines} == {(ALLOWED, "allow", "train-shards")}
    assert {line["operation"] for line in lines} == {"CreateBucket", "PutObject", "GetObject"}


def test_a_denied_endpoint_is_blocked_before_sending(fence, moto, proxies):
    _, denied = proxies
    active = fence(POLICY)
    client = s3(moto, f"http://{DENIED}:{denied.port}")
    for operation in (lambda: client.create_bucket(Bucket="exfil"),
                      lambda: client.put_object(Bucket="exfil", Key="weights.pt", Body=b"secret" * 1000),
                      lambda: client.list_objects_v2(Bucket="exfil")):
        with pytest.raises(homeport.fence.FenceViolation) as info:  # raised as is: botocore does not retry it
            operation()
        assert info.value.asked == "botocore" and info.value.verdict.host == DENIED
        assert "request to s3.eu-west-1.amazonaws.com (bucket exfil)" in str(info.value)
    active.deactivate()
    assert denied.settle() == (0, 0)
    assert not any(line["asked"] == "dns" for line in read_log(active))  # stopped before name resolution


def test_a_virtual_hosted_bucket_is_decided_by_its_host(fence, moto):
    """No endpoint: botocore puts the bucket in the AWS host, which the catalog reads (region eu-west-1)."""
    active = fence(POLICY)
    client = s3(moto, None, region="eu-west-1", style="virtual")
    with pytest.raises(homeport.fence.FenceViolation) as info:
        client.get_object(Bucket="train-shards", Key="k")
    assert info.value.verdict.host == "train-shards.s3.eu-west-1.amazonaws.com"
    line = read_log(active)[-1]
    assert (line["asked"], line["bucket"], line["provider"], line["country"], line["region"]) == (
        "botocore", "train-shards", "aws", "IE", "eu-west-1")


def test_audit_mode_lets_the_request_through(fence, moto, proxies):
    _, denied = proxies
    active = fence(POLICY, mode="audit")
    client = s3(moto, f"http://{DENIED}:{denied.port}")
    client.create_bucket(Bucket="audited")
    active.deactivate()
    assert denied.settle()[1] > 0
    verdicts = {(line["asked"], line["verdict"]) for line in read_log(active) if line["host"] == DENIED}
    assert {("botocore", "audit"), ("dns", "audit"), ("connect", "audit")} <= verdicts


def test_deactivation_is_real(fence, moto, proxies):
    """A client made under the fence keeps its handler, which does nothing once the fence is gone."""
    _, denied = proxies
    closed = "allow:\n  countries: [EU]\n  loopback: false\n"
    active = fence(closed)
    client = s3(moto, f"http://{DENIED_IP}:{denied.port}")
    with pytest.raises(homeport.fence.FenceViolation):
        client.create_bucket(Bucket="after")
    active.deactivate()
    client.create_bucket(Bucket="after")  # no fence: through
    assert denied.settle()[0] >= 1
    homeport.fence.activate(active.policy, audit_log=active.log_path)
    with pytest.raises(homeport.fence.FenceViolation):
        client.create_bucket(Bucket="again")
