"""Profiles: where a pipeline runs (provider, region, accelerator, storage, environment), and the environment
the pipeline needs on each side.

`resolve_profile(text)` is what `plan init --from/--to` accepts: the name of a `[profiles.NAME]` table in
homeport.toml, or PROVIDER[:REGION] checked against the catalog (storage and accelerator then left for a
person to fill in). `environment(plan, profile)` is what `plan exec` and `cutover` give the pipeline: the S3
endpoint, region and credentials of the profile's storage in the standard AWS variables (so plain boto3 code
reaches the new store without a change), each storage area as HOMEPORT_STORAGE_<AREA>, the profile's own
variables with NCCL ones translated for the target's collective library, and the other side's variables
removed so nothing of it leaks through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from homeport.catalog import accelerators
from homeport.catalog.providers import find_provider
from homeport.catalog.regions import lookup_region
from homeport.catalog.targets import collective_equivalent
from homeport.core.errors import HomeportError, UsageError
from homeport.core.model import Target
from homeport.data.locations import find_config, load_config, parse_location
from homeport.plan.spec import PROFILE_KEYS, Plan, Profile

TODO = "TODO"  # what init leaves for a person; gates fail while a profile still holds it
SECRET_VARS = ("AWS_SECRET_ACCESS_KEY", "HOMEPORT_REMOTE_ACTIVE_SECRET_ACCESS_KEY")
# set from the storage of whichever profile is active; removed when the profile does not set them
S3_VARS = ("AWS_ENDPOINT_URL_S3", "AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION",
           "HOMEPORT_REMOTE_ACTIVE_ENDPOINT", "HOMEPORT_REMOTE_ACTIVE_ACCESS_KEY_ID",
           "HOMEPORT_REMOTE_ACTIVE_SECRET_ACCESS_KEY", "HOMEPORT_REMOTE_ACTIVE_REGION",
           "HOMEPORT_REMOTE_ACTIVE_PROVIDER", "HOMEPORT_REMOTE_ACTIVE_PATH_STYLE")
_VENDOR_TARGET = {("nvidia", "cuda"): "cuda", ("amd", "cuda"): "rocm", ("intel", "hpu"): "gaudi",
                  ("intel", "xpu"): "xpu", ("huawei", "npu"): "npu"}


# -- plan init: where a profile comes from -------------------------------------------------------------------

def resolve_profile(text: str, base: Path) -> tuple[dict, list[str]]:
    """The profile `text` names, as the mapping the migration file holds, and notes on what is missing."""
    tables = load_config(find_config(base)).get("profiles", {})
    table = tables.get(text) if isinstance(tables, Mapping) else None
    if table is not None:
        if not isinstance(table, Mapping):
            raise UsageError(f"[profiles.{text}] in homeport.toml is not a table", expected=", ".join(PROFILE_KEYS))
        unknown = set(table) - set(PROFILE_KEYS) - {"name"}
        if unknown:
            raise UsageError(f"[profiles.{text}] in homeport.toml has unknown keys: {', '.join(sorted(unknown))}",
                             expected=", ".join(k for k in PROFILE_KEYS if k not in ("name", "country")))
        return _complete(text, dict(table), base)
    provider, _, region = text.partition(":")
    if not find_provider(provider):
        known = ", ".join(sorted(tables)) if isinstance(tables, Mapping) and tables else "none"
        raise UsageError(f"{text!r} is neither a profile of homeport.toml nor a provider of the catalog",
                         expected=f"a [profiles.NAME] table (defined: {known}) or PROVIDER[:REGION], e.g. scaleway:fr-par",
                         hint="`homeport fence check` and the catalog in homeport/catalog/data/providers.csv list "
                              "the providers")
    return _complete(text.replace(":", "-"), {"provider": provider, "region": region}, base)


def _complete(name: str, table: dict, base: Path) -> tuple[dict, list[str]]:
    notes = []
    provider = find_provider(str(table.get("provider", "")))
    if provider is None:
        raise UsageError(f"profile {name}: the provider {table.get('provider')!r} is not in the catalog",
                         hint="use a key of homeport/catalog/data/providers.csv (aws, scaleway, ovhcloud, ...)")
    region = str(table.get("region") or "")
    found = lookup_region(provider.provider, region) if region else None
    if region and found is None:
        notes.append(f"profile {name}: the catalog does not know the region {region!r} of {provider.provider}: "
                     "its country is unknown, so residency cannot be judged from it")
    accelerator = str(table.get("accelerator") or TODO)
    if accelerator not in (TODO, "cpu") and accelerators.find(accelerator) is None:
        raise UsageError(f"profile {name}: the accelerator {accelerator!r} is not in the catalog",
                         expected="a key of homeport/catalog/data/accelerators.csv (H100-SXM, MI300X, Gaudi3, ...) "
                                  "or cpu")
    storage = {str(k): str(v) for k, v in (table.get("storage") or {}).items()}
    if not storage:
        storage = {"data": TODO, "checkpoints": TODO}
        notes.append(f"profile {name}: storage areas left as {TODO}: give each a location "
                     "(s3://bucket/prefix or REMOTE:bucket/prefix)")
    config = load_config(find_config(base))
    for area, location in storage.items():
        if location == TODO:
            continue
        try:
            parse_location(location, config)  # a malformed location is an error now, not at the cutover
        except UsageError as exc:
            if "is not defined" not in exc.what:
                raise
            notes.append(f"profile {name}: storage {area}: {exc.what} Define it before the data phase.")
    if accelerator == TODO:
        notes.append(f"profile {name}: accelerator left as {TODO}")
    profile = {"name": str(table.get("name") or name), "provider": provider.provider, "region": region,
               "country": found.country if found else "", "accelerator": accelerator,
               "target": str(table.get("target") or default_target(accelerator)),
               "torch": str(table.get("torch") or TODO), "policy": table.get("policy") or None,
               "storage": storage, "env": {str(k): str(v) for k, v in (table.get("env") or {}).items()}}
    return profile, notes


def default_target(accelerator: str) -> str:
    """The assess/port target an accelerator stands for (MI300X -> rocm); portable when unknown."""
    if accelerator == "cpu":
        return Target.CPU.value
    row = accelerators.find(accelerator) if accelerator != TODO else None
    return _VENDOR_TARGET.get((row.vendor, row.device_type), Target.PORTABLE.value) if row else Target.PORTABLE.value


def unfinished(profile: Profile) -> list[str]:
    """The fields init left for a person that are still TODO."""
    fields = {"accelerator": profile.accelerator, "torch": profile.torch,
              **{f"storage.{a}": loc for a, loc in profile.storage.items()}}
    return [f"profiles.{profile.role}.{k}" for k, v in fields.items() if v == TODO]


# -- the pipeline's environment on one side -----------------------------------------------------------------

@dataclass
class Environment:
    values: dict[str, str] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def apply(self, base: Mapping[str, str]) -> dict[str, str]:
        out = {k: v for k, v in base.items() if k not in self.unset}
        out.update(self.values)
        return out

    def public(self) -> dict[str, str]:
        """Without the secrets (what active.env and `plan env` show unless asked)."""
        return {k: v for k, v in self.values.items() if k not in SECRET_VARS}


def environment(plan: Plan, profile: Profile) -> Environment:
    other = next(p for p in plan.profiles.values() if p.role != profile.role)
    env = Environment()
    env.values.update(HOMEPORT_PROFILE=profile.name, HOMEPORT_PLAN=str(plan.path), HOMEPORT_TARGET=profile.target)
    if profile.accelerator and profile.accelerator != TODO:
        env.values["HOMEPORT_ACCELERATOR"] = profile.accelerator
    if profile.policy:
        env.values["HOMEPORT_POLICY"] = str(plan.resolve(profile.policy))
    _storage(plan, profile, env)
    env.values.update(profile.env)
    _collectives(profile, other, env)
    mine = set(env.values)
    theirs = {f"HOMEPORT_STORAGE_{_var(a)}" for a in other.storage} | set(other.env) | set(S3_VARS)
    env.unset = sorted(theirs - mine)
    return env


def _storage(plan: Plan, profile: Profile, env: Environment) -> None:
    config = load_config(find_config(plan.base))
    chosen = None
    for area, text in profile.storage.items():
        if text == TODO:
            continue
        loc = parse_location(text, config)
        if loc.kind == "local":
            env.values[f"HOMEPORT_STORAGE_{_var(area)}"] = str(plan.resolve(loc.path))
            continue
        env.values[f"HOMEPORT_STORAGE_{_var(area)}"] = f"s3://{loc.bucket}/{loc.key_prefix}"
        if chosen is None:
            chosen = (area, loc)
        elif (loc.remote, loc.endpoint_url) != (chosen[1].remote, chosen[1].endpoint_url):
            env.notes.append(f"storage area {area} is on another endpoint than {chosen[0]}: the standard AWS "
                             f"variables name {chosen[0]}'s; read {area} with its own client")
    if chosen is None:
        return
    area, loc = chosen
    if loc.remote is None:  # s3://: the standard AWS configuration (profile, ~/.aws, instance role) applies
        env.notes.append(f"storage ({area}) uses the standard AWS configuration: credentials from AWS_PROFILE, "
                         "~/.aws or the instance role")
        return
    if loc.endpoint_url:
        # S3-compatible stores refuse the checksum headers boto3 sends by default since 1.36 (research/data.md s1.4)
        env.values.update(AWS_ENDPOINT_URL_S3=loc.endpoint_url, AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
                          AWS_RESPONSE_CHECKSUM_VALIDATION="when_required")
    if loc.region:
        env.values.update(AWS_REGION=loc.region, AWS_DEFAULT_REGION=loc.region)
    if loc.access_key_id:
        env.values["AWS_ACCESS_KEY_ID"] = loc.access_key_id
    if loc.secret_access_key:
        env.values["AWS_SECRET_ACCESS_KEY"] = loc.secret_access_key
    for name, value in (("ENDPOINT", loc.endpoint_url), ("ACCESS_KEY_ID", loc.access_key_id),
                        ("SECRET_ACCESS_KEY", loc.secret_access_key), ("REGION", loc.region),
                        ("PROVIDER", loc.provider), ("PATH_STYLE", None if loc.path_style is None else str(loc.path_style).lower())):
        if value:
            env.values[f"HOMEPORT_REMOTE_ACTIVE_{name}"] = value  # `active:bucket/prefix` for homeport-aware code


def _collectives(profile: Profile, other: Profile, env: Environment) -> None:
    """NCCL variables the other side sets, under the name this side's collective library reads."""
    if profile.target in (Target.CUDA.value, Target.PORTABLE.value):
        return
    for var, value in other.env.items():
        if "NCCL_" not in var or var in profile.env:
            continue
        try:
            equivalent = collective_equivalent(var, profile.target)
        except (ValueError, KeyError):
            equivalent = None
        if equivalent and equivalent not in profile.env:
            env.values[equivalent] = value
            env.notes.append(f"{var} of profile {other.name} is {equivalent} on {profile.target} (catalog)")
        elif not equivalent:
            env.notes.append(f"{var} of profile {other.name} has no known equivalent on {profile.target}: left out")


def _var(area: str) -> str:
    return area.upper().replace("-", "_").replace(".", "_")


def check_complete(plan: Plan) -> None:
    todo = [f for p in plan.profiles.values() for f in unfinished(p)]
    if todo:
        raise HomeportError(f"the migration file {plan.path} still has fields to fill in", got=", ".join(todo),
                            hint="replace each TODO (storage locations, accelerator, torch version) and run again")


def dotenv(values: Mapping[str, str]) -> str:
    """KEY=VALUE lines, quoted for a POSIX shell (`set -a; . active.env`) and read the same by dotenv."""
    import shlex

    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in sorted(values.items()))
