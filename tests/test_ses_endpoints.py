"""The one hand-kept list (athenz_ses.ses_endpoints) against botocore's endpoint data,
and the DKIM domain a domain sender's CNAMEs get in each Region, through the whole
program under the mock engine (our mock; the list itself is checked against botocore)."""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session
import pytest
from conftest import cfg

from athenz_ses import patterns
from athenz_ses.ses_endpoints import (
    DEFAULT_DKIM_DOMAIN,
    DKIM_DOMAINS,
    SESV2_ENDPOINT_PREFIX,
    dkim_domain,
    mail_from_mx,
    ses_partitions,
    smtp_host,
)
from offline_plan.engine import run_program
from program.settings import ConfigError


@functools.cache  # read once, not once per Region (the tests only read it)
def _partitions() -> list[dict]:
    return botocore.loaders.create_loader().load_data("endpoints")["partitions"]


def test_the_regions_read_from_botocores_data_file_are_those_a_botocore_session_lists():
    """ses_partitions reads botocore's endpoints.json without a session: the same Regions,
    partitions and order as botocore's own API gives."""
    session = botocore.session.get_session()
    assert session.get_service_data("sesv2")["metadata"]["endpointPrefix"] == SESV2_ENDPOINT_PREFIX
    expected = {
        region: partition
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sesv2", partition_name=partition)
    }
    assert list(ses_partitions().items()) == list(expected.items())


def test_the_list_has_exactly_botocores_ses_regions():
    assert set(DKIM_DOMAINS) == set(ses_partitions())


@pytest.mark.parametrize("region", sorted(ses_partitions()))
def test_the_smtp_host_uses_the_dns_suffix_of_the_regions_partition(region):
    (partition,) = [p for p in _partitions() if p["partition"] == ses_partitions()[region]]
    assert smtp_host(region) == f"email-smtp.{region}.{partition['dnsSuffix']}"


def domain_sender(region: str) -> dict[str, str]:
    return cfg(
        aws_region=region,
        credentials="access-key",
        senderEmail="zms@example.com",
        senderDomain="example.com",
        emailDomainTo="example.com",
        recipientEmails=["alice@example.com"],
    )


@pytest.mark.parametrize("region", sorted(ses_partitions()))
def test_every_ses_region_plans_dkim_cnames_to_its_dkim_domain_or_is_refused(region):
    """Every Region sesRegion accepts: a domain sender's three CNAMEs point at the
    Region's DKIM domain, or the stack is refused before anything is planned."""
    expected = dkim_domain(region)
    if not patterns.REGION.fullmatch(region):  # the European Sovereign Cloud: not a Region sesRegion takes
        refused = run_program("dkim", domain_sender(region))
        assert isinstance(refused.error, ConfigError) and "expected an AWS Region" in str(refused.error)
        return
    if expected is None:
        refused = run_program("dkim", domain_sender(region))
        assert isinstance(refused.error, ConfigError) and refused.error.key == "aws:region", refused.error
        assert "Easy DKIM domain" in str(refused.error) and region in str(refused.error)
        assert refused.resources == []
        return
    plan = run_program("dkim", domain_sender(region))
    assert plan.error is None, plan.error
    records = {(r["type"], r["name"]): r["value"] for r in plan.outputs["senderDnsRecords"]}
    cnames = [(name, value) for (kind, name), value in records.items() if kind == "CNAME"]
    assert len(cnames) == 3
    for name, value in cnames:
        token = name.split(".")[0]
        assert name == f"{token}._domainkey.example.com"
        assert value == f"{token}.{expected}"
    assert records[("MX", "bounce.example.com")] == mail_from_mx(region) == f"10 feedback-smtp.{region}.amazonses.com"


@pytest.mark.parametrize(
    ("region", "dkim"),
    [
        ("af-south-1", "dkim.af-south-1.amazonses.com"),
        ("ap-northeast-3", "dkim.ap-northeast-3.amazonses.com"),
        ("il-central-1", "dkim.il-central-1.amazonses.com"),
        ("us-east-1", DEFAULT_DKIM_DOMAIN),
    ],
)
def test_the_regions_the_ses_guide_names(region, dkim):
    """Literal values, not the table read back: the Regions the SES guide and the issue name."""
    assert dkim_domain(region) == dkim
