"""The infrastructure files `homeport port` rewrites besides code: Kubernetes manifests (YAML) and
Slurm or launch scripts (shell). Each rewriter acts only where assess flagged its rules."""

from __future__ import annotations

from homeport.assess import kinds as K
from homeport.core.model import Finding
from homeport.port.changes import Change
from homeport.port.manifests import RULES as MANIFEST_RULES, port_manifest
from homeport.port.scripts import RULES as SCRIPT_RULES, port_script

INFRA_KINDS = frozenset({K.YAML, K.SHELL})
INFRA_RULES = MANIFEST_RULES | SCRIPT_RULES


def port_infra(rel: str, kind: str, text: str, findings: list[Finding], options) -> tuple[str, list[Change]]:
    if kind == K.YAML:
        return port_manifest(rel, text, findings, options.target, options.registry, options.unsafe)
    return port_script(rel, text, findings, options.target, options.unsafe)
