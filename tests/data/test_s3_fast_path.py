"""GETs and small PUTs are signed and sent without the botocore client's per-request machinery; the client
is only the fallback for a response that is not 2xx. Here the fallback is forbidden, so a key this path
spells differently from botocore (and the server refuses) fails the test instead of passing silently."""

from __future__ import annotations

import pytest
from servers import remote_env

from homeport.data.locations import open_store, parse_location
from homeport.data.stores.s3 import S3Store

KEYS = ["plain.bin", "dir/with space.bin", "plus+and=equals.bin", "tilde~and(parens).bin", "ünïcode/日本.bin"]


@pytest.mark.parametrize("server", ["moto", "rclone"])
def test_get_and_put_take_the_fast_path_for_awkward_keys(server, request, monkeypatch):
    srv = request.getfixturevalue(f"{server}_server")
    bucket = srv.make_bucket()
    remote_env(monkeypatch, "fast", srv)
    store = open_store(parse_location(f"fast:{bucket}/prefix", config={}))

    def no_fallback(self, op, key=None, **kw):
        if op in ("get_object", "put_object", "list_objects_v2"):
            raise AssertionError(f"{op} of {key!r} fell back to the botocore client")
        return original(self, op, key, **kw)

    original = S3Store._call
    monkeypatch.setattr(S3Store, "_call", no_fallback)
    for i, key in enumerate(KEYS):
        body = bytes([i]) * (1000 + i)
        store.put(key, iter([body]), metadata={"sha256": f"{i:064d}"})
        assert b"".join(store.get(key)) == body
        assert b"".join(store.get(key, 10, 20)) == body[10:20]
        assert store.head(key).metadata.get("sha256") == f"{i:064d}"  # the signed metadata header arrived
    listed = {o.key: o for o in store.list()}  # listed through the Wire too, keys URL-decoded
    assert sorted(listed) == sorted(KEYS)
    assert [listed[k].size for k in KEYS] == [1000 + i for i in range(len(KEYS))]
    assert all(listed[k].mtime and listed[k].etag for k in KEYS)
    monkeypatch.setattr(S3Store, "_call", original)
    assert {o.key: (o.size, o.etag, o.mtime) for o in store.list()} == {
        k: (o.size, o.etag, o.mtime) for k, o in listed.items()}  # the same as the client lists them


@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
@pytest.mark.parametrize("extra", [{}, {"Range": "bytes=10-19"}, {"x-amz-meta-sha256": "ab" * 32}])
@pytest.mark.parametrize("key", ["plain.bin", "dir/with%20space.bin", "%C3%BCn%C3%AFcode/%E6%97%A5.bin"])
def test_wire_signature_is_botocores(token, extra, key, monkeypatch):
    """The Wire's SigV4 header equals botocore's own signer's for the same request and second (the reference
    implementation), with and without a session token, for ranges, metadata and quoted keys."""
    import datetime

    import boto3
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config

    from homeport.data.stores.s3_wire import Wire

    now = datetime.datetime(2026, 11, 27, 16, 5, 9)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: now)
    client = boto3.session.Session().client(
        "s3", endpoint_url="http://store.example:9000", region_name="eu-west-3", aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", aws_session_token=token,
        config=Config(s3={"addressing_style": "path", "payload_signing_enabled": False}))
    wire = Wire(client, "http://store.example:9000/bucket/")
    ours = wire._sign("GET", "/bucket/" + key, extra, stamp=now.strftime("%Y%m%dT%H%M%SZ"))

    request = AWSRequest(method="GET", url="http://store.example:9000/bucket/" + key, headers=dict(extra))
    request.context["client_config"] = client.meta.config
    creds = client._request_signer._credentials.get_frozen_credentials()
    botocore.auth.S3SigV4Auth(creds, "s3", "eu-west-3").add_auth(request)
    assert request.headers["X-Amz-Content-SHA256"] == ours["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours.get("x-amz-security-token") == token


def test_a_refused_fast_request_is_asked_again_through_the_client(rclone_server, monkeypatch):
    """A 403 on the Wire (here: a signature the server cannot match) is not the answer: the client asks again,
    succeeds, and the object arrives whole."""
    from homeport.data.stores import s3_wire

    bucket = rclone_server.make_bucket()
    remote_env(monkeypatch, "fast", rclone_server)
    store = open_store(parse_location(f"fast:{bucket}/p", config={}))
    calls = []
    original_call = S3Store._call
    monkeypatch.setattr(S3Store, "_call", lambda self, op, key=None, **kw: calls.append(op) or
                        original_call(self, op, key, **kw))
    sign = s3_wire.Wire._sign

    def forged(self, *args, **kw):
        headers = sign(self, *args, **kw)
        headers["authorization"] = headers["authorization"][:-8] + "00000000"
        return headers
    monkeypatch.setattr(s3_wire.Wire, "_sign", forged)
    store.put("k.bin", iter([b"x" * 5000]), metadata={"sha256": "1" * 64})
    assert b"".join(store.get("k.bin")) == b"x" * 5000
    assert calls == ["put_object", "get_object"]
    assert store.head("k.bin").metadata["sha256"] == "1" * 64


def test_a_listing_of_several_pages_goes_through_the_wire(rclone_server, monkeypatch):
    """1,005 keys: two pages, the second asked for with a continuation token in the signed query string
    (rclone serve s3 checks every signature)."""
    bucket = rclone_server.make_bucket()
    client = rclone_server.client()
    keys = [f"shard-{i:05d} +x.bin" for i in range(1005)]
    for key in keys:
        client.put_object(Bucket=bucket, Key=f"p/{key}", Body=b"")
    remote_env(monkeypatch, "fast", rclone_server)
    store = open_store(parse_location(f"fast:{bucket}/p", config={}))
    original = S3Store._call

    def no_fallback(self, op, key=None, **kw):
        if op == "list_objects_v2":
            raise AssertionError("the listing fell back to the botocore client")
        return original(self, op, key, **kw)
    monkeypatch.setattr(S3Store, "_call", no_fallback)
    assert [o.key for o in store.list()] == sorted(keys)
