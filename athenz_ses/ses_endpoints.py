"""Where Amazon SES lives in each Region: the Easy DKIM domain its CNAMEs point to, the
MAIL FROM MX host, and the SMTP endpoint. The one hand-kept list of the package; a test
(tests/test_ses_endpoints.py) fails when its Regions and botocore's SES Regions disagree.

Easy DKIM: `<token>._domainkey.<domain>` is a CNAME of `<token>.<DKIM domain>`, and
"not all AWS Regions use the default SES DKIM domain" (SES developer guide, Easy DKIM):
the AWS General Reference lists each Region's DKIM domain,
https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_dkim_domains .
A Region whose DKIM domain no public source confirms maps to None: a domain sender is
refused there rather than given records that would never verify.

MAIL FROM: one MX `10 feedback-smtp.<region>.amazonses.com` (SES developer guide,
"Using a custom MAIL FROM domain"). SMTP: `email-smtp.<region>.<partition's DNS suffix>`
(General Reference, SES SMTP endpoints).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

DEFAULT_DKIM_DOMAIN = "dkim.amazonses.com"
DKIM_DOMAINS_SOURCE = "https://docs.aws.amazon.com/general/latest/gr/ses.html#ses_dkim_domains"


def _own(region: str) -> str:
    return f"dkim.{region}.amazonses.com"


# Every Region where botocore offers the SES v2 API, and its Easy DKIM domain.
DKIM_DOMAINS: dict[str, str | None] = {
    # The default DKIM domain.
    **dict.fromkeys(
        (
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "sa-east-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "eu-central-1",
            "eu-north-1",
            "ap-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "me-south-1",
        ),
        DEFAULT_DKIM_DOMAIN,
    ),
    # A DKIM domain of their own (the General Reference's table; the SES guide names
    # af-south-1, ap-northeast-3 and eu-south-1 itself).
    **{
        region: _own(region)
        for region in (
            "af-south-1",
            "ap-northeast-3",
            "ap-south-2",
            "ap-southeast-3",
            "ap-southeast-5",
            "ca-west-1",
            "eu-central-2",
            "eu-south-1",
            "il-central-1",
            "me-central-1",
            "us-gov-east-1",
        )
    },
    # Not confirmed by any public source we could check: no domain sender there.
    **dict.fromkeys(
        (
            "ap-east-2",
            "ap-southeast-4",
            "ap-southeast-6",
            "ap-southeast-7",
            "eu-south-2",
            "mx-central-1",
            "us-gov-west-1",
            "eusc-de-east-1",
        ),
        None,
    ),
}

# The SES v2 API's endpoint prefix in botocore's endpoint data (`metadata.endpointPrefix`
# of its sesv2 service model; tests/test_ses_endpoints.py checks it against botocore).
SESV2_ENDPOINT_PREFIX = "email"


@functools.cache
def _ses_partitions() -> dict[str, str]:
    # botocore's own data file, read without a botocore session: building one imports
    # botocore's client machinery and listing a service's Regions loads its service
    # model, about 0.1 s of every plan. The same Regions, in the same order, as
    # `Session.get_available_regions("sesv2", partition)` for each partition: the
    # partition's endpoints of the service that are Regions of that partition.
    # Imported here, when first asked: only its package, a few lines next to the data folder.
    import botocore

    try:
        data = json.loads((Path(botocore.__file__).parent / "data" / "endpoints.json").read_bytes())
    except FileNotFoundError:  # a botocore that ships it otherwise (compressed): its loader finds it
        import botocore.loaders

        data = botocore.loaders.create_loader().load_data("endpoints")
    return {
        region: partition["partition"]
        for partition in data["partitions"]
        for region in partition["services"].get(SESV2_ENDPOINT_PREFIX, {}).get("endpoints", {})
        if region in partition["regions"]
    }


def ses_partitions() -> dict[str, str]:
    """Region -> partition, for every Region where the SES v2 API is offered, from
    botocore's endpoint data (read once per process)."""
    return dict(_ses_partitions())


def ses_regions() -> frozenset[str]:
    """Every Region where the SES v2 API is offered."""
    return frozenset(_ses_partitions())


# The partition whose DNS suffix is not amazonaws.com (botocore's partition data).
_EUSC = ("eusc-", "amazonaws.eu")


def dkim_domain(region: str) -> str | None:
    """The Easy DKIM domain of `region`'s CNAME targets (None: not published)."""
    return DKIM_DOMAINS.get(region)


def dkim_problem(region: str) -> str | None:
    """Why a domain sender cannot be set up in `region` (None: it can)."""
    if dkim_domain(region) is not None:
        return None
    return (
        f"{region} has no Easy DKIM domain this package knows ({DKIM_DOMAINS_SOURCE}); "
        "its DKIM records would never verify: send as an address (no sender domain) or use another Region"
    )


def dns_suffix(region: str) -> str:
    """The DNS suffix of `region`'s partition: amazonaws.com, or amazonaws.eu (European Sovereign Cloud)."""
    prefix, suffix = _EUSC
    return suffix if region.startswith(prefix) else "amazonaws.com"


def smtp_host(region: str) -> str:
    """The SES SMTP endpoint of `region`."""
    return f"email-smtp.{region}.{dns_suffix(region)}"


def mail_from_mx(region: str) -> str:
    """The value of the MAIL FROM domain's MX record in `region`."""
    return f"10 feedback-smtp.{region}.amazonses.com"
