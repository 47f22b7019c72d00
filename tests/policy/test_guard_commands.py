"""Command lines -> destinations: what the fence reads from a launch before the process starts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeport.policy.commands import destinations, simple_commands

ENV = {"AWS_REGION": "eu-west-3", "DATA": "https://s3.gra.io.cloud.ovh.net/shards", "HOME": "/nonexistent"}


def hosts(argv, env=ENV) -> list[tuple[str | None, int | None]]:
    return [(d.host, d.port) for words, e in simple_commands(argv, env) for d in destinations(words, e)]


@pytest.mark.parametrize("argv, expected", [
    (["curl", "-sSLo", "out.example.com", "https://api.wandb.ai/graphql", "--retry", "3"], [("api.wandb.ai", 443)]),
    (["curl", "-x", "proxy.corp.example:3128", "http://10.0.0.5:8080/x"],
     [("proxy.corp.example", 3128), ("10.0.0.5", 8080)]),
    (["curl", "-H", "Host: evil.example.com", "--data", "a.b.cd", "pypi.org/simple"], [("pypi.org", 443)]),
    (["/usr/bin/curl", "--version"], []),
    (["wget", "-q", "-O", "file.example.com", "example.org/data.tar"], [("example.org", 80)]),
    (["aws", "s3", "cp", "s3://bkt/k", "."], [("bkt.s3.eu-west-3.amazonaws.com", 443)]),
    (["aws", "--endpoint-url", "https://s3.waw.io.cloud.ovh.net", "s3", "ls", "s3://b"],
     [("s3.waw.io.cloud.ovh.net", 443)]),
    (["aws", "s3api", "get-object", "--bucket", "bb", "--key", "x.example.com", "out"],
     [("bb.s3.eu-west-3.amazonaws.com", 443)]),
    (["aws", "ec2", "describe-instances", "--region", "eu-central-1"], [("ec2.eu-central-1.amazonaws.com", 443)]),
    (["aws", "configure", "list"], []),
    (["gsutil", "-m", "cp", "-r", "gs://a/b", "."], [("storage.googleapis.com", 443)]),
    (["gcloud", "storage", "ls", "gs://x"], [("storage.googleapis.com", 443)]),
    (["gcloud", "alpha", "storage", "cp", "s3://b/k", "gs://x"],
     [("storage.googleapis.com", 443), ("b.s3.eu-west-3.amazonaws.com", 443)]),
    (["azcopy", "copy", "https://acct.blob.core.windows.net/c?sv=secret", "/tmp/x"],
     [("acct.blob.core.windows.net", 443)]),
    (["rclone", "copy", ":s3,provider=Other,endpoint='https://s3.fr-par.scw.cloud':bkt", "./x", "--transfers", "4"],
     [("s3.fr-par.scw.cloud", 443)]),
    (["rclone", "copy", "undefined:bkt", "/tmp"], [(None, None)]),
    (["rclone", "version"], []),
    (["python", "train.py", "--data", "https://api.wandb.ai"], []),  # a Python child is fenced by `fence run`
])
def test_destinations(argv, expected):
    assert hosts(argv) == expected


@pytest.mark.parametrize("argv, expected", [
    (["sh", "-c", "cd /data && curl -s $DATA | tar x; wget example.org/a"],
     [("s3.gra.io.cloud.ovh.net", 443), ("example.org", 80)]),
    (["bash", "-ec", "X=1 env -u HOME sudo -u train nohup timeout 30 aws s3 ls s3://b"],
     [("b.s3.eu-west-3.amazonaws.com", 443)]),
    (["/bin/sh", "-c", "echo $(curl https://api.wandb.ai)"], [("api.wandb.ai", 443)]),
    (["sh", "script.sh"], []),  # a script file: its lines are not read
    (["env", "AWS_REGION=eu-north-1", "aws", "s3", "ls", "s3://b"], [("b.s3.eu-north-1.amazonaws.com", 443)]),
])
def test_shell_lines_and_wrappers(argv, expected):
    assert hosts(argv) == expected


def test_what_is_shown_has_no_credentials_or_query():
    (words, env), = simple_commands(["curl", "https://user:secret@host.example.com/p?sig=abc#f"], ENV)
    dest, = destinations(words, env)
    assert dest.target == "https://host.example.com/p" and "secret" not in dest.via


def test_rclone_reads_its_config_file_and_environment(tmp_path):
    config = tmp_path / "rclone.conf"
    config.write_text("[ovh]\ntype = s3\nprovider = OVHcloud\nendpoint = https://s3.gra.io.cloud.ovh.net\n"
                      "[aws]\ntype = s3\nprovider = AWS\nregion = eu-west-1\n"
                      "[gcs]\ntype = google cloud storage\n"
                      "[blob]\ntype = azureblob\naccount = acct\n"
                      "[secret]\ntype = crypt\nremote = ovh:vault\n"
                      "[disk]\ntype = local\n", encoding="utf-8")
    env = {"RCLONE_CONFIG": str(config), "RCLONE_CONFIG_MINIO_TYPE": "s3",
           "RCLONE_CONFIG_MINIO_ENDPOINT": "http://minio.train.internal:9000"}
    expected = {"ovh:b": [("s3.gra.io.cloud.ovh.net", 443)], "aws:b": [("s3.eu-west-1.amazonaws.com", None)],
                "gcs:b": [("storage.googleapis.com", None)], "blob:c": [("acct.blob.core.windows.net", None)],
                "secret:": [("s3.gra.io.cloud.ovh.net", 443)], "disk:/x": [],
                "minio:b": [("minio.train.internal", 9000)]}
    for remote, want in expected.items():
        assert hosts(["rclone", "ls", remote], env) == want, remote
    assert hosts(["rclone", "ls", "ovh:b", "--s3-endpoint", "https://s3.waw.io.cloud.ovh.net"], env) == [
        ("s3.waw.io.cloud.ovh.net", 443)]


def test_an_encrypted_rclone_config_is_unknown(tmp_path):
    config = tmp_path / "rclone.conf"
    config.write_text("# Encrypted rclone configuration File\n\nRCLONE_ENCRYPT_V0:\nabc\n", encoding="utf-8")
    (words, env), = simple_commands(["rclone", "ls", "ovh:b", "--config", str(config)], {})
    dest, = destinations(words, env)
    assert dest.host is None and "is encrypted" in dest.via


TOOLS = ["curl", "wget", "aws", "gsutil", "gcloud", "azcopy", "rclone", "sh", "env", "sudo", "timeout"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TOOLS + ["-c", "-x", "--url", "s3://b", "storage", "a:b", ";", "&&",
                                                   "--endpoint-url", "$DATA", "'", "--config"]),
                          st.text(max_size=30)), min_size=1, max_size=8))
def test_any_command_line_reads_without_raising(argv):
    """The parser runs inside a job's launches: whatever the argv, it answers, it does not raise."""
    for words, env in simple_commands(argv, ENV):
        for dest in destinations(words, env):
            assert dest.host is None or isinstance(dest.host, str)
