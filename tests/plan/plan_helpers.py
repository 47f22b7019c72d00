"""Helpers shared by the plan tests (a module of its own: `conftest` names collide across test folders)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))  # tests/data's servers.py, as its tests import it

from servers import REGION, Server  # noqa: E402


def point_remote(monkeypatch, name: str, server: Server, host: str = "127.0.0.1") -> None:
    """HOMEPORT_REMOTE_<NAME>_* at `server`, reached as `host` (the fence tells localhost and 127.0.0.1 apart)."""
    env = "HOMEPORT_REMOTE_" + name.upper()
    monkeypatch.setenv(f"{env}_ENDPOINT", server.endpoint.replace("127.0.0.1", host))
    monkeypatch.setenv(f"{env}_ACCESS_KEY_ID", server.key)
    monkeypatch.setenv(f"{env}_SECRET_ACCESS_KEY", server.secret)
    monkeypatch.setenv(f"{env}_REGION", REGION)


def isolate_aws(monkeypatch, tmp_path: Path) -> None:
    """Nothing of the user's AWS configuration reaches the tests (nor the pipelines they start)."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY", "HOMEPORT_PLAN", "HOMEPORT_PROFILE", "HOMEPORT_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config-none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials-none"))


def write_profiles(root: Path, bucket: str, policy: str | None = None, areas=("data", "checkpoints")) -> Path:
    """homeport.toml with [profiles.global] on moto and [profiles.sovereign] on rclone (remotes from the env)."""
    lines = []
    for name, provider, region, remote, target in (("global", "aws", "eu-west-1", "global", "cuda"),
                                                   ("sovereign", "scaleway", "fr-par", "sovereign", "cpu")):
        lines += [f"[profiles.{name}]", f'provider = "{provider}"', f'region = "{region}"', 'accelerator = "cpu"',
                  f'target = "{target}"', 'torch = "2.13.0"']
        if policy and name == "sovereign":
            lines.append(f'policy = "{policy}"')
        storage = ", ".join(f'{a} = "{remote}:{bucket}/{a}"' for a in areas)
        lines += [f"storage = {{ {storage} }}", ""]
    path = root / "homeport.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def local_plan(root: Path, *, policy: str | None = None, areas=("data", "checkpoints")):
    """A migration file in `root` whose two profiles keep their storage in local folders (source/, target/),
    over a pipeline folder `root/pipeline` holding one CUDA-bound script. Returns the loaded Plan."""
    from homeport.plan.create import new_plan
    from homeport.plan.spec import dump_plan, load_plan

    (root / "pipeline").mkdir(parents=True, exist_ok=True)
    (root / "pipeline" / "train.py").write_text("import torch\n\nmodel = torch.nn.Linear(2, 2).cuda()\n")
    lines = []
    for name, provider, region, target in (("global", "aws", "eu-west-1", "cuda"), ("sovereign", "scaleway", "fr-par", "cpu")):
        storage = ", ".join(f'{a} = "{root / name / a}"' for a in areas)
        lines += [f"[profiles.{name}]", f'provider = "{provider}"', f'region = "{region}"', 'accelerator = "cpu"',
                  f'target = "{target}"', 'torch = "2.13.0"', f"storage = {{ {storage} }}"]
        if policy and name == "sovereign":
            lines.append(f'policy = "{policy}"')
        lines += ['env = { NCCL_SOCKET_IFNAME = "eth0" }' if name == "global" else "", ""]
    (root / "homeport.toml").write_text("\n".join(lines), encoding="utf-8")
    doc, _ = new_plan("global", "sovereign", base=root, pipeline="pipeline")
    (root / "homeport-plan.yaml").write_text(dump_plan(doc), encoding="utf-8")
    for name in ("global", "sovereign"):
        for area in areas:
            (root / name / area).mkdir(parents=True, exist_ok=True)
    (root / ".homeport" / "plan" / "data").mkdir(parents=True)  # as `plan init` leaves it, for the data copy's manifest
    return load_plan(root / "homeport-plan.yaml")


def port_in_place(pipeline: Path) -> Path:
    """`homeport port --write --force` on the pipeline: the rewritten files and the revert patch, for real."""
    from homeport.port.apply import write_in_place
    from homeport.port.engine import port

    result = port(pipeline)
    return write_in_place(result.root, result.files, force=True)


def cut_over(plan) -> str:
    """The journal and active profile a finished cutover leaves (its gates are the gate tests' business)."""
    from homeport.plan import state
    from homeport.plan.journal import Journal, run_actions

    journal = Journal(plan.state_dir)
    op = journal.begin("cutover", source="global", target="sovereign")
    run_actions(journal, op, [("switch to target", lambda: state.switch(plan, plan.profile("target"), op))])
    journal.finish(op, "done")
    return op
