"""`homeport data plan|copy --policy`: a destination the residency policy denies is refused before anything
is listed or written; an allowed one is copied as without a policy."""

from __future__ import annotations

import pytest
from servers import remote_env

from homeport.cli.main import main

EU_ONLY = """version: 1
mode: enforce
allow: {countries: [EU]}
deny: {parent_jurisdictions: [US]}
"""


@pytest.fixture
def policy(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(EU_ONLY)
    return str(path)


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "shard-000000.bin").write_bytes(b"x" * 4096)
    return src


@pytest.mark.parametrize("command", ["copy", "plan"])
def test_a_denied_destination_is_refused_before_anything_happens(tmp_path, source, policy, monkeypatch, capsys,
                                                                 command):
    monkeypatch.chdir(tmp_path)
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")  # s3://... then means AWS in Virginia
    code = main(["data", command, str(source), "s3://acme-train/shards", "--policy", policy])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "refused" in err and "s3://acme-train/shards" in err and "nothing was listed or written" in err
    assert "us-east-1" in err or "US" in err  # the verdict says where the bytes would have gone
    assert not (tmp_path / ".homeport").exists() and not (tmp_path / "manifest.jsonl").exists()


def test_an_allowed_destination_is_copied(tmp_path, source, policy, rclone_server, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bucket = rclone_server.make_bucket()
    remote_env(monkeypatch, "sov", rclone_server)  # on loopback, which a policy allows unless it says otherwise
    assert main(["data", "copy", str(source), f"sov:{bucket}/shards", "--policy", policy]) == 0
    assert "copied 1 objects" in capsys.readouterr().out
    assert rclone_server.client().head_object(Bucket=bucket, Key="shards/shard-000000.bin")["ContentLength"] == 4096


def test_a_bad_policy_file_is_its_own_sentence(tmp_path, source, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nallow: {countries: [Germny]}\n")
    assert main(["data", "copy", str(source), str(tmp_path / "dst"), "--policy", str(bad)]) == 2
    assert "Germny" in capsys.readouterr().err
    assert not (tmp_path / "dst").exists()
