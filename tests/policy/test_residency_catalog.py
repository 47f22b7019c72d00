"""The residency catalog (research/assessment-residency.md s3): every row sourced and dated, unverified kept,
bad rows named by file, line and field; host names identified by (provider, host) -- never by a bare region
name -- in both S3 addressing styles."""

from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import pytest

from homeport.catalog import countries, endpoints, providers, regions
from homeport.catalog.countries import expand
from homeport.catalog.endpoints import identify_host, path_style_only, s3_endpoint
from homeport.catalog.providers import find_provider
from homeport.catalog.regions import lookup_region
from homeport.core.errors import CatalogError

FILES = ("providers.csv", "certifications.csv", "provider_regions.csv", "endpoints.csv", "countries.csv",
         "country_groups.csv")
EUROPE = expand("EEA") | {"CH", "GB"}


def packaged(name: str) -> list[dict]:
    with resources.files("homeport.catalog").joinpath("data", name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", FILES)
def test_every_row_has_a_source_and_a_date(name):
    rows = packaged(name)
    assert rows
    for row in rows:
        assert row["source"].strip(), row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["as_of"]), row


def test_the_tables_load_and_cover_the_research():
    known = providers.providers()
    european = [p for p in known.values() if p.kind in ("cloud", "neocloud", "object-storage")
                and p.hq_country in EUROPE]
    assert len(european) >= 15, sorted(p.provider for p in european)
    assert {"aws", "azure", "gcp", "ovhcloud", "scaleway", "ionos", "stackit", "open-telekom-cloud", "exoscale",
            "infomaniak", "outscale", "impossible-cloud"} <= set(known)
    assert {"wandb", "huggingface", "pypi", "pytorch", "neptune", "comet", "databricks", "github"} <= set(known)
    assert len(endpoints.endpoints()) > 80 and len(regions.provider_regions()) > 80


def test_unverified_stays_unverified():
    assert lookup_region("stackit", "eu02").confidence == "unverified"  # research: eu02 AT [~]
    assert lookup_region("stackit", "eu01").confidence == "verified"
    assert providers.providers()["genesis-cloud"].parent_jurisdictions is None
    assert providers.providers()["genesis-cloud"].cloud_act_exposure == "unverified"
    nebius = identify_host("storage.eu-north1.nebius.cloud")
    assert nebius.endpoint.confidence == "unverified" and "unverified" in nebius.endpoint.cite()
    scaleway = {c.certification: c.status for c in providers.providers()["scaleway"].certifications}
    assert scaleway["SecNumCloud"] == "in-progress"  # research: in progress, not qualified


def test_jurisdiction_is_not_the_country():
    known = providers.providers()
    assert known["aws"].cloud_act_exposure == "yes"
    assert known["aws-eusc"].operator_jurisdiction == "DE" and known["aws-eusc"].cloud_act_exposure == "yes"
    assert known["ovhcloud"].cloud_act_exposure == "no" and known["ovhcloud"].us_operations == "yes"
    assert known["exoscale"].control_jurisdictions == ("CH", "AT", "MX")
    assert known["exoscale"].cloud_act_exposure == "no"
    outscale = {c.certification: c for c in known["outscale"].certifications}
    assert outscale["SecNumCloud 3.2"].scope == "region cloudgouv-eu-west-1"


@pytest.mark.parametrize("spelling, key", [("OVH", "ovhcloud"), ("ImpossibleCloud", "impossible-cloud"),
                                           ("Open Telekom Cloud", "open-telekom-cloud"), ("otc", "open-telekom-cloud"),
                                           ("Amazon", "aws"), ("scaleway", "scaleway")])
def test_provider_spellings(spelling, key):
    assert find_provider(spelling).provider == key


def test_no_spelling_is_a_guess():
    assert find_provider("ovh-cloud-inc") is None and find_provider("") is None


def test_country_groups():
    assert len(expand("EU")) == 27 and "GR" in expand("EU") and "GB" not in expand("EU")
    assert expand("EEA") == expand("EU") | {"IS", "LI", "NO"}
    adequacy = expand("ADEQUACY")
    assert {"CH", "GB", "JP", "KR", "BR", "CA", "NO", "DE"} <= adequacy
    assert "US" not in adequacy  # partial (Data Privacy Framework): never by the group
    assert expand("FR") == {"FR"}
    assert countries.suggest("Germny") == "DE (Germany)" and countries.suggest("UK").startswith("GB")


# -- host -> provider, region, country -----------------------------------------------------------------------

HOSTS = [
    # host, provider, region, country, bucket
    ("s3.amazonaws.com", "aws", "us-east-1", "US", ""),
    ("s3.eu-west-1.amazonaws.com", "aws", "eu-west-1", "IE", ""),
    ("shards.s3.eu-west-1.amazonaws.com", "aws", "eu-west-1", "IE", "shards"),
    ("my.dotted.bucket.s3.eu-west-3.amazonaws.com", "aws", "eu-west-3", "FR", "my.dotted.bucket"),
    ("s3-eu-west-1.amazonaws.com", "aws", "eu-west-1", "IE", ""),
    ("shards.s3-eu-north-1.amazonaws.com", "aws", "eu-north-1", "SE", "shards"),
    ("s3.dualstack.eu-south-1.amazonaws.com", "aws", "eu-south-1", "IT", ""),
    ("api.sagemaker.eu-west-3.amazonaws.com", "aws", "eu-west-3", "FR", ""),
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "aws", "eu-west-1", "IE", ""),
    ("s3.eusc-de-east-1.amazonaws.eu", "aws-eusc", "eusc-de-east-1", "DE", ""),
    ("europe-west4-aiplatform.googleapis.com", "gcp", "europe-west4", "NL", ""),
    ("europe-docker.pkg.dev", "gcp", "europe", "EU", ""),
    ("westeurope.api.azureml.ms", "azure", "westeurope", "NL", ""),
    ("s3.gra.io.cloud.ovh.net", "ovhcloud", "gra", "FR", ""),
    ("ckpt.s3.de.io.cloud.ovh.net", "ovhcloud", "de", "DE", "ckpt"),
    ("s3.us-east-va.io.cloud.ovh.us", "ovhcloud-us", "us-east-va", "US", ""),
    ("s3.fr-par.scw.cloud", "scaleway", "fr-par", "FR", ""),
    ("ckpt.s3.pl-waw.scw.cloud", "scaleway", "pl-waw", "PL", "ckpt"),
    ("s3-eu-central-1.ionoscloud.com", "ionos", "eu-central-1", "DE", ""),
    ("s3.eu-south-2.ionoscloud.com", "ionos", "eu-south-2", "ES", ""),
    ("object.storage.eu01.onstackit.cloud", "stackit", "eu01", "DE", ""),
    ("obs.eu-nl.otc.t-systems.com", "open-telekom-cloud", "eu-nl", "NL", ""),
    ("ckpt.obs.eu-de.otc.t-systems.com", "open-telekom-cloud", "eu-de", "DE", "ckpt"),
    ("hel1.your-objectstorage.com", "hetzner", "hel1", "FI", ""),
    ("ckpt.fsn1.your-objectstorage.com", "hetzner", "fsn1", "DE", "ckpt"),
    ("sos-at-vie-1.exo.io", "exoscale", "at-vie-1", "AT", ""),
    ("ckpt.sos-ch-gva-2.exo.io", "exoscale", "ch-gva-2", "CH", "ckpt"),
    ("team.uk-lon1.upcloudobjects.com", "upcloud", "uk-lon1", "GB", ""),
    ("s3.swiss-backup03.infomaniak.com", "infomaniak", "swiss-backup", "CH", ""),
    ("r1-it.storage.cloud.it", "aruba", "r1-it", "IT", ""),
    ("oos.cloudgouv-eu-west-1.outscale.com", "outscale", "cloudgouv-eu-west-1", "FR", ""),
    ("eu-east-1.storage.impossibleapi.net", "impossible-cloud", "eu-east-1", "PL", ""),
    ("fra1.digitaloceanspaces.com", "digitalocean", "fra1", "DE", ""),
    ("acct.eu.r2.cloudflarestorage.com", "cloudflare", "eu", "EU", ""),
    ("api.wandb.ai", "wandb", "us", "US", ""),
    ("huggingface.co", "huggingface", "us", "US", ""),
    ("api.github.com", "github", "us", "US", ""),
    # hosts that name no location: the provider is known, the country is not
    ("shards.s3.amazonaws.com", "aws", "", "", "shards"),
    ("shards.s3-accelerate.amazonaws.com", "aws", "", "", "shards"),
    ("sts.amazonaws.com", "aws", "", "", ""),
    ("acct.blob.core.windows.net", "azure", "", "", ""),
    ("acct.dfs.core.windows.net", "azure", "", "", ""),
    ("storage.googleapis.com", "gcp", "", "", ""),
    ("s3.cubbit.eu", "cubbit", "", "", ""),
    ("team.upcloudobjects.com", "upcloud", "", "", ""),
    ("acct.r2.cloudflarestorage.com", "cloudflare", "", "", ""),
    ("files.pythonhosted.org", "pypi", "", "", ""),
    ("download.pytorch.org", "pytorch", "", "", ""),
    ("cdn-lfs.huggingface.co", "huggingface", "", "", ""),
    ("cas-bridge.xethub.hf.co", "huggingface", "", "", ""),
    ("app.neptune.ai", "neptune", "", "", ""),
    ("www.comet.com", "comet", "", "", ""),
    ("dbc-1234.cloud.databricks.com", "databricks", "", "", ""),
    ("objects.githubusercontent.com", "github", "", "", ""),
]


@pytest.mark.parametrize("host, provider, region, country, bucket", HOSTS)
def test_host_identification(host, provider, region, country, bucket):
    found = identify_host(host)
    assert found is not None, host
    assert (found.provider, found.region, found.country, found.bucket) == (provider, region, country, bucket)
    assert found.endpoint.source and found.endpoint.as_of


@pytest.mark.parametrize("host", ["S3.EU-WEST-1.AMAZONAWS.COM.", "[s3.eu-west-1.amazonaws.com]"])
def test_host_spelling_is_normalized(host):
    assert identify_host(host).country == "IE"


@pytest.mark.parametrize("host", ["example.com", "amazonaws.com.evil.example", "s3.eu-west-1.amazonaws.co",
                                  "localhost", "10.0.0.1"])
def test_unknown_hosts_are_not_guessed(host):
    assert identify_host(host) is None


def test_the_eu_central_2_trap():
    """The same region string is three countries' worth of cities (research s3.3)."""
    zurich = identify_host("s3.eu-central-2.amazonaws.com")
    frankfurt = identify_host("eu-central-2.storage.impossibleapi.net")
    berlin = identify_host("s3.eu-central-2.ionoscloud.com")
    assert (zurich.provider, zurich.country, zurich.place.city) == ("aws", "CH", "Zurich")
    assert (frankfurt.provider, frankfurt.country, frankfurt.place.city) == ("impossible-cloud", "DE", "Frankfurt")
    assert (berlin.provider, berlin.country, berlin.place.city) == ("ionos", "DE", "Berlin")
    assert {zurich.region, frankfurt.region, berlin.region} == {"eu-central-2"}


@pytest.mark.parametrize("provider, region, country", [
    ("aws", "eu-west-2", "GB"), ("outscale", "eu-west-2", "FR"), ("wasabi", "eu-west-2", "FR"),
    ("aws", "eu-central-1", "DE"), ("wasabi", "eu-central-1", "NL"),
    ("aws", "eu-west-1", "IE"), ("impossible-cloud", "eu-west-1", "NL"),
    ("aws", "us-east-1", "US"), ("infomaniak", "us-east-1", "CH"),  # a placeholder label at Infomaniak
])
def test_region_names_collide_across_providers(provider, region, country):
    assert lookup_region(provider, region).country == country


def test_the_tld_changes_the_operator():
    eu, us = identify_host("s3.gra.io.cloud.ovh.net"), identify_host("s3.us-west-or.io.cloud.ovh.us")
    known = providers.providers()
    assert (known[eu.provider].operator_jurisdiction, known[us.provider].operator_jurisdiction) == ("FR", "US")
    assert identify_host("s3.eu-central-1.amazonaws.com").provider == "aws"
    assert identify_host("s3.eusc-de-east-1.amazonaws.eu").provider == "aws-eusc"


def test_path_style_quirks():
    assert all(path_style_only(p) for p in ("ionos", "stackit", "outscale", "infomaniak"))
    assert not any(path_style_only(p) for p in ("aws", "ovhcloud", "scaleway"))


def test_every_regional_s3_endpoint_identifies_back():
    """s3_endpoint(provider, region) builds a host; identify_host must read it back as the same pair."""
    checked = 0
    for e in endpoints.endpoints():
        if e.service != "object-storage" or "<region>" not in e.host or e.addressing == "virtual":
            continue
        for r in (*regions.regions(), *regions.provider_regions()):
            if r.provider != e.provider:
                continue
            url = s3_endpoint(r.provider, r.region)
            if url is None:
                continue
            found = identify_host(url.removeprefix("https://"))
            assert (found.provider, found.region) == (r.provider, r.region), url
            checked += 1
    assert checked > 100


# -- bad rows ---------------------------------------------------------------------------------------------

def _copy_with(tmp_path: Path, name: str, line: int, column: str, value: str) -> Path:
    """The packaged table with one cell changed; `line` counts as an editor does (the header is line 1)."""
    rows = packaged(name)
    rows[line - 2][column] = value
    out = tmp_path / name
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out


@pytest.mark.parametrize("name, loader, column, value, message", [
    ("providers.csv", providers.load, "as_of", "last week", "expected a date YYYY-MM-DD, got 'last week'"),
    ("providers.csv", providers.load, "source", "", "is empty"),
    ("providers.csv", providers.load, "operator_jurisdiction", "USA", "expected an ISO 3166 alpha-2 code"),
    ("providers.csv", providers.load, "parent_jurisdictions", "US Mexico", "got 'Mexico'"),
    ("providers.csv", providers.load, "kind", "hyperscalar", "expected one of hyperscaler"),
    ("providers.csv", providers.load, "confidence", "maybe", "expected one of verified, unverified"),
    ("provider_regions.csv", regions.load_provider_regions, "country", "Germny", "got 'Germny'"),
    ("provider_regions.csv", regions.load_provider_regions, "provider", "ovh", "'ovh' is not in providers.csv"),
    ("endpoints.csv", endpoints.load, "host", "s3.<region>.<name>", "the last two labels must be literal"),
    ("endpoints.csv", endpoints.load, "host", "s3.{region}.example.com", "expected lower-case letters"),
    ("endpoints.csv", endpoints.load, "addressing", "host", "expected one of path, path-only, virtual"),
    ("endpoints.csv", endpoints.load, "region", "eu-central-9", "must be empty: the host pattern carries <region>"),
    ("country_groups.csv", countries.load_groups, "member", "Germany", "got 'Germany'"),
])
def test_a_bad_row_names_file_line_and_field(tmp_path, name, loader, column, value, message):
    path = _copy_with(tmp_path, name, 4, column, value)
    with pytest.raises(CatalogError) as err:
        loader(path)
    text = str(err.value)
    assert f"{name}, line 4, field {column!r}: " in text and message in text


def test_a_fixed_region_must_exist(tmp_path):
    path = _copy_with(tmp_path, "endpoints.csv", 2, "region", "eu-central-9")  # s3.amazonaws.com
    with pytest.raises(CatalogError, match=r"endpoints.csv, line 2, field 'region': aws/eu-central-9 is in neither"):
        endpoints.load(path)


def test_a_missing_column_is_named(tmp_path):
    text = (resources.files("homeport.catalog") / "data" / "endpoints.csv").read_text(encoding="utf-8")
    bad = tmp_path / "endpoints.csv"
    bad.write_text(text.replace(",addressing,", ",adressing,", 1), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"endpoints.csv, line 1, field 'addressing': the column is missing"):
        endpoints.load(bad)


def test_a_duplicate_key_is_refused(tmp_path):
    rows = packaged("endpoints.csv")
    path = tmp_path / "endpoints.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, rows[0]])
    with pytest.raises(CatalogError, match=rf"line {len(rows) + 2}, field 'host': .* listed twice \(first at "
                                           r"endpoints.csv:2\)"):
        endpoints.load(path)
