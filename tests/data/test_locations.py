"""Storage locations: local paths, s3://, REMOTE: from homeport.toml and HOMEPORT_REMOTE_* env."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeport.core.errors import UsageError
from homeport.data.locations import find_config, open_store, parse_location

TOML = """
[remotes.ovh]
endpoint = "s3.gra.io.cloud.ovh.net"
access_key_id = "from-file"
secret_access_key = "file-secret"
region = "gra"
provider = "ovhcloud"
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("HOMEPORT_CONFIG", "HOMEPORT_REMOTE_OVH_ENDPOINT", "HOMEPORT_REMOTE_OVH_ACCESS_KEY_ID",
                "HOMEPORT_REMOTE_OVH_SECRET_ACCESS_KEY", "HOMEPORT_REMOTE_OVH_REGION", "HOMEPORT_REMOTE_OVH_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)  # no homeport.toml above, unless a test writes one


def test_local_paths():
    for text in ["/data/train", "data", "./a:b", "C:\\data", "c:/data", "file:///srv/x"]:
        loc = parse_location(text, config={})
        assert loc.kind == "local" and str(loc) == text
    assert parse_location("file:///srv/x", config={}).path == Path("/srv/x")
    assert parse_location("/d", config={}).join("a/b.bin") == "/d/a/b.bin"


def test_s3_uses_the_standard_aws_configuration():
    loc = parse_location("s3://my-bucket/ckpt/run1/", config={})
    assert (loc.kind, loc.bucket, loc.prefix, loc.remote, loc.endpoint_url) == ("s3", "my-bucket", "ckpt/run1", None, None)
    assert str(loc) == "s3://my-bucket/ckpt/run1/"
    assert loc.join("step-10/model.pt") == "ckpt/run1/step-10/model.pt"
    assert loc.relative("ckpt/run1/step-10/model.pt") == "step-10/model.pt"
    assert str(loc.child("step-10")) == "s3://my-bucket/ckpt/run1/step-10"
    assert loc.child("step-10").prefix == "ckpt/run1/step-10"
    bare = parse_location("s3://b", config={})
    assert (bare.prefix, bare.key_prefix, bare.join("k")) == ("", "", "k")


def test_remote_from_toml_found_upward(tmp_path, monkeypatch):
    (tmp_path / "homeport.toml").write_text(TOML)
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert find_config() == tmp_path / "homeport.toml"
    loc = parse_location("ovh:datasets/imagenet")
    assert (loc.remote, loc.bucket, loc.prefix) == ("ovh", "datasets", "imagenet")
    assert loc.endpoint_url == "https://s3.gra.io.cloud.ovh.net"  # providers print endpoints without a scheme
    assert (loc.access_key_id, loc.secret_access_key, loc.region, loc.provider) == ("from-file", "file-secret", "gra", "ovhcloud")
    assert loc.path_style is True
    assert "file-secret" not in repr(loc)


def test_homeport_config_env_and_env_wins_per_field(tmp_path, monkeypatch):
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text(TOML)
    monkeypatch.setenv("HOMEPORT_CONFIG", str(cfg))
    monkeypatch.setenv("HOMEPORT_REMOTE_OVH_SECRET_ACCESS_KEY", "env-secret")
    loc = parse_location("ovh:datasets")
    assert (loc.access_key_id, loc.secret_access_key) == ("from-file", "env-secret")


def test_remote_from_env_only(monkeypatch):
    monkeypatch.setenv("HOMEPORT_REMOTE_MY_STORE_ENDPOINT", "http://127.0.0.1:9000")
    monkeypatch.setenv("HOMEPORT_REMOTE_MY_STORE_PATH_STYLE", "false")
    loc = parse_location("my-store:bkt/x/y", config={})
    assert (loc.remote, loc.endpoint_url, loc.bucket, loc.prefix, loc.path_style) == (
        "my-store", "http://127.0.0.1:9000", "bkt", "x/y", False)


def test_unknown_remote_says_how_to_define_it():
    with pytest.raises(UsageError) as err:
        parse_location("scw:bucket/data", config={"remotes": {"ovh": {}}})
    text = str(err.value)
    assert "'scw'" in text and "HOMEPORT_REMOTE_SCW_ENDPOINT" in text and "[remotes.scw]" in text
    assert "remotes defined: ovh" in text and "./scw:bucket/data" in text


def test_an_existing_local_path_with_a_colon_stays_local(tmp_path):
    (tmp_path / "run:1").mkdir()
    assert parse_location("run:1", config={}).kind == "local"


def test_bad_locations_are_usage_errors(tmp_path):
    for text in ["", "s3://", "hdfs://bucket/x", "ovh:", "ovh:/"]:
        with pytest.raises(UsageError):
            parse_location(text, config={"remotes": {"ovh": {"endpoint": "x"}}})
    with pytest.raises(UsageError, match="unknown keys: endpoint_url"):
        parse_location("ovh:b", config={"remotes": {"ovh": {"endpoint_url": "x"}}})
    bad = tmp_path / "bad.toml"
    bad.write_text("[remotes\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        parse_location("ovh:b", config=bad)


def test_open_store_picks_the_backend(tmp_path):
    from homeport.data.stores.local import LocalStore
    from homeport.data.stores.s3 import S3Store

    assert isinstance(open_store(parse_location(str(tmp_path), config={})), LocalStore)
    assert isinstance(open_store(parse_location("s3://b/p", config={})), S3Store)


def test_a_one_letter_remote_is_a_remote_when_defined_and_a_path_otherwise(monkeypatch):
    monkeypatch.delenv("HOMEPORT_REMOTE_M_ENDPOINT", raising=False)
    assert parse_location("m:bucket/x", config={}).kind == "local"
    assert parse_location("C:\\\\data", config={}).kind == "local"
    monkeypatch.setenv("HOMEPORT_REMOTE_M_ENDPOINT", "http://127.0.0.1:9000")
    loc = parse_location("m:bucket/x", config={})
    assert (loc.kind, loc.remote, loc.bucket, loc.prefix) == ("s3", "m", "bucket", "x")
