"""Residency policies: where a training job's bytes may go, decided per destination host.

API (what the runtime guard and `assess --policy` build on):

    from homeport.policy import load_policy

    policy = load_policy("policy.yaml")            # Policy; PolicyError (a HomeportError, exit 2) lists bad fields
    v = policy.decide("s3.gra.io.cloud.ovh.net", 443)   # Verdict; cached per (host, port), for every lookup
    v = policy.decide_location("ovh:bucket/prefix")     # s3://, REMOTE:, gs://, az://, local path (or a Location)
    v = policy.decide_url("https://api.wandb.ai/graphql")
    v = policy.check("any of the above, or host:port")   # what `homeport fence check` runs
    v.allowed, v.verdict, v.rule, v.reason, v.catalog_row
    log.write(v.to_json() + "\\n")                  # one JSONL audit line: time, host, port, provider, country, ...
    policy.mode                                      # "enforce" | "audit"
    policy.resolve_overrides                         # {host: (ip, ...)} the guard answers instead of DNS
    policy.audit_log                                 # where the guard writes its JSONL log, or None
    parse_policy(mapping, name)                      # the same from an already parsed document

`Verdict` fields: host, port, verdict (`allow` | `deny` | `audit`: not allowed by the policy, let through and
logged), `allowed` (verdict != deny), rule (the clause that decided: `allow.countries[0] (EU)`,
`deny.parent_jurisdictions[0] (US)`, `unknown_hosts: deny`), reason (sentences), provider, region, country (ISO
code; a group such as EU for a multi-country region; "" when the location is unknown), jurisdiction (the
operator's), parent_jurisdictions (None when the catalog has not verified them), catalog_row (the endpoint row
or policy declaration that identified the host, with source and date), evidence (region and provider rows),
via (how a URL or location became the host). Host identification itself is `homeport.catalog.endpoints.
identify_host`; the rules and their order are in `homeport.policy.engine`.

The policy file (YAML; every key optional; an empty file is legal and allows nothing):

    version: 1
    mode: enforce                  # enforce | audit (every deny becomes audit: logged, not blocked)
    allow:
      countries: [EU, CH]          # ISO 3166 alpha-2 codes or groups: EU, EEA, ADEQUACY (catalog/data/
                                   #   country_groups.csv; ADEQUACY leaves out partial members such as US)
      providers: [ovhcloud]        # catalog keys or aliases; with countries, both must agree
      hosts: ["pypi.org", "*.pythonhosted.org", "10.0.0.0/8"]   # globs (* spans dots) or IP networks
      loopback: true               # localhost, 127.0.0.0/8, ::1 (default true)
    deny:
      countries: [RU]
      providers: [aws]
      hosts: ["*.wandb.ai"]
      parent_jurisdictions: [US]   # operator or any parent subject to this law (CLOUD Act); fails closed
                                   #   when the catalog has not verified the parents
    audit:
      hosts: ["huggingface.co"]    # let through, always logged as audit
    hosts:                         # declarations for hosts that name no location
      "minio.internal.example": {country: DE, note: "our Frankfurt rack"}
      "acct.blob.core.windows.net": {country: NL, provider: azure}
      "10.20.0.0/16": {country: DE}
    unknown_hosts: deny            # deny | allow | audit: hosts nobody identifies, or that name no location
    direct_ip: deny                # deny | allow | audit: connects to an IP no declaration or list names
    resolve: {"s3.gra.io.cloud.ovh.net": ["127.0.0.1"]}   # for tests and air-gapped sites (runtime guard)
    audit_log: fence-audit.jsonl   # where the runtime guard writes verdicts (relative: to the current directory)

Built on it: the runtime fence, `homeport.fence` (guard.py: Fence and activate; hooks.py: socket wrappers and
the audit hook; botocore_hook.py; commands.py and rclone.py: tool command lines; inherit.py and site/: `fence
run`'s children; audit_log.py), and the network rules of `fence export` (egress.py: what to open; firewall.py:
NetworkPolicy, Cilium, nftables, iptables).
"""

from homeport.policy.engine import Policy, load_policy, parse_policy
from homeport.policy.spec import PolicyError, PolicySpec
from homeport.policy.targets import Target, parse_target
from homeport.policy.verdict import Verdict

__all__ = ["Policy", "PolicyError", "PolicySpec", "Target", "Verdict", "load_policy", "parse_policy", "parse_target"]
