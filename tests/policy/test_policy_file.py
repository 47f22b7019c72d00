"""The policy file: every bad field gets its own message naming the field, what was expected and what was
got; YAML is read strictly (NO is Norway; a key written twice is an error); an empty policy is legal."""

from __future__ import annotations

import pytest

from homeport.policy import PolicyError, load_policy, parse_policy

GROUPS = "an ISO 3166 code or a group (EU, EEA, ADEQUACY)"


def write(tmp_path, text: str, name: str = "policy.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("allow:\n  countries: [DE, FR, Germny]\n",
     f"policy.yaml: allow.countries[2]: expected {GROUPS}, got 'Germny' (did you mean DE (Germany)?)"),
    ("allow:\n  countries: [UK]\n", f"allow.countries[0]: expected {GROUPS}, got 'UK' (did you mean GB"),
    ("allow:\n  countries: [de]\n", "allow.countries[0]: expected an ISO 3166 code or a group (EU, EEA, ADEQUACY), "
                                    "got 'de' (did you mean DE (Germany)?)"),
    ("allow:\n  countries: EU\n", "allow.countries: expected a list, got 'EU'"),
    ("allow:\n  providers: [ovh-public-cloud]\n", "allow.providers[0]: expected a provider of the catalog"),
    ("deny:\n  providers: [amazon-web-services]\n", "deny.providers[0]: expected a provider of the catalog"),
    ("deny:\n  parent_jurisdictions: [USA]\n", f"deny.parent_jurisdictions[0]: expected {GROUPS}, got 'USA'"),
    ("deny:\n  countries: [Russia]\n", "deny.countries[0]: expected"),
    ("alow:\n  countries: [EU]\n", "policy.yaml: alow: expected one of the keys version, mode, allow"),
    ("allow:\n  country: [EU]\n", "allow.country: expected one of the keys countries, providers, hosts, loopback, "
                                  "got an unknown key (did you mean countries?)"),
    ("mode: enforcing\n", "mode: expected one of enforce, audit, got 'enforcing' (did you mean enforce?)"),
    ("version: 2\n", "version: expected 1, got 2"),
    ("unknown_hosts: block\n", "unknown_hosts: expected one of deny, allow, audit, got 'block'"),
    ("direct_ip: 1\n", "direct_ip: expected one of deny, allow, audit, got 1"),
    ("allow:\n  hosts: ['https://pypi.org/simple']\n",
     "allow.hosts[0]: expected a host name, a glob or an IP network, not a URL, got 'https://pypi.org/simple' "
     "(did you mean 'pypi.org'?)"),
    ("allow:\n  hosts: ['pypi org']\n", "allow.hosts[0]: expected a host name, a glob"),
    ("allow:\n  loopback: yes\n", "allow.loopback: expected true or false, got 'yes'"),
    ("hosts:\n  minio.internal: {country: Germany}\n",
     f"hosts['minio.internal'].country: expected {GROUPS}, got 'Germany' (did you mean DE (Germany)?)"),
    ("hosts:\n  minio.internal: {}\n", "hosts['minio.internal'].country: expected"),
    ("hosts:\n  minio.internal: {country: DE, provider: minio}\n",
     "hosts['minio.internal'].provider: expected a provider"),
    ("hosts:\n  minio.internal: {country: DE, owner: us}\n", "hosts['minio.internal'].owner: expected one of the keys"),
    ("resolve:\n  s3.gra.io.cloud.ovh.net: [127.0.0.1, localhost]\n",
     "resolve['s3.gra.io.cloud.ovh.net'][1]: expected an IP address, got 'localhost'"),
    ("audit_log: 5\n", "audit_log: expected a file path, got 5"),
    ("- EU\n", "policy.yaml: the document: expected a mapping"),
])
def test_each_bad_field_has_its_message(tmp_path, text, message):
    with pytest.raises(PolicyError) as err:
        load_policy(write(tmp_path, text))
    assert any(message in line for line in err.value.problems), err.value.problems
    assert err.value.exit_code == 2


def test_all_problems_are_reported_at_once(tmp_path):
    text = "mode: strict\nallow:\n  countries: [EU, Germny]\n  providers: [nope]\ndirect_ip: maybe\n"
    with pytest.raises(PolicyError) as err:
        load_policy(write(tmp_path, text))
    fields = [line.split(": ")[1] for line in err.value.problems]
    assert fields == ["mode", "allow.countries[1]", "allow.providers[0]", "direct_ip"]
    assert err.value.render().count("\n") == 4  # one line each, then what to do


def test_no_is_norway_not_false(tmp_path):
    policy = load_policy(write(tmp_path, "allow:\n  countries: [NO, SE]\n"))
    assert [c.value for c in policy.spec.allow_countries] == ["NO", "SE"]
    assert policy.spec.allow_countries[0].members == {"NO"}


def test_a_key_written_twice_is_an_error(tmp_path):
    with pytest.raises(PolicyError, match=r"line 3, column 1: not valid YAML: found the key 'allow' twice"):
        load_policy(write(tmp_path, "allow:\n  countries: [EU]\nallow:\n  countries: [US]\n"))


def test_broken_yaml_names_the_line(tmp_path):
    with pytest.raises(PolicyError, match=r"policy.yaml: line \d+, column \d+: not valid YAML"):
        load_policy(write(tmp_path, "allow:\n  countries: [EU\n"))


def test_a_missing_file(tmp_path):
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text", ["", "# nothing here\n", "{}\n", "allow: {}\ndeny: {}\n"])
def test_an_empty_policy_is_legal(tmp_path, text):
    policy = load_policy(write(tmp_path, text))
    assert policy.mode == "enforce" and policy.spec.unknown_hosts == "deny" and policy.spec.direct_ip == "deny"
    assert not (policy.spec.allow_countries or policy.spec.allow_providers or policy.spec.allow_hosts)


def test_groups_and_aliases_are_expanded_when_read():
    policy = parse_policy({"allow": {"countries": ["EEA", "CH"], "providers": ["OVH", "Open Telekom Cloud"]}})
    eea, ch = policy.spec.allow_countries
    assert len(eea.members) == 30 and ch.members == {"CH"}
    assert [c.members for c in policy.spec.allow_providers] == [{"ovhcloud"}, {"open-telekom-cloud"}]
    assert str(eea) == "allow.countries[0] (EEA)"


def test_host_entries_and_runtime_settings():
    policy = parse_policy({"allow": {"hosts": ["PyPI.org", "10.0.0.0/8", "fd00::/8"]},
                           "resolve": {"S3.GRA.io.cloud.ovh.net": "127.0.0.1"}, "audit_log": "audit.jsonl"})
    names = [(c.value, c.network is not None) for c in policy.spec.allow_hosts]
    assert names == [("pypi.org", False), ("10.0.0.0/8", True), ("fd00::/8", True)]
    assert policy.resolve_overrides == {"s3.gra.io.cloud.ovh.net": ("127.0.0.1",)}
    assert policy.audit_log == "audit.jsonl"
